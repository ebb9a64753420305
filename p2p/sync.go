package p2p

import (
	"context"
	"errors"
	"slices"
	"sync/atomic"
	"time"

	"chainlab/chain"
)

const (
	maxWant          = 100_000 // queued block hashes; header sync pauses beyond this
	maxDirectGetData = 16      // unknown block invs fetched directly per message
	stallsToDrop     = 3       // consecutive stalls before a peer is disconnected
	maxTries         = 4       // failed requests before a queued block is forgotten
	headerChunk      = 250     // headers validated before their bodies are requested
	progressEvery    = 2 * time.Second
)

type syncEventKind uint8

const (
	evPeerAdded syncEventKind = iota + 1
	evPeerRemoved
	evInv
	evNotFound
	evHeaders
	evBlock
	evAnnounce
	evStatus
)

type syncEvent struct {
	kind    syncEventKind
	p       *peer
	hashes  []chain.Hash
	headers []*chain.Header
	block   *chain.Block
	size    int
	at      time.Time
	reply   chan SyncStatus
}

type wantItem struct {
	hash   chain.Hash
	height uint64
	avoid  *peer // the peer that stalled on it
	tries  int   // requests that failed (stall, notfound); dropped at maxTries
}

type request struct {
	p      *peer
	at     time.Time
	height uint64 // 0: fetched from an inv before its header was known
	tries  int
}

type pendingBlock struct {
	b     *chain.Block
	p     *peer
	size  int
	at    time.Time // received
	added time.Time // entered the pool
}

type syncPeer struct {
	// order holds the hashes requested from the peer in the order they were asked for. A
	// peer answers getdata in order over an ordered stream, so a delivered block proves
	// every block requested before it and still missing was lost (link emulation) and can be
	// re-requested at once instead of after a stall.
	order    []chain.Hash
	inflight int
	best     uint64
	stalls   int       // consecutive ticks on which the peer stalled
	lastRecv time.Time // last requested block it delivered
}

// syncManager owns block download and block processing: one goroutine, so the chain sees
// blocks in a well-defined order. Peers' reader goroutines decode messages and post events.
type syncManager struct {
	s        *Server
	ev       chan syncEvent
	announce chan struct{} // AnnounceTip requests (never blocks, so callbacks may call it)
	// announceForce makes the next announcement go to every peer (known sets may be stale)
	announceForce atomic.Bool
	peers         map[*peer]*syncPeer
	want          []wantItem
	queued        map[chain.Hash]struct{}
	dirty         bool
	inflight      map[chain.Hash]*request
	pending       map[chain.Hash]*pendingBlock
	byPrev        map[chain.Hash][]chain.Hash

	headerPeer   *peer
	headerAt     time.Time
	headerResume chain.Hash // continue header sync from here once want drains
	bestHeader   uint64

	lastTip      chain.Hash
	lastRefresh  time.Time
	progAt       time.Time
	progHeight   uint64
	progStart    time.Time
	progStartH   uint64
	syncing      bool
	pendingLimit int
}

func newSyncManager(s *Server) *syncManager {
	return &syncManager{
		s:            s,
		ev:           make(chan syncEvent, 1024),
		announce:     make(chan struct{}, 1),
		peers:        make(map[*peer]*syncPeer),
		queued:       make(map[chain.Hash]struct{}),
		inflight:     make(map[chain.Hash]*request),
		pending:      make(map[chain.Hash]*pendingBlock),
		byPrev:       make(map[chain.Hash][]chain.Hash),
		pendingLimit: s.cfg.BlockWindow + 64,
	}
}

func (m *syncManager) post(e syncEvent) {
	select {
	case m.ev <- e:
	case <-m.s.ctx.Done():
	}
}

func (m *syncManager) peerAdded(p *peer)   { m.post(syncEvent{kind: evPeerAdded, p: p}) }
func (m *syncManager) peerRemoved(p *peer) { m.post(syncEvent{kind: evPeerRemoved, p: p}) }

