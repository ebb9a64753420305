package p2p

import (
	"testing"
	"time"

	"chainlab/chain"
)

func TestLinkScheduleDelayBandwidthOrder(t *testing.T) {
	rng := newLockedRand(1)
	t0 := time.Unix(1000, 0)
	l := &linkState{params: LinkParams{Delay: 100 * time.Millisecond, Bandwidth: 1000}}
	at1, drop := l.schedule(t0, 500, rng)
	if drop || at1 != t0.Add(600*time.Millisecond) {
		t.Fatalf("first: %v %v", at1.Sub(t0), drop)
	}
	// the second message queues behind the first on the emulated wire
	at2, _ := l.schedule(t0, 500, rng)
	if at2 != t0.Add(1100*time.Millisecond) {
		t.Fatalf("second: %v", at2.Sub(t0))
	}
	// jitter never reorders
	j := &linkState{params: LinkParams{Delay: 10 * time.Millisecond, Jitter: 50 * time.Millisecond}}
	prev := time.Time{}
	for i := 0; i < 1000; i++ {
		at, _ := j.schedule(t0.Add(time.Duration(i)*time.Millisecond), 10, rng)
		if at.Before(prev) {
			t.Fatalf("reordered at %d", i)
		}
		if d := at.Sub(t0.Add(time.Duration(i) * time.Millisecond)); d < 10*time.Millisecond {
			t.Fatalf("delay %v below the base", d)
		}
		prev = at
	}
}

func TestLinkLossDeterministic(t *testing.T) {
	pattern := func(seed uint64) (drops int, bits uint64) {
		rng := newLockedRand(seed)
		l := &linkState{params: LinkParams{Loss: 0.3}}
		for i := 0; i < 1000; i++ {
			if _, d := l.schedule(time.Unix(0, 0), 1, rng); d {
				drops++
				if i < 64 {
					bits |= 1 << i
				}
			}
		}
		return
	}
	d1, b1 := pattern(7)
	d2, b2 := pattern(7)
	if d1 != d2 || b1 != b2 {
		t.Fatal("same seed, different losses")
	}
	if d1 < 240 || d1 > 360 {
		t.Fatalf("%d drops of 1000 at 30%%", d1)
	}
	if _, b3 := pattern(8); b3 == b1 {
		t.Fatal("different seeds, same losses")
	}
}

func TestPartitionBlocked(t *testing.T) {
	a, b, c, d := NodeID{1}, NodeID{2}, NodeID{3}, NodeID{4}
	p := newPartition([][]NodeID{{a, b}, {c}})
	for _, x := range []struct {
		x, y NodeID
		want bool
	}{{a, b, false}, {a, c, true}, {c, b, true}, {a, d, false}, {d, c, false}} {
		if got := p.blocked(x.x, x.y); got != x.want {
			t.Errorf("blocked(%v,%v)=%v", x.x, x.y, got)
		}
	}
	if newPartition(nil).blocked(a, c) {
		t.Error("nil partition blocks")
	}
	if g := p.groups(); len(g) != 2 || len(g[0]) != 2 || len(g[1]) != 1 {
		t.Errorf("groups %v", g)
	}
}

