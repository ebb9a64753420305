package lab

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestExamplesParse(t *testing.T) {
	files, err := filepath.Glob("../examples/*.toml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no examples: %v", err)
	}
	for _, f := range files {
		m, err := LoadManifest(f)
		if err != nil {
			t.Errorf("%s: %v", f, err)
			continue
		}
		plan, err := m.Resolve()
		if err != nil {
			t.Errorf("%s: resolve: %v", f, err)
			continue
		}
		if _, err := BuildGenesis(m, plan, time.Unix(1_800_000_000, 0)); err != nil {
			t.Errorf("%s: genesis: %v", f, err)
		}
	}
}

func TestManifestErrorsNameTheKey(t *testing.T) {
	base := "consensus = \"pow\"\nduration = \"10s\"\n"
	cases := []struct {
		name, src, key string
	}{
		{"unknown top", base + "durration = \"5s\"\n", "durration"},
		{"unknown nested", base + "[network]\ntopolgy = \"ring\"\n", "network.topolgy"},
		{"unknown in array", base + "[[fault]]\nat = \"1s\"\naction = \"heal\"\nnodez = [\"n0\"]\n", "fault.nodez"},
		{"bad consensus", "consensus = \"pox\"\nduration = \"1s\"\n", "consensus"},
		{"no stop", "consensus = \"pow\"\n", "duration"},
		{"bad duration", "consensus = \"pow\"\nduration = \"ten\"\n", "duration"},
		{"loss", base + "[network]\nloss = 1.5\n", "network.loss"},
		{"topology", base + "[network]\ntopology = \"mesh\"\n", "network.topology"},
		{"degree", base + "[network]\ntopology = \"random\"\ndegree = 9\n", "network.degree"},
		{"spacing", base + "[pow]\ntarget_spacing = \"1500ms\"\n", "pow.target_spacing"},
		{"slot", "consensus = \"pos\"\nduration = \"1s\"\n[pos]\nslot = \"10ms\"\n", "pos.slot"},
		{"slot fraction", "consensus = \"pos\"\nduration = \"1s\"\n[pos]\nslot = \"1500ms\"\n", "pos.slot"},
		{"node name", base + "[[node]]\nname = \"all\"\n", "node[0].name"},
		{"dup node", base + "[[node]]\nname = \"x\"\n[[node]]\nname = \"x\"\n", "node[1].name"},
		{"count mismatch", base + "[nodes]\ncount = 3\n[[node]]\nname = \"x\"\n", "nodes.count"},
		{"no miners", base + "[nodes]\nhashrate = -1\n", "nodes.hashrate"},
		{"fault node", base + "[[fault]]\nat = \"1s\"\naction = \"kill\"\nnodes = [\"n9\"]\n", "fault[0].nodes"},
		{"fault action", base + "[[fault]]\nat = \"1s\"\naction = \"explode\"\nnodes = [\"n1\"]\n", "fault[0].action"},
		{"fault late", base + "[[fault]]\nat = \"11s\"\naction = \"heal\"\n", "fault[0].at"},
		{"partition overlap", base + "[[fault]]\nat = \"1s\"\naction = \"partition\"\na = [\"n0\"]\nb = [\"n0\",\"n1\"]\n", "fault[0].b"},
		{"partition all", base + "[[fault]]\nat = \"1s\"\naction = \"partition\"\na = [\"all\"]\n", "fault[0].a"},
		{"hashrate on pos", "consensus = \"pos\"\nduration = \"10s\"\n[[fault]]\nat = \"1s\"\naction = \"hashrate\"\nnodes = [\"n0\"]\nhashrate = 5\n", "fault[0].action"},
		{"stake missing", "consensus = \"pos\"\nduration = \"10s\"\n[[fault]]\nat = \"1s\"\naction = \"stake\"\nnodes = [\"n0\"]\n", "fault[0].stake"},
		{"adv engine", base + "[[adversary]]\nnodes = [\"n0\"]\nstrategy = \"double-vote\"\n", "adversary[0].strategy"},
		{"adv gamma", base + "[[adversary]]\nnodes = [\"n0\"]\nstrategy = \"selfish\"\ngamma = 2.0\n", "adversary[0].gamma"},
		{"load pattern", base + "[load]\nrate = 1\npattern = \"wave\"\n", "load.pattern"},
		{"load node", base + "[load]\nrate = 1\nnodes = [\"zz\"]\n", "load.nodes[0]"},
		{"link node", base + "[[link]]\na = \"n0\"\nb = \"q\"\n", "link[0].b"},
		{"link jitter", base + "[[link]]\na = \"n0\"\nb = \"n1\"\njitter = \"-1s\"\n", "link[0].jitter"},
		{"wrong type", base + "[nodes]\ncount = \"four\"\n", "nodes.count"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			_, err := ParseManifest([]byte(c.src))
			if err == nil {
				t.Fatalf("accepted:\n%s", c.src)
			}
			var me *ManifestError
			if !errors.As(err, &me) {
				t.Fatalf("error %v is not a *ManifestError", err)
			}
			if me.Key != c.key {
				t.Fatalf("key = %q, want %q (%v)", me.Key, c.key, err)
			}
			if !strings.Contains(err.Error(), c.key) {
				t.Fatalf("message %q does not name %q", err, c.key)
			}
		})
	}
}

