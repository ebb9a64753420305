package p2p

// Block download scheduling: which peer fetches which block, stall handling on ticks,
// and progress reporting. The event loop and message handlers are in sync.go.

import (
	"errors"
	"slices"

	"chainlab/chain"
)

// fill assigns queued downloads to peers, lowest heights first, within the window.
func (m *syncManager) fill() {
	if len(m.want) == 0 {
		if !m.headerResume.IsZero() && m.headerPeer == nil {
			if p := m.bestPeer(nil); p != nil {
				m.requestHeaders(p, []chain.Hash{m.headerResume})
			}
			m.headerResume = chain.Hash{}
		}
		return
	}
	if m.dirty {
		slices.SortStableFunc(m.want, func(a, b wantItem) int {
			switch {
			case a.height < b.height:
				return -1
			case a.height > b.height:
				return 1
			}
			return 0
		})
		m.dirty = false
	}
	c := m.s.cfg.Chain
	limit := m.tipHeight() + uint64(m.s.cfg.BlockWindow)
	capacity := 0
	for _, sp := range m.peers {
		capacity += max(0, m.s.cfg.PerPeerInFlight-sp.inflight)
	}
	batches := make(map[*peer][]InvItem)
	now := m.s.cfg.Now()
	i := 0
	kept := m.want[:0]
	for ; i < len(m.want) && capacity > 0; i++ {
		w := m.want[i]
		if w.height > limit {
			break
		}
		if _, ok := m.inflight[w.hash]; ok || c.HaveBlock(w.hash) {
			delete(m.queued, w.hash)
			continue
		}
		if _, ok := m.pending[w.hash]; ok {
			delete(m.queued, w.hash)
			continue
		}
		p := m.pickPeer(w)
		if p == nil {
			kept = append(kept, w)
			continue
		}
		delete(m.queued, w.hash)
		m.peers[p].inflight++
		m.ordered(m.peers[p], w.hash)
		capacity--
		m.inflight[w.hash] = &request{p: p, at: now, height: w.height, tries: w.tries}
		batches[p] = append(batches[p], InvItem{Type: InvBlock, Hash: w.hash})
	}
	kept = append(kept, m.want[i:]...)
	clear(m.want[len(kept):])
	m.want = kept
	for p, items := range batches {
		m.s.log.Debug("sync: getdata", "peer", p, "blocks", len(items), "from_height", m.inflight[items[0].Hash].height, "queued", len(m.want))
		p.send(&MsgGetData{Items: items})
	}
}

func (m *syncManager) pickPeer(w wantItem) *peer {
	var best *peer
	bestLoad := m.s.cfg.PerPeerInFlight
	known := false // some peer is known to have it (maybe busy)
	avoidHas := false
	for p, sp := range m.peers {
		if sp.best < w.height {
			continue
		}
		if p == w.avoid {
			avoidHas = true
			continue
		}
		known = true
		if sp.inflight >= bestLoad {
			continue
		}
		best, bestLoad = p, sp.inflight
	}
	if best != nil || known {
		return best
	}
	if avoidHas {
		// only the peer that stalled has it: ask it again rather than peers that do not
		if sp := m.peers[w.avoid]; sp.inflight < m.s.cfg.PerPeerInFlight {
			return w.avoid
		}
		return nil
	}
	// Heights are estimates (version, headers, invs): when no peer is known to have it, ask
	// the least-loaded one; a notfound or a stall moves it on, and maxTries ends it.
	bestLoad = m.s.cfg.PerPeerInFlight
	for p, sp := range m.peers {
		if p != w.avoid && sp.inflight < bestLoad {
			best, bestLoad = p, sp.inflight
		}
	}
	if best == nil && w.avoid != nil {
		if sp := m.peers[w.avoid]; sp != nil && sp.inflight < m.s.cfg.PerPeerInFlight {
			return w.avoid // no one else to ask
		}
	}
	return best
}