func TestLinkEmulationOverWebsocket(t *testing.T) {
	a := startNode(t, newFakeChain(1000))
	b := startNode(t, newFakeChain(1000))
	a.connect(b)
	waitFor(t, 5*time.Second, "connected", func() bool { return b.hasPeer(a.id) })

	const delay = 150 * time.Millisecond
	if err := a.s.SetLink(b.id, LinkParams{Delay: delay}); err != nil {
		t.Fatal(err)
	}
	if err := b.s.SetLink(a.id, LinkParams{Delay: delay}); err != nil {
		t.Fatal(err)
	}
	if got := a.s.Links()[b.id]; got.Delay != delay {
		t.Fatalf("Links() = %v", a.s.Links())
	}
	if p := a.s.Peers()[0]; p.Link.Delay != delay {
		t.Fatalf("peer link %+v", p.Link)
	}
	start := time.Now()
	blk := a.c.(*fakeChain).extend(1, 1)[0]
	a.s.BroadcastBlock(blk)
	waitFor(t, 5*time.Second, "delayed relay", func() bool { return b.tip() == blk.Hash() })
	// inv a→b, getdata b→a, block a→b: three delayed legs
	if el := time.Since(start); el < 3*delay {
		t.Fatalf("block arrived after %v, want >= %v", el, 3*delay)
	}

	// removing the emulation restores the fast path (no link state at all)
	_ = a.s.SetLink(b.id, LinkParams{})
	_ = b.s.SetLink(a.id, LinkParams{})
	for _, p := range a.s.peerList() {
		p.mu.Lock()
		has := p.link != nil
		p.mu.Unlock()
		if has {
			t.Fatal("zero params left link state")
		}
	}

	// total loss: nothing gets through until it is lifted
	_ = a.s.SetLink(b.id, LinkParams{Loss: 1})
	blk2 := a.c.(*fakeChain).extend(1, 2)[0]
	a.s.BroadcastBlock(blk2)
	deadline := time.Now().Add(300 * time.Millisecond)
	for time.Now().Before(deadline) {
		if b.tip() == blk2.Hash() {
			t.Fatal("block crossed a link with 100% loss")
		}
		time.Sleep(10 * time.Millisecond)
	}
	_ = a.s.SetLink(b.id, LinkParams{}) // re-announces the tip
	waitFor(t, 5*time.Second, "relay after loss lifted", func() bool { return b.tip() == blk2.Hash() })
	if err := a.s.SetLink(b.id, LinkParams{Loss: 2}); err == nil {
		t.Fatal("loss 2 accepted")
	}
}

func TestBanScoreDecay(t *testing.T) {
	var s banScore
	t0 := time.Unix(0, 0)
	s.add(t0, time.Minute, 80)
	if v := s.get(t0.Add(time.Minute), time.Minute); v < 39.9 || v > 40.1 {
		t.Fatalf("after one half-life: %v", v)
	}
	if v := s.add(t0.Add(time.Minute), time.Minute, 60); v < 99.9 || v > 100.1 {
		t.Fatalf("after add: %v", v)
	}
	var f floodBucket
	n := 0
	for i := 0; i < 1000; i++ {
		if f.take(t0) {
			n++
		}
	}
	if n != int(floodBurst) {
		t.Fatalf("burst %d", n)
	}
	if !f.take(t0.Add(time.Second)) {
		t.Fatal("bucket did not refill")
	}
}

// TestLossyLinksConverge: a line of four nodes whose links delay, jitter and drop 20 % of
// messages still converges: stalls re-request, header sync retries, the tip refresh
// re-announces what the loss ate.
func TestLossyLinksConverge(t *testing.T) {
	tn := newTestNet(t, realMaker, 4, func(c *Config) {
		c.StallTimeout = 300 * time.Millisecond
		c.TipRefresh = 400 * time.Millisecond
	})
	tn.line()
	for i, n := range tn.nodes {
		for _, j := range []int{i - 1, i + 1} {
			if j >= 0 && j < len(tn.nodes) {
				lp := LinkParams{Delay: 5 * time.Millisecond, Jitter: 5 * time.Millisecond, Loss: 0.2, Bandwidth: 1 << 20}
				if err := n.s.SetLink(tn.nodes[j].id, lp); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	var last *chain.Block
	for i := 0; i < 5; i++ {
		bs := tn.mine(0, 20, byte(i))
		last = bs[len(bs)-1]
	}
	if tip := tn.converged(60 * time.Second); tip != last.Hash() {
		t.Fatalf("converged on %s, want %s", tip, last.Hash())
	}
	t.Logf("converged at%s", tn.heights())
}