func (m *syncManager) run(ctx context.Context) {
	tick := time.NewTicker(max(m.s.cfg.StallTimeout/4, 20*time.Millisecond))
	defer tick.Stop()
	m.lastTip, _ = m.s.cfg.Chain.Tip()
	for {
		select {
		case <-ctx.Done():
			return
		case e := <-m.ev:
			m.handle(e)
			// drain what is queued before refilling requests
			for n := 0; n < 256; n++ {
				select {
				case e := <-m.ev:
					m.handle(e)
					continue
				default:
				}
				break
			}
			m.fill()
			m.announceIfCaughtUp()
		case <-m.announce:
			m.handle(syncEvent{kind: evAnnounce})
		case <-tick.C:
			m.onTick()
			m.fill()
		}
	}
}

func (m *syncManager) handle(e syncEvent) {
	switch e.kind {
	case evPeerAdded:
		sp := &syncPeer{best: e.p.startBest}
		m.peers[e.p] = sp
		_, h := m.s.cfg.Chain.Tip()
		ahead := e.p.startBest > h || (e.p.startBest == h && !m.s.cfg.Chain.HaveBlock(e.p.startHash))
		// one header-sync peer at a time: the best one
		if ahead && (m.headerPeer == nil || m.peers[m.headerPeer] == nil || m.peers[m.headerPeer].best < sp.best) {
			m.requestHeaders(e.p, m.headerLocator())
		}
	case evPeerRemoved:
		m.dropPeer(e.p)
	case evInv:
		m.onInv(e.p, e.hashes)
	case evNotFound:
		for _, h := range e.hashes {
			if r := m.inflight[h]; r != nil && r.p == e.p {
				m.requeue(h, r, e.p)
			}
		}
	case evHeaders:
		m.onHeaders(e.p, e.headers)
	case evBlock:
		m.onBlock(e.p, e.block, e.size, e.at)
	case evStatus:
		e.reply <- m.status()
	case evAnnounce:
		tip, _ := m.s.cfg.Chain.Tip()
		m.lastTip = tip
		m.s.relayInv(InvBlock, tip, nil, m.announceForce.Swap(false))
	}
}

// SyncStatus is a snapshot of the block download.
type SyncStatus struct {
	Syncing    bool   // downloading towards BestHeader
	Height     uint64 // local tip height
	BestHeader uint64 // best header height learned from peers
	Queued     int    // blocks waiting to be requested
	InFlight   int    // blocks requested and not yet delivered
	Pending    int    // blocks received before their parent
	HeaderPeer string // the header-sync peer, if any
}

func (m *syncManager) status() SyncStatus {
	st := SyncStatus{Syncing: m.syncing, Height: m.tipHeight(), BestHeader: m.bestHeader,
		Queued: len(m.want), InFlight: len(m.inflight), Pending: len(m.pending)}
	if m.headerPeer != nil {
		st.HeaderPeer = m.headerPeer.String()
	}
	return st
}

// SyncStatus reports the block download state (zero value if the server is not running).
func (s *Server) SyncStatus() SyncStatus {
	if !s.started.Load() {
		return SyncStatus{}
	}
	reply := make(chan SyncStatus, 1)
	select {
	case s.sync.ev <- syncEvent{kind: evStatus, reply: reply}:
	case <-s.ctx.Done():
		return SyncStatus{}
	}
	select {
	case st := <-reply:
		return st
	case <-s.ctx.Done():
		return SyncStatus{}
	}
}

func (m *syncManager) dropPeer(p *peer) {
	sp := m.peers[p]
	if sp == nil {
		return
	}
	delete(m.peers, p)
	for h, r := range m.inflight {
		if r.p == p {
			m.requeue(h, r, nil)
		}
	}
	if m.headerPeer == p {
		m.headerPeer = nil
		m.pickHeaderPeer()
	}
}

// requeue moves an in-flight request back to the download queue, avoiding avoid.
func (m *syncManager) requeue(h chain.Hash, r *request, avoid *peer) {
	delete(m.inflight, h)
	if sp := m.peers[r.p]; sp != nil {
		sp.inflight--
	}
	// a block no peer is known to have is forgotten after maxTries (a later inv or
	// headers message brings it back); one a peer has is retried
	if r.height > 0 && (r.tries+1 < maxTries || m.someoneHas(r.height)) {
		m.enqueue(wantItem{hash: h, height: r.height, avoid: avoid, tries: r.tries + 1})
	}
}

