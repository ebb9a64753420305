package lab

import (
	"testing"
	"time"
)

func TestInverseFaults(t *testing.T) {
	for in, want := range map[string]string{FaultKill: FaultRestart, FaultStop: FaultRestart, FaultPause: FaultResume,
		FaultPartition: FaultHeal, FaultDisconnect: FaultReconnect} {
		g, ok := inverse(FaultSpec{Action: in, Nodes: []string{"n1"}, A: []string{"n0"}})
		if !ok || g.Action != want || len(g.Nodes) != 1 || len(g.A) != 1 {
			t.Errorf("inverse(%s) = %+v %v", in, g, ok)
		}
	}
	if _, ok := inverse(FaultSpec{Action: FaultHashRate}); ok {
		t.Error("hashrate has no inverse")
	}
}

func TestBaseCuts(t *testing.T) {
	m, err := ParseManifest([]byte("consensus = \"pow\"\nduration = \"1m\"\n[nodes]\ncount = 4\n[network]\ntopology = \"line\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	n, err := NewNet(NetConfig{Dir: t.TempDir(), Manifest: m, Binary: "/bin/false"})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Prepare(time.Unix(1_800_000_000, 0)); err != nil {
		t.Fatal(err)
	}
	cuts := n.BaseCuts()
	// Line 0-1-2-3: node 0 is cut from 2 and 3, node 1 from 3, and symmetric.
	want := []map[int]bool{{2: true, 3: true}, {3: true}, {0: true}, {0: true, 1: true}}
	for i := range want {
		if len(cuts[i]) != len(want[i]) {
			t.Fatalf("node %d cuts %v, want %v", i, cuts[i], want[i])
		}
		for j := range want[i] {
			if !cuts[i][j] {
				t.Fatalf("node %d cuts %v, want %v", i, cuts[i], want[i])
			}
		}
	}
	full, _ := ParseManifest([]byte("consensus = \"pow\"\nduration = \"1m\"\n"))
	nf, _ := NewNet(NetConfig{Dir: t.TempDir(), Manifest: full, Binary: "/bin/false"})
	if err := nf.Prepare(time.Unix(1_800_000_000, 0)); err != nil {
		t.Fatal(err)
	}
	for i, c := range nf.BaseCuts() {
		if len(c) != 0 {
			t.Fatalf("full mesh node %d has cuts %v", i, c)
		}
	}
}

func TestDisruptedWindows(t *testing.T) {
	tr := &Trace{Faults: []FaultEvent{{At: 10, End: 20, Action: FaultPartition}, {At: 30, End: -1, Action: FaultPause}, {At: 5, End: -1, Action: FaultHashRate}}}
	d := disruptedWindows(tr)
	for _, c := range []struct {
		from, to float64
		want     bool
	}{{1, 2, false}, {9, 10.5, true}, {15, 16, true}, {20.1, 25, false}, {29, 31, true}, {100, 101, true}, {5, 6, false}} {
		if got := d(c.from, c.to); got != c.want {
			t.Errorf("[%v,%v] disrupted = %v, want %v", c.from, c.to, got, c.want)
		}
	}
}
