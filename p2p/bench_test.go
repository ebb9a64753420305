package p2p

import (
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"chainlab/chain"
)

func benchBlocks() int {
	if v, err := strconv.Atoi(os.Getenv("P2P_BENCH_BLOCKS")); err == nil && v > 0 {
		return v
	}
	return 3000
}

// BenchmarkSync measures a fresh node (real chain, memory store) catching up with n
// coinbase-only blocks from three peers over loopback websockets, against the same node's
// local connect rate (decode + ProcessBlock of the same blocks, no network).
func BenchmarkSync(b *testing.B) {
	n := benchBlocks()
	tn := newTestNet(b, realMaker, 3)
	tn.line()
	tn.nodes[2].connect(tn.nodes[0])
	tn.mine(0, n, 1)
	tn.converged(2 * time.Minute)
	src := tn.nodes[0].c

	// the same blocks connected locally (decode + ProcessBlock), measured in every iteration
	// next to the network sync so both see the same machine load
	var raw [][]byte
	for h := uint64(1); h <= uint64(n); h++ {
		hash, _ := src.(*realChain).HashAt(h)
		bb, err := src.BlockBytes(hash)
		if err != nil {
			b.Fatal(err)
		}
		raw = append(raw, bb)
	}
	var localTotal, total time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		local := realMaker(b)
		t0 := time.Now()
		for _, bb := range raw {
			blk, err := chain.DecodeBlock(bb)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := local.ProcessBlock(blk, time.Now()); err != nil {
				b.Fatal(err)
			}
		}
		localTotal += time.Since(t0)
		fresh := startNode(b, realMaker(b))
		b.StartTimer()
		start := time.Now()
		for _, o := range tn.nodes[:3] {
			fresh.connect(o)
		}
		waitFor(b, 5*time.Minute, "sync", func() bool { return fresh.tip() == tn.nodes[0].tip() })
		total += time.Since(start)
		b.StopTimer()
		fresh.s.Stop()
		b.StartTimer()
	}
	localRate := float64(n*b.N) / localTotal.Seconds()
	netRate := float64(n*b.N) / total.Seconds()
	b.ReportMetric(netRate, "blocks/s")
	b.ReportMetric(localRate, "local-blocks/s")
	b.ReportMetric(100*netRate/localRate, "%-of-local")
}

// BenchmarkPropagationRing8 mines a block at one node of an 8-node ring and measures the
// time until every node has it (the farthest is 4 hops away).
func BenchmarkPropagationRing8(b *testing.B) {
	var mu sync.Mutex
	seen := make(map[chain.Hash]int)
	done := make(chan chain.Hash, 16)
	tn := newTestNet(b, realMaker, 8, func(c *Config) {
		c.TargetOutbound = 1 // keep the ring: no extra links from address gossip
		c.OnBlock = func(ev BlockEvent) {
			if ev.Err != nil {
				return
			}
			mu.Lock()
			seen[ev.Hash]++
			all := seen[ev.Hash] == 7
			mu.Unlock()
			if all {
				done <- ev.Hash
			}
		}
	})
	for i := range tn.nodes {
		tn.nodes[i].connect(tn.nodes[(i+1)%8])
	}
	waitFor(b, 10*time.Second, "ring", func() bool {
		for _, n := range tn.nodes {
			if len(n.s.Peers()) < 2 {
				return false
			}
		}
		return true
	})
	var lat []time.Duration
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		blk := tn.mine(i%8, 1, byte(i))[0]
		for h := range done {
			if h == blk.Hash() {
				break
			}
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "median-ms")
	b.ReportMetric(float64(lat[len(lat)*95/100].Microseconds())/1000, "p95-ms")
}

// BenchmarkRelay1MB relays a 1 MB block (~3,700 transactions) to one peer: inv, getdata,
// the block, decode and (fake, cheap) processing at the receiver.
func BenchmarkRelay1MB(b *testing.B) {
	got := make(chan chain.Hash, 1)
	fa, fb := newFakeChain(1000), newFakeChain(1000)
	a := startNode(b, fa)
	bn := startNode(b, fb, func(c *Config) {
		c.OnBlock = func(ev BlockEvent) {
			if ev.Err == nil {
				got <- ev.Hash
			}
		}
	})
	a.connect(bn)
	waitFor(b, 5*time.Second, "connected", func() bool { return bn.hasPeer(a.id) })
	mk := func(tag int) *chain.Block {
		tip, _ := fa.Tip()
		blk := fa.child(tip, byte(tag))
		for size := blk.SerializeSize(); size < 1_000_000-300; {
			tx := fa.goodTx(len(blk.Txs) + tag*10_000)
			for len(tx.Outputs) < 5 {
				tx.Outputs = append(tx.Outputs, chain.TxOut{Value: 1, Lock: chain.PayTo([32]byte{byte(len(tx.Outputs))})})
			}
			blk.Txs = append(blk.Txs, tx)
			size += tx.SerializeSize()
		}
		if _, err := fa.ProcessBlock(blk, time.Now()); err != nil {
			b.Fatal(err)
		}
		if _, err := fa.BlockBytes(blk.Hash()); err != nil { // stored encoding, as a real store has
			b.Fatal(err)
		}
		return blk
	}
	size := mk(0).SerializeSize()
	a.s.AnnounceTip()
	<-got
	b.SetBytes(int64(size))
	var lat []time.Duration
	b.ResetTimer()
	for i := 1; i <= b.N; i++ {
		b.StopTimer()
		blk := mk(i)
		b.StartTimer()
		start := time.Now()
		a.s.BroadcastBlock(blk)
		if h := <-got; h != blk.Hash() {
			b.Fatalf("got %s", h)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(size)/1e6, "MB/block")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds())/1000, "median-ms")
	b.ReportMetric(float64(lat[0].Microseconds())/1000, "min-ms")
}