// ordered records a request to sp in send order (compacted when it grows).
func (m *syncManager) ordered(sp *syncPeer, h chain.Hash) {
	if len(sp.order) >= 4*m.s.cfg.PerPeerInFlight {
		kept := sp.order[:0]
		for _, x := range sp.order {
			if _, ok := m.inflight[x]; ok {
				kept = append(kept, x)
			}
		}
		clear(sp.order[len(kept):])
		sp.order = kept
	}
	sp.order = append(sp.order, h)
}

// skipLost re-queues the blocks requested from p before h that are still missing.
func (m *syncManager) skipLost(p *peer, sp *syncPeer, h chain.Hash) {
	i := slices.Index(sp.order, h)
	if i < 0 {
		return
	}
	for _, x := range sp.order[:i] {
		if r := m.inflight[x]; r != nil && r.p == p {
			m.requeue(x, r, nil)
		}
	}
	n := copy(sp.order, sp.order[i+1:])
	clear(sp.order[n:])
	sp.order = sp.order[:n]
}

// anotherHas reports whether a peer other than p is known to have blocks up to height
// (a stalling peer is only dropped when someone else can take over).
func (m *syncManager) anotherHas(p *peer, height uint64) bool {
	for q, sp := range m.peers {
		if q != p && sp.best >= height {
			return true
		}
	}
	return false
}

// someoneHas reports whether a connected peer is known to have blocks up to height.
func (m *syncManager) someoneHas(height uint64) bool {
	for _, sp := range m.peers {
		if sp.best >= height {
			return true
		}
	}
	return false
}

func (m *syncManager) enqueue(w wantItem) {
	if _, ok := m.queued[w.hash]; ok {
		return
	}
	if n := len(m.want); n > 0 && m.want[n-1].height > w.height {
		m.dirty = true
	}
	m.queued[w.hash] = struct{}{}
	m.want = append(m.want, w)
}

func (m *syncManager) busy(h chain.Hash) bool {
	if _, ok := m.inflight[h]; ok {
		return true
	}
	if _, ok := m.pending[h]; ok {
		return true
	}
	_, ok := m.queued[h]
	return ok
}

func (m *syncManager) onInv(p *peer, hashes []chain.Hash) {
	c := m.s.cfg.Chain
	sp := m.peers[p]
	if sp == nil {
		return
	}
	var direct []InvItem
	askHeaders := false
	for _, h := range hashes {
		if pb, ok := m.pending[h]; ok {
			// we hold it but miss an ancestor: look for the path again
			askHeaders = askHeaders || !c.HaveBlock(pb.b.Header.Prev)
			continue
		}
		if m.busy(h) || c.HaveBlock(h) {
			continue
		}
		if height, ok := c.Height(h); ok {
			sp.best = max(sp.best, height)
			m.enqueue(wantItem{hash: h, height: height})
			continue
		}
		if m.syncing {
			// header sync will reach it; a new tip announced mid-sync is not fetched alone
			sp.best = max(sp.best, m.bestHeader+1)
			askHeaders = askHeaders || m.headerPeer == nil
			continue
		}
		if len(direct) < maxDirectGetData && sp.inflight < m.s.cfg.PerPeerInFlight {
			direct = append(direct, InvItem{Type: InvBlock, Hash: h})
			m.inflight[h] = &request{p: p, at: m.s.cfg.Now()}
			sp.inflight++
			m.ordered(sp, h)
		} else {
			askHeaders = true
		}
	}
	m.s.log.Debug("sync: inv", "peer", p, "blocks", len(hashes), "direct", len(direct), "ask_headers", askHeaders, "queued", len(m.want))
	if len(direct) > 0 {
		p.send(&MsgGetData{Items: direct})
	}
	if askHeaders {
		m.requestHeaders(p, m.headerLocator())
	}
}

