package p2p

import (
	"context"
	"errors"
	"time"

	"github.com/gorilla/websocket"

	"chainlab/chain"
)

// readLoop reads, decodes and dispatches messages until the connection fails. Protocol
// violations score before the error ends the loop.
func (s *Server) readLoop(p *peer) error {
	idle := s.cfg.PingInterval + s.cfg.PingTimeout
	for {
		_ = p.ws.SetReadDeadline(time.Now().Add(idle))
		frame, err := p.readFrame()
		if err != nil {
			switch {
			case errors.Is(err, ErrOversizeMessage), errors.Is(err, websocket.ErrReadLimit):
				p.misbehave(ScoreOversize, err.Error())
			case errors.Is(err, ErrUnknownMessage), errors.Is(err, errTextFrame), errors.Is(err, ErrMalformedMessage):
				p.misbehave(ScoreMalformed, err.Error())
			}
			return err
		}
		if s.partitioned(p.id) {
			continue
		}
		at := time.Now()
		m, err := DecodeMessage(frame, s.limits)
		if err != nil {
			p.misbehave(ScoreMalformed, err.Error())
			return err
		}
		s.handleMessage(p, m, len(frame), at)
		if p.isClosed() {
			return p.closeErr
		}
	}
}

func (s *Server) handleMessage(p *peer, m Message, size int, at time.Time) {
	switch m := m.(type) {
	case *MsgVersion, *MsgVerAck:
		p.misbehave(ScoreHandshake, "handshake message after handshake")
	case *MsgInv:
		s.onInv(p, m.Items)
	case *MsgGetData:
		s.onGetData(p, m.Items)
	case *MsgNotFound:
		var blocks []chain.Hash
		for _, it := range m.Items {
			if it.Type == InvBlock {
				blocks = append(blocks, it.Hash)
			} else {
				p.takeRequested(it.Hash)
			}
		}
		if len(blocks) > 0 {
			s.sync.post(syncEvent{kind: evNotFound, p: p, hashes: blocks})
		}
	case *MsgBlock:
		s.sync.post(syncEvent{kind: evBlock, p: p, block: m.Block, size: size, at: at})
	case *MsgTx:
		s.onTx(p, m.Tx)
	case *MsgVote:
		s.onVote(p, m.Vote)
	case *MsgEvidence:
		s.onEvidence(p, m.Evidence)
	case *MsgGetHeaders:
		hs := s.cfg.Chain.HeadersAfter(m.Locator, m.Stop, MaxHeadersPerMsg)
		p.send(&MsgHeaders{Headers: hs})
	case *MsgHeaders:
		s.sync.post(syncEvent{kind: evHeaders, p: p, headers: m.Headers})
	case *MsgGetAddr:
		p.send(&MsgAddr{Addrs: s.book.sample(MaxAddrPerMsg, p.id)})
	case *MsgAddr:
		p.unsolicited("addr")
		s.book.add(m.Addrs, p.id)
	case *MsgPing:
		p.send(&MsgPong{Nonce: m.Nonce})
	case *MsgPong:
		p.mu.Lock()
		if m.Nonce == p.pingNonce && !p.pingSent.IsZero() {
			p.rtt.Store(int64(time.Since(p.pingSent)))
			p.pingSent = time.Time{}
		}
		p.mu.Unlock()
	case *MsgReject:
		s.log.Debug("peer rejected", "peer", p, "msg", m.Message, "code", m.Code, "reason", m.Reason, "hash", m.Hash)
	}
}

func (s *Server) onInv(p *peer, items []InvItem) {
	var blocks []chain.Hash
	var want []InvItem
	for _, it := range items {
		p.addKnown(it.Hash)
		switch it.Type {
		case InvBlock:
			blocks = append(blocks, it.Hash)
		case InvTx:
			if s.cfg.TxPool != nil && !s.cfg.TxPool.Has(it.Hash) {
				want = append(want, it)
			}
		case InvVote:
			if s.cfg.VotePool != nil && !s.cfg.VotePool.HasVote(it.Hash) {
				want = append(want, it)
			}
		case InvEvidence:
			if s.cfg.VotePool != nil && !s.cfg.VotePool.HasEvidence(it.Hash) {
				want = append(want, it)
			}
		}
	}
	if len(blocks) > 0 {
		s.sync.post(syncEvent{kind: evInv, p: p, hashes: blocks})
	}
	if len(want) > 0 {
		for _, it := range want {
			p.markRequested(it.Hash)
		}
		p.send(&MsgGetData{Items: want})
	}
}

