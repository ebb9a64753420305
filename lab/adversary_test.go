package lab

import (
	"errors"
	"os"
	"slices"
	"testing"
	"time"
)

func TestAdversaryFlagsReachTheNodes(t *testing.T) {
	src, err := os.ReadFile("../examples/pos-double-vote.toml")
	if err != nil {
		t.Fatal(err)
	}
	m, err := ParseManifest(src)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	n, err := NewNet(NetConfig{Dir: dir, Manifest: m, Binary: "/bin/false"})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Prepare(time.Unix(1_800_000_000, 0)); err != nil {
		t.Fatal(err)
	}
	st, err := LoadNetState(dir)
	if err != nil {
		t.Fatal(err)
	}
	for i, ns := range st.Nodes {
		args := NodeArgs(&ns, st.Genesis)
		j := slices.Index(args, "--adversary")
		if (i == 3) != (j >= 0) {
			t.Fatalf("node %s args %v", ns.Name, args)
		}
		if j >= 0 && args[j+1] != AdvDoubleVote {
			t.Fatalf("node %s runs %q", ns.Name, args[j+1])
		}
	}
	ev := adversaryEvent(m.Adv[0], []int{3}, 0)
	if ev.Err != "" {
		t.Fatalf("a node-run strategy is reported as not applied: %+v", ev)
	}
}

func TestAdversaryFlagsOneStrategyPerNode(t *testing.T) {
	m, err := ParseManifest([]byte(`
consensus = "pos"
duration = "1m"
[nodes]
count = 3
[[adversary]]
nodes = ["n1"]
strategy = "double-vote"
[[adversary]]
nodes = ["n1", "n2"]
strategy = "withhold"
`))
	if err != nil {
		t.Fatal(err)
	}
	n, err := NewNet(NetConfig{Dir: t.TempDir(), Manifest: m, Binary: "/bin/false"})
	if err != nil {
		t.Fatal(err)
	}
	err = n.Prepare(time.Unix(1_800_000_000, 0))
	var me *ManifestError
	if !errors.As(err, &me) || me.Key != "adversary[1].nodes" {
		t.Fatalf("err %v", err)
	}
	t.Log(err)
	// Simulator-only strategies stay recorded as not applied.
	if ev := adversaryEvent(AdvSpec{Nodes: []string{"n0"}, Strategy: AdvEquivocate}, []int{0}, 0); ev.Err == "" {
		t.Fatal("equivocate reported as applied on real nodes")
	}
}