func TestManifestDefaultsAndPlan(t *testing.T) {
	m, err := ParseManifest([]byte(`
consensus = "pos"
seed = 9
blocks = 50
[[node]]
name = "a"
stake = 3000
[[node]]
name = "b"
[[node]]
name = "c"
stake = 0
[network]
topology = "star"
hub = "b"
delay = "5ms"
[[link]]
a = "a"
b = "c"
delay = "100ms"
[[fault]]
at = "3s"
action = "partition"
a = ["a"]
for = "2s"
`))
	if err != nil {
		t.Fatal(err)
	}
	if m.PoS.Slot.Duration != time.Second || m.PoS.EpochSlots != 8 || m.MaxDuration.Duration != 10*time.Minute {
		t.Fatalf("defaults not applied: %+v", m.PoS)
	}
	p, err := m.Resolve()
	if err != nil {
		t.Fatal(err)
	}
	if got := p.Share("pos", 0); got != 0.75 {
		t.Fatalf("share of a = %v, want 0.75", got)
	}
	if p.Share("pos", 2) != 0 {
		t.Fatal("c has no stake")
	}
	// star around b: a-b, b-c; plus the explicit a-c link.
	want := []Edge{{A: 0, B: 1}, {A: 1, B: 2}, {A: 0, B: 2}}
	if len(p.Edges) != len(want) {
		t.Fatalf("edges %+v", p.Edges)
	}
	for i, e := range want {
		if p.Edges[i].A != e.A || p.Edges[i].B != e.B {
			t.Fatalf("edge %d = %d-%d, want %d-%d", i, p.Edges[i].A, p.Edges[i].B, e.A, e.B)
		}
	}
	if p.Edges[2].Delay.Duration != 100*time.Millisecond || p.Edges[0].Delay.Duration != 5*time.Millisecond {
		t.Fatalf("link params %+v", p.Edges)
	}
	g, err := BuildGenesis(m, p, time.Unix(1_800_000_000, 0))
	if err != nil {
		t.Fatal(err)
	}
	if len(g.PoS.Validators) != 2 || g.PoS.Validators[0].Stake != 3000*1e8 {
		t.Fatalf("validators %+v", g.PoS.Validators)
	}
}

func TestTopologies(t *testing.T) {
	for _, c := range []struct {
		topo  string
		n     int
		edges int
	}{{"full", 5, 10}, {"line", 5, 4}, {"ring", 5, 5}, {"star", 5, 4}, {"ring", 2, 1}} {
		nw := NetworkSection{Topology: c.topo, Degree: 2}
		p := &Plan{}
		es, err := topologyEdges(nw, c.n, 1, p)
		if err != nil {
			t.Fatal(err)
		}
		if len(es) != c.edges {
			t.Errorf("%s/%d: %d edges, want %d", c.topo, c.n, len(es), c.edges)
		}
	}
	// random-k is connected, every node has at least k links, and the seed fixes it.
	nw := NetworkSection{Topology: "random", Degree: 3}
	a, _ := topologyEdges(nw, 12, 42, &Plan{})
	b, _ := topologyEdges(nw, 12, 42, &Plan{})
	c, _ := topologyEdges(nw, 12, 43, &Plan{})
	if len(a) != len(b) {
		t.Fatal("same seed, different graphs")
	}
	for i := range a {
		if a[i] != b[i] {
			t.Fatal("same seed, different graphs")
		}
	}
	same := len(a) == len(c)
	for i := 0; same && i < len(a); i++ {
		same = a[i] == c[i]
	}
	if same {
		t.Fatal("different seeds gave the same random graph")
	}
	deg := make([]int, 12)
	for _, e := range a {
		deg[e.A]++
		deg[e.B]++
	}
	for i, d := range deg {
		if d < 3 {
			t.Errorf("node %d has degree %d < 3", i, d)
		}
	}
}

func TestBitsForHashRate(t *testing.T) {
	// 40 kH/s at 1 s: target ≈ 2^256/40000.
	bits := bitsForHashRate(40000, time.Second, 0x207fffff)
	w := chainWork(bits)
	if w < 39000 || w > 41000 {
		t.Fatalf("bits %08x give %v expected hashes per block, want ~40000", bits, w)
	}
	if bitsForHashRate(0.5, time.Second, 0x207fffff) != 0x207fffff {
		t.Fatal("tiny hash rates must clamp to the limit")
	}
}

func TestManifestFileError(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "m.toml")
	os.WriteFile(f, []byte("consensus = \"pow\"\nduration = \"1s\"\nbogus = 1\n"), 0o644)
	_, err := LoadManifest(f)
	if err == nil || !strings.Contains(err.Error(), "bogus") || !strings.Contains(err.Error(), f) {
		t.Fatalf("error %v should name the file and the key", err)
	}
}