// headerLocator continues header sync from the best header being downloaded, if any
// (the main-chain locator alone would make the peer resend headers we already have).
func (m *syncManager) headerLocator() []chain.Hash {
	loc := m.s.cfg.Chain.Locator()
	if n := len(m.want); n > 0 && !m.dirty {
		return append([]chain.Hash{m.want[n-1].hash}, loc...)
	}
	return loc
}

// requestHeaders asks p for headers after locator (nil: the main chain's locator).
func (m *syncManager) requestHeaders(p *peer, locator []chain.Hash) {
	if locator == nil {
		locator = m.s.cfg.Chain.Locator()
	}
	if len(locator) > MaxLocatorHashes {
		locator = locator[:MaxLocatorHashes]
	}
	m.headerPeer, m.headerAt = p, m.s.cfg.Now()
	p.send(&MsgGetHeaders{Locator: locator})
}

func (m *syncManager) onHeaders(p *peer, hs []*chain.Header) {
	c := m.s.cfg.Chain
	sp := m.peers[p]
	if sp == nil {
		return
	}
	if m.headerPeer == p {
		m.headerPeer = nil
	}
	if len(hs) == 0 {
		return
	}
	for i := 1; i < len(hs); i++ {
		if hs[i].Prev != hs[i-1].Hash() {
			p.misbehave(ScoreBadHeaders, "headers do not connect")
			return
		}
	}
	if _, ok := c.Height(hs[0].Prev); !ok {
		// not connecting to anything we know: the peer is on a branch we have not seen
		p.unsolicited("headers")
		m.requestHeaders(p, nil)
		return
	}
	last := hs[len(hs)-1].Hash()
	m.s.log.Debug("sync: headers", "peer", p, "count", len(hs), "queued", len(m.want))
	// Validate in chunks and start downloading each chunk's blocks before validating the
	// next, so bodies flow while the rest of a 2,000-header batch is checked.
	for from := 0; from < len(hs); from += headerChunk {
		chunk := hs[from:min(from+headerChunk, len(hs))]
		err := c.ProcessHeaders(chunk, m.s.cfg.Now())
		accepted := m.queueHeaders(p, sp, chunk, last)
		if err != nil {
			if pts := ruleScore(err, true); pts > 0 {
				p.misbehave(pts, "invalid header: "+err.Error())
				return
			}
			var re *chain.RuleError
			if !errors.As(err, &re) {
				m.s.log.Error("process headers", "err", err)
				return
			}
		}
		if !accepted {
			break
		}
		m.fill()
	}
	if len(hs) == MaxHeadersPerMsg && m.headerPeer == nil {
		if len(m.want) < maxWant {
			m.requestHeaders(p, []chain.Hash{last})
		} else {
			m.headerResume = last
		}
	}
	if !m.syncing && m.bestHeader > m.tipHeight()+1 {
		m.syncing = true
		m.progStart, m.progStartH = m.s.cfg.Now(), m.tipHeight()
		m.s.log.Info("sync started", "from", m.progStartH, "to", m.bestHeader, "peer", p)
	}
}

// queueHeaders queues the missing bodies of indexed headers; false if the chain refused one.
func (m *syncManager) queueHeaders(p *peer, sp *syncPeer, hs []*chain.Header, last chain.Hash) bool {
	c := m.s.cfg.Chain
	for _, h := range hs {
		hash := h.Hash()
		height, ok := c.Height(hash)
		if !ok {
			return false // the chain refused it (and the rest)
		}
		if !c.HaveBlock(hash) && !m.busy(hash) {
			m.enqueue(wantItem{hash: hash, height: height})
		}
		if hash == last {
			sp.best = max(sp.best, height)
			p.bestHeight.Store(max(p.bestHeight.Load(), height))
			m.bestHeader = max(m.bestHeader, height)
		}
	}
	return true
}

func (m *syncManager) tipHeight() uint64 {
	_, h := m.s.cfg.Chain.Tip()
	return h
}