// onGetData serves blocks (stored bytes, no re-encoding), txs, votes and evidence; what is
// missing is answered with one notfound.
func (s *Server) onGetData(p *peer, items []InvItem) {
	var missing []InvItem
	for _, it := range items {
		var m Message
		switch it.Type {
		case InvBlock:
			if b, err := s.cfg.Chain.BlockBytes(it.Hash); err == nil {
				m = &rawMessage{t: MsgTypeBlock, body: b}
			}
		case InvTx:
			if s.cfg.TxPool != nil {
				if tx, ok := s.cfg.TxPool.Get(it.Hash); ok {
					m = &MsgTx{Tx: tx}
				}
			}
		case InvVote:
			if s.cfg.VotePool != nil {
				if v, ok := s.cfg.VotePool.GetVote(it.Hash); ok {
					m = &MsgVote{Vote: v}
				}
			}
		case InvEvidence:
			if s.cfg.VotePool != nil {
				if e, ok := s.cfg.VotePool.GetEvidence(it.Hash); ok {
					m = &MsgEvidence{Evidence: e}
				}
			}
		}
		if m == nil {
			missing = append(missing, it)
			continue
		}
		p.addKnown(it.Hash)
		if !p.sendWait(m) {
			return
		}
	}
	if len(missing) > 0 {
		p.send(&MsgNotFound{Items: missing})
	}
}

func (s *Server) onTx(p *peer, tx *chain.Tx) {
	id := tx.TxID()
	p.addKnown(id)
	if !p.takeRequested(id) {
		p.unsolicited("tx")
	}
	if s.cfg.TxPool == nil {
		return
	}
	s.stats.txsRecv.Add(1)
	if _, err := s.cfg.TxPool.Add(tx, s.cfg.Now()); err != nil {
		p.misbehave(ruleScore(err, false), "invalid tx "+id.String()+": "+err.Error())
		return
	}
	s.relayInv(InvTx, id, p, false)
}

func (s *Server) onVote(p *peer, v *chain.Vote) {
	h := v.Hash()
	p.addKnown(h)
	if !p.takeRequested(h) {
		p.unsolicited("vote")
	}
	if s.cfg.VotePool == nil {
		return
	}
	s.stats.votesRecv.Add(1)
	if err := s.cfg.VotePool.AddVote(v, s.cfg.Now()); err != nil {
		p.misbehave(ruleScore(err, false), "invalid vote: "+err.Error())
		return
	}
	s.relayInv(InvVote, h, p, false)
}

func (s *Server) onEvidence(p *peer, e *chain.Evidence) {
	h := e.Hash()
	p.addKnown(h)
	if !p.takeRequested(h) {
		p.unsolicited("evidence")
	}
	if s.cfg.VotePool == nil {
		return
	}
	if err := s.cfg.VotePool.AddEvidence(e, s.cfg.Now()); err != nil {
		p.misbehave(ruleScore(err, false), "invalid evidence: "+err.Error())
		return
	}
	s.relayInv(InvEvidence, h, p, false)
}

// relayInv announces one item to every peer that does not know it (force: to every peer),
// except the one it came from. Partitioned peers are skipped without being marked.
func (s *Server) relayInv(t InvType, h chain.Hash, except *peer, force bool) {
	for _, p := range s.peerList() {
		if p == except || s.partitioned(p.id) {
			continue
		}
		p.mu.Lock()
		known := p.known.has(h)
		if !known {
			p.known.add(h)
		}
		p.mu.Unlock()
		if known && !force {
			continue
		}
		p.send(&MsgInv{Items: []InvItem{{Type: t, Hash: h}}})
	}
}

// BroadcastBlock announces a block produced (and processed) locally.
func (s *Server) BroadcastBlock(b *chain.Block) { s.relayInv(InvBlock, b.Hash(), nil, false) }

// BroadcastTx announces a transaction accepted into the local pool.
func (s *Server) BroadcastTx(tx *chain.Tx) { s.relayInv(InvTx, tx.TxID(), nil, false) }

// BroadcastVote announces a vote accepted into the local vote pool.
func (s *Server) BroadcastVote(v *chain.Vote) { s.relayInv(InvVote, v.Hash(), nil, false) }

