package p2p

import (
	"testing"
	"time"

	"chainlab/chain"
)

// TestStallingPeerIsBypassed: a peer that serves headers but never blocks is worked around
// (its requests move to an honest peer after StallTimeout; three stalls in a row drop it).
func TestStallingPeerIsBypassed(t *testing.T) {
	src := startNode(t, realMaker(t))
	src.c.(testChain).mine(t, 200, 1)
	fresh := startNode(t, realMaker(t), func(c *Config) { c.StallTimeout = 300 * time.Millisecond })

	id := NodeID{0x70}
	r := dialRaw(t, fresh.s.ListenAddr())
	if err := r.handshakeBest(id, src.c.GenesisHash(), 200); err != nil {
		t.Fatal(err)
	}
	getdata := make(chan int, 100)
	go func() {
		for {
			m, err := r.read()
			if err != nil {
				return
			}
			switch m := m.(type) {
			case *MsgGetHeaders:
				_ = r.send(&MsgHeaders{Headers: src.c.HeadersAfter(m.Locator, m.Stop, MaxHeadersPerMsg)})
			case *MsgPing:
				_ = r.send(&MsgPong{Nonce: m.Nonce})
			case *MsgGetData:
				select {
				case getdata <- len(m.Items):
				default:
				}
			}
		}
	}()
	select {
	case <-getdata: // the staller was asked for blocks
	case <-time.After(5 * time.Second):
		t.Fatal("staller never asked for blocks")
	}
	fresh.connect(src)
	waitFor(t, 20*time.Second, "sync around the staller", func() bool { return fresh.tip() == src.tip() })
	if fresh.s.IsBanned(id) {
		t.Fatal("a slow peer is dropped, not banned")
	}
}

// TestUnsolicitedFloodBans: unrequested transactions beyond the flood allowance score
// until the peer is banned.
func TestUnsolicitedFloodBans(t *testing.T) {
	c := newFakeChain(1000)
	n := startNode(t, c, func(cfg *Config) { cfg.TxPool = c.txPool() })
	id := NodeID{0x71}
	r := dialRaw(t, n.s.ListenAddr())
	if err := r.handshake(id, c.GenesisHash()); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < int(floodBurst)+200; i++ {
		if err := r.send(&MsgTx{Tx: c.goodTx(1000 + i)}); err != nil {
			break // closed: banned
		}
	}
	expectBanned(t, n, r, id)
}

func TestHandshakeTimeout(t *testing.T) {
	n := startNode(t, newFakeChain(1000), func(c *Config) { c.HandshakeTimeout = 200 * time.Millisecond })
	r := dialRaw(t, n.s.ListenAddr())
	// say nothing: the node gives up after its handshake timeout
	if err := r.waitClosed(5 * time.Second); err == nil {
		t.Fatal("not closed")
	}
}

func TestMaxInbound(t *testing.T) {
	hub := startNode(t, newFakeChain(1000), func(c *Config) { c.MaxInbound = 2 })
	var ok int
	for i := 0; i < 4; i++ {
		n := startNode(t, newFakeChain(1000))
		if _, err := n.s.Connect(t.Context(), hub.s.ListenAddr()); err == nil {
			ok++
		}
	}
	if ok != 2 {
		t.Fatalf("%d connects succeeded, want 2", ok)
	}
	waitFor(t, 5*time.Second, "hub registers 2", func() bool { return len(hub.s.Peers()) == 2 })
}

// TestVoteRelay: votes travel through a node with a vote pool, and invalid ones score.
func TestVoteRelay(t *testing.T) {
	pools := []*fakeVotePool{newFakeVotePool(), newFakeVotePool(), newFakeVotePool()}
	tn := newTestNet(t, fakeMaker, 0)
	for i := range pools {
		tn.add(func(c *Config) { c.VotePool = pools[i] })
	}
	tn.line()
	v := &chain.Vote{Validator: [32]byte{1}, Slot: 9, Target: chain.Checkpoint{Epoch: 1}}
	_ = pools[0].AddVote(v, time.Now())
	tn.nodes[0].s.BroadcastVote(v)
	waitFor(t, 5*time.Second, "vote relayed", func() bool { return pools[2].HasVote(v.Hash()) })
	e := &chain.Evidence{Kind: chain.EvidenceDoubleVote, VoteA: *v, VoteB: *v}
	_ = pools[2].AddEvidence(e, time.Now())
	tn.nodes[2].s.BroadcastEvidence(e)
	waitFor(t, 5*time.Second, "evidence relayed", func() bool { return pools[0].HasEvidence(e.Hash()) })
}

type fakeVotePool struct {
	votes map[chain.Hash]*chain.Vote
	evs   map[chain.Hash]*chain.Evidence
	mu    chan struct{}
}

func newFakeVotePool() *fakeVotePool {
	p := &fakeVotePool{votes: map[chain.Hash]*chain.Vote{}, evs: map[chain.Hash]*chain.Evidence{}, mu: make(chan struct{}, 1)}
	return p
}

func (p *fakeVotePool) lock()   { p.mu <- struct{}{} }
func (p *fakeVotePool) unlock() { <-p.mu }

func (p *fakeVotePool) AddVote(v *chain.Vote, now time.Time) error {
	if v.Slot == badVersion {
		return chain.NewRuleError(chain.ErrBadVote, "bad")
	}
	p.lock()
	defer p.unlock()
	p.votes[v.Hash()] = v
	return nil
}
func (p *fakeVotePool) HasVote(h chain.Hash) bool {
	p.lock()
	defer p.unlock()
	return p.votes[h] != nil
}
func (p *fakeVotePool) GetVote(h chain.Hash) (*chain.Vote, bool) {
	p.lock()
	defer p.unlock()
	v, ok := p.votes[h]
	return v, ok
}
func (p *fakeVotePool) AddEvidence(e *chain.Evidence, now time.Time) error {
	p.lock()
	defer p.unlock()
	p.evs[e.Hash()] = e
	return nil
}
func (p *fakeVotePool) HasEvidence(h chain.Hash) bool {
	p.lock()
	defer p.unlock()
	return p.evs[h] != nil
}
func (p *fakeVotePool) GetEvidence(h chain.Hash) (*chain.Evidence, bool) {
	p.lock()
	defer p.unlock()
	e, ok := p.evs[h]
	return e, ok
}