// bestPeer returns the peer with the highest known height, except not.
func (m *syncManager) bestPeer(not *peer) *peer {
	var best *peer
	var bh uint64
	for p, sp := range m.peers {
		if p != not && (best == nil || sp.best > bh) {
			best, bh = p, sp.best
		}
	}
	return best
}

func (m *syncManager) pickHeaderPeer() {
	p := m.bestPeer(nil)
	if p != nil && m.peers[p].best > max(m.bestHeader, m.tipHeight()) {
		m.requestHeaders(p, nil)
	}
}

func (m *syncManager) onTick() {
	now := m.s.cfg.Now()
	// A request stalls when its peer delivered nothing for StallTimeout since it was sent:
	// a peer that keeps delivering (a slow link with a deep queue) is not stalling.
	stalled := make(map[*peer]bool)
	for h, r := range m.inflight {
		sp := m.peers[r.p]
		since := r.at
		if sp != nil && sp.lastRecv.After(since) {
			since = sp.lastRecv
		}
		if now.Sub(since) < m.s.cfg.StallTimeout {
			continue
		}
		m.requeue(h, r, r.p)
		if sp != nil {
			stalled[r.p] = true
		}
	}
	for p := range stalled {
		m.s.log.Debug("sync: peer stalled", "peer", p, "stalls", m.peers[p].stalls+1)
		sp := m.peers[p]
		sp.stalls++
		if sp.stalls >= stallsToDrop && m.anotherHas(p, sp.best) {
			m.s.log.Info("dropping stalling peer", "peer", p)
			p.close(errors.New("stalled block download"))
		}
	}
	if m.headerPeer != nil && now.Sub(m.headerAt) > m.s.cfg.StallTimeout {
		stalled := m.headerPeer
		m.headerPeer = nil
		if p := m.bestPeer(stalled); p != nil {
			m.requestHeaders(p, nil)
		}
	}
	if m.headerPeer == nil {
		m.pickHeaderPeer()
	}
	// blocks whose ancestors never came are forgotten; a later inv fetches them again
	for h, pb := range m.pending {
		if now.Sub(pb.added) > 4*m.s.cfg.StallTimeout {
			m.removePending(h)
		}
	}
	if now.Sub(m.lastRefresh) > m.s.cfg.TipRefresh {
		m.lastRefresh = now
		tip, _ := m.s.cfg.Chain.Tip()
		m.s.relayInv(InvBlock, tip, nil, true) // forced: announcements may have been lost
	}
	m.progress(false)
}

// announceIfCaughtUp relays a new tip once nothing is downloading.
// (Announcing every tip of a long download would flood peers with invs they may not need.)
func (m *syncManager) announceIfCaughtUp() {
	tip, h := m.s.cfg.Chain.Tip()
	if m.syncing {
		if h < m.bestHeader && (len(m.inflight) > 0 || len(m.want) > 0) {
			return
		}
		m.syncing = false
		m.progress(true)
	}
	if tip == m.lastTip {
		return
	}
	m.lastTip = tip
	m.s.relayInv(InvBlock, tip, nil, false)
}

func (m *syncManager) progress(done bool) {
	if !m.syncing && !done {
		return
	}
	now := m.s.cfg.Now()
	if !done && now.Sub(m.progAt) < progressEvery {
		return
	}
	h := m.tipHeight()
	rate := 0.0
	if dt := now.Sub(m.progStart).Seconds(); dt > 0 && h > m.progStartH {
		rate = float64(h-m.progStartH) / dt
	}
	m.progAt = now
	target := max(m.bestHeader, h)
	m.s.log.Info("sync progress", "height", h, "target", target, "blocks_per_sec", int(rate), "done", done)
	if m.s.cfg.OnSyncProgress != nil {
		m.s.cfg.OnSyncProgress(SyncProgress{Height: h, Target: target, BlocksPerSec: rate, Done: done})
	}
}