// BroadcastEvidence announces slashing evidence accepted locally.
func (s *Server) BroadcastEvidence(e *chain.Evidence) {
	s.relayInv(InvEvidence, e.Hash(), nil, false)
}

// AnnounceTip announces the local tip to every peer that does not know it (after a local
// reorg, say). It never blocks, so it may be called from Config.OnBlock or a Chain wrapper;
// requests coalesce. Blocks received from peers need no call: p2p relays a new tip itself
// once it is not downloading.
func (s *Server) AnnounceTip() { s.announceTip(false) }

// announceTip with force sends even to peers believed to know the tip (after a heal).
func (s *Server) announceTip(force bool) {
	if !s.started.Load() || s.ctx.Err() != nil {
		return
	}
	if force {
		s.sync.announceForce.Store(true)
	}
	select {
	case s.sync.announce <- struct{}{}:
	default: // one is already pending
	}
}

// ---- ping ----

func (s *Server) sendPing(p *peer) {
	p.mu.Lock()
	p.pingNonce = s.rng.Uint64()
	p.pingSent = time.Now()
	n := p.pingNonce
	p.mu.Unlock()
	p.send(&MsgPing{Nonce: n})
}

func (s *Server) pingLoop(ctx context.Context) {
	t := time.NewTicker(s.cfg.PingInterval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		for _, p := range s.peerList() {
			p.mu.Lock()
			waiting := !p.pingSent.IsZero() && time.Since(p.pingSent) > s.cfg.PingTimeout
			p.mu.Unlock()
			if waiting {
				p.close(errors.New("ping timeout"))
				continue
			}
			s.sendPing(p)
		}
	}
}

// ---- introspection ----

// PeerInfo describes a connected peer (getpeerinfo).
type PeerInfo struct {
	ID         NodeID        `json:"id"`
	Addr       string        `json:"addr"`
	ListenAddr string        `json:"listen_addr"`
	Inbound    bool          `json:"inbound"`
	UserAgent  string        `json:"user_agent"`
	Connected  time.Time     `json:"connected"`
	RTT        time.Duration `json:"rtt"`
	BytesSent  uint64        `json:"bytes_sent"`
	BytesRecv  uint64        `json:"bytes_recv"`
	MsgsSent   uint64        `json:"msgs_sent"`
	MsgsRecv   uint64        `json:"msgs_recv"`
	BanScore   int           `json:"ban_score"`
	BestHeight uint64        `json:"best_height"`
	Link       LinkParams    `json:"link"`
}

// Peers returns the connected peers.
func (s *Server) Peers() []PeerInfo {
	ps := s.peerList()
	out := make([]PeerInfo, 0, len(ps))
	for _, p := range ps {
		pi := PeerInfo{
			ID: p.id, Addr: p.addr, ListenAddr: p.listenAddr, Inbound: p.inbound,
			UserAgent: p.userAgent, Connected: p.connected, RTT: time.Duration(p.rtt.Load()),
			BytesSent: p.bytesSent.Load(), BytesRecv: p.bytesRecv.Load(),
			MsgsSent: p.msgsSent.Load(), MsgsRecv: p.msgsRecv.Load(),
			BanScore: p.banScore(), BestHeight: p.bestHeight.Load(),
		}
		p.mu.Lock()
		if p.link != nil {
			pi.Link = p.link.params
		}
		p.mu.Unlock()
		out = append(out, pi)
	}
	return out
}

// Stats are server-wide counters.
type Stats struct {
	Peers, Inbound, Outbound int
	BytesSent, BytesRecv     uint64
	BlocksRecv, BlocksDup    uint64
	TxsRecv, VotesRecv       uint64
	Bans                     uint64
	Banned                   int
}

// Stats returns the counters (bytes of connected peers only).
func (s *Server) Stats() Stats {
	st := Stats{
		BlocksRecv: s.stats.blocksRecv.Load(), BlocksDup: s.stats.blocksDup.Load(),
		TxsRecv: s.stats.txsRecv.Load(), VotesRecv: s.stats.votesRecv.Load(), Bans: s.stats.bans.Load(),
	}
	for _, p := range s.peerList() {
		st.Peers++
		if p.inbound {
			st.Inbound++
		} else {
			st.Outbound++
		}
		st.BytesSent += p.bytesSent.Load()
		st.BytesRecv += p.bytesRecv.Load()
	}
	s.mu.Lock()
	st.Banned = len(s.bans)
	s.mu.Unlock()
	return st
}
