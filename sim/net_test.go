package sim

import (
	"math/rand/v2"
	"testing"
	"time"

	"chainlab/lab"
)

func testNet(p lab.LinkParams) (*scheduler, *network) {
	s := &scheduler{}
	nw := newNetwork(s, rand.New(rand.NewPCG(1, 2)), 3, []lab.Edge{{A: 0, B: 1, LinkParams: p}, {A: 1, B: 2, LinkParams: p}})
	return s, nw
}

// TestLinkBandwidthQueue: a message takes size·8/bandwidth to transmit plus the delay, and
// messages in one direction queue behind each other; the other direction is independent.
func TestLinkBandwidthQueue(t *testing.T) {
	s, nw := testNet(lab.LinkParams{Delay: lab.D(100 * time.Millisecond), Bandwidth: 800}) // 800 kbit/s = 100 kB/s
	got := map[string]time.Duration{}
	rec := func(k string) func() { return func() { got[k] = time.Duration(s.now) } }
	nw.send(0, 1, 10000, rec("first")) // 100 ms to transmit
	nw.send(0, 1, 10000, rec("second"))
	nw.send(1, 0, 10000, rec("reverse"))
	s.run(int64(time.Hour), nil)
	want := map[string]time.Duration{"first": 200 * time.Millisecond, "second": 300 * time.Millisecond, "reverse": 200 * time.Millisecond}
	for k, v := range want {
		if got[k] != v {
			t.Fatalf("%s arrived at %v, want %v (all: %v)", k, got[k], v, got)
		}
	}
}

// TestLinkJitterLossPartition: jitter stays within ± of the delay, loss drops about the
// configured share, partitions and missing links drop everything.
func TestLinkJitterLossPartition(t *testing.T) {
	s, nw := testNet(lab.LinkParams{Delay: lab.D(100 * time.Millisecond), Jitter: lab.D(30 * time.Millisecond), Loss: 0.2})
	arrived := 0
	const n = 5000
	for i := 0; i < n; i++ {
		start := s.now
		nw.send(0, 1, 100, func() {
			arrived++
			if d := s.now - start; d < int64(70*time.Millisecond) || d > int64(130*time.Millisecond) {
				t.Fatalf("delay %v outside 100ms ± 30ms", time.Duration(d))
			}
		})
		s.run(s.now+int64(time.Second), nil)
	}
	if share := float64(n-arrived) / n; share < 0.17 || share > 0.23 {
		t.Fatalf("lost %.3f, want ≈ 0.2", share)
	}
	if nw.send(0, 2, 100, func() {}) {
		t.Fatal("sent over a link that does not exist")
	}
	nw.group[1] = 1
	if nw.send(0, 1, 100, func() { t.Fatal("delivered across a partition") }) {
		t.Fatal("sent across a partition")
	}
	s.run(s.now+int64(time.Second), nil)
}

// TestSchedulerOrder: events run in time order, ties in scheduling order.
func TestSchedulerOrder(t *testing.T) {
	s := &scheduler{}
	var got []int
	s.at(20, func() { got = append(got, 3) })
	s.at(10, func() { got = append(got, 1) })
	s.at(10, func() { got = append(got, 2); s.after(0, func() { got = append(got, 4) }) })
	s.run(100, nil)
	if len(got) != 4 || got[0] != 1 || got[1] != 2 || got[2] != 4 || got[3] != 3 {
		t.Fatalf("order %v", got)
	}
	if s.now != 100 {
		t.Fatalf("clock %d after run to 100", s.now)
	}
}