func (m *syncManager) onBlock(p *peer, b *chain.Block, size int, at time.Time) {
	c := m.s.cfg.Chain
	h := b.Hash()
	m.s.firstSeen.record(h, p.id, at)
	p.addKnown(h)
	if r := m.inflight[h]; r != nil {
		delete(m.inflight, h)
		if sp := m.peers[r.p]; sp != nil {
			sp.inflight--
			if r.p == p {
				sp.stalls = 0
				sp.lastRecv = m.s.cfg.Now()
				m.skipLost(p, sp, h)
			}
		}
	} else {
		p.unsolicited("block")
	}
	if c.HaveBlock(h) {
		m.s.stats.blocksDup.Add(1)
		return
	}
	if _, ok := m.pending[h]; ok {
		return
	}
	if !c.HaveBlock(b.Header.Prev) {
		if len(m.pending) >= m.pendingLimit {
			return // bounded: it will be fetched again through headers
		}
		m.pending[h] = &pendingBlock{b: b, p: p, size: size, at: at, added: m.s.cfg.Now()}
		m.byPrev[b.Header.Prev] = append(m.byPrev[b.Header.Prev], h)
		if ph, ok := c.Height(b.Header.Prev); !ok {
			if !m.syncing || m.headerPeer == nil {
				m.requestHeaders(p, m.headerLocator())
			}
		} else {
			if sp := m.peers[p]; sp != nil {
				sp.best = max(sp.best, ph+1) // it had the child
			}
			if !m.busy(b.Header.Prev) {
				m.enqueue(wantItem{hash: b.Header.Prev, height: ph})
			}
		}
		return
	}
	if !m.process(p, b, size, at) {
		return
	}
	if sp := m.peers[p]; sp != nil {
		if ht, ok := c.Height(h); ok {
			sp.best = max(sp.best, ht)
		}
	}
	// connect the blocks that were waiting for this one
	queue := []chain.Hash{h}
	for len(queue) > 0 {
		parent := queue[0]
		queue = queue[1:]
		kids := m.byPrev[parent]
		delete(m.byPrev, parent)
		for _, k := range kids {
			pb := m.pending[k]
			delete(m.pending, k)
			if pb != nil && m.process(pb.p, pb.b, pb.size, pb.at) {
				queue = append(queue, k)
			}
		}
	}
}

// process hands one block whose parent is stored to the chain.
func (m *syncManager) process(p *peer, b *chain.Block, size int, at time.Time) bool {
	h := b.Hash()
	res, err := m.s.cfg.Chain.ProcessBlock(b, m.s.cfg.Now())
	if m.s.cfg.OnBlock != nil {
		m.s.cfg.OnBlock(BlockEvent{Hash: h, Peer: p.id, PeerAddr: p.addr, Received: at, Size: size, Result: res, Err: err})
	}
	if err != nil {
		var re *chain.RuleError
		if !errors.As(err, &re) {
			m.s.log.Error("process block", "hash", h, "err", err)
			return false
		}
		if pts := ruleScore(err, true); pts > 0 {
			p.misbehave(pts, "invalid block "+h.String()+": "+err.Error())
		}
		if !errors.Is(err, chain.ErrDuplicateBlock) {
			m.dropPendingDescendants(h)
			return false
		}
	}
	m.s.stats.blocksRecv.Add(1)
	m.progress(false)
	return true
}

func (m *syncManager) removePending(h chain.Hash) {
	pb := m.pending[h]
	if pb == nil {
		return
	}
	delete(m.pending, h)
	kids := m.byPrev[pb.b.Header.Prev]
	for i, k := range kids {
		if k == h {
			kids = append(kids[:i], kids[i+1:]...)
			break
		}
	}
	if len(kids) == 0 {
		delete(m.byPrev, pb.b.Header.Prev)
	} else {
		m.byPrev[pb.b.Header.Prev] = kids
	}
}

func (m *syncManager) dropPendingDescendants(h chain.Hash) {
	queue := []chain.Hash{h}
	for len(queue) > 0 {
		x := queue[0]
		queue = queue[1:]
		for _, k := range m.byPrev[x] {
			delete(m.pending, k)
			queue = append(queue, k)
		}
		delete(m.byPrev, x)
	}
}
