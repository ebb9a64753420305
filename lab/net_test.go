package lab

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"chainlab/chain"
	"chainlab/genesis"
)

func TestBuiltinManifests(t *testing.T) {
	ms, err := BuiltinManifests()
	if err != nil {
		t.Fatal(err)
	}
	pow, pos := ms[0], ms[1]
	if pow.Consensus != "pow" || pos.Consensus != "pos" {
		t.Fatal("order")
	}
	// Same node count, load, links and target block time; at least 100 blocks each.
	if pow.Nodes.Count != pos.Nodes.Count || pow.Load.Rate != pos.Load.Rate || pow.Load.Pattern != pos.Load.Pattern || pow.Network != pos.Network ||
		pow.PoW.TargetSpacing != pos.PoS.Slot || pow.Blocks < 100 || pos.Blocks < 100 {
		t.Fatalf("built-in manifests differ: %+v %+v", pow, pos)
	}
}

func TestNetPrepare(t *testing.T) {
	m, err := ParseManifest([]byte(`
consensus = "pos"
seed = 4
duration = "1m"
[[node]]
name = "a"
[[node]]
name = "b"
[[node]]
name = "c"
stake = 0
[network]
topology = "line"
delay = "5ms"
`))
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
	if len(st.Nodes) != 3 || st.Nodes[0].KeyFile == "" || st.Nodes[2].KeyFile != "" {
		t.Fatalf("%+v", st.Nodes)
	}
	// Line a-b-c: a dials b, b dials c.
	if len(st.Nodes[0].Peers) != 1 || st.Nodes[0].Peers[0] != st.Nodes[1].P2P || len(st.Nodes[2].Peers) != 0 {
		t.Fatalf("peers %+v", st.Nodes)
	}
	g, err := genesis.Load(st.Genesis)
	if err != nil {
		t.Fatal(err)
	}
	if len(g.PoS.Validators) != 2 || g.Time != 1_800_000_000 {
		t.Fatalf("genesis %+v", g.PoS)
	}
	key, _ := os.ReadFile(st.Nodes[0].KeyFile)
	if strings.TrimSpace(string(key)) != KeyHex(RunKey(4, "validator", 0)) {
		t.Fatal("validator key file")
	}
	id, _ := os.ReadFile(filepath.Join(st.Nodes[1].DataDir, "nodeid"))
	if strings.TrimSpace(string(id)) != st.Nodes[1].NodeID || len(st.Nodes[1].NodeID) != 64 {
		t.Fatal("node id file")
	}
	args := strings.Join(NodeArgs(&st.Nodes[0], st.Genesis), " ")
	for _, want := range []string{"node --datadir", "--validator-key " + st.Nodes[0].KeyFile, "--peer " + st.Nodes[1].P2P, "--log-format json"} {
		if !strings.Contains(args, want) {
			t.Errorf("args %q lack %q", args, want)
		}
	}
	// A second Prepare into the same directory is refused.
	n2, _ := NewNet(NetConfig{Dir: dir, Manifest: m, Binary: "/bin/false"})
	if err := n2.Prepare(time.Now()); err == nil {
		t.Fatal("prepared twice into one directory")
	}
}

func TestLoadGenAndSchedule(t *testing.T) {
	m, err := ParseManifest([]byte("consensus = \"pow\"\nduration = \"20s\"\n[load]\nrate = 5\nkeys = 3\n"))
	if err != nil {
		t.Fatal(err)
	}
	p, _ := m.Resolve()
	g, err := BuildGenesis(m, p, time.Unix(1_800_000_000, 0))
	if err != nil {
		t.Fatal(err)
	}
	lg, err := NewLoadGen(m, g)
	if err != nil {
		t.Fatal(err)
	}
	total := lg.Remaining()
	if total < int(5*20) {
		t.Fatalf("only %d load outputs for 100 txs", total)
	}
	blk, _ := chain.GenesisBlock(g)
	seen := map[chain.OutPoint]bool{}
	for i := 0; i < total; i++ {
		tx, err := lg.Next()
		if err != nil || tx == nil {
			t.Fatalf("tx %d: %v", i, err)
		}
		op := tx.Inputs[0].Prev
		if seen[op] {
			t.Fatalf("outpoint %v spent twice", op)
		}
		seen[op] = true
		spent := blk.Txs[0].Outputs[op.Index]
		var in, out uint64 = spent.Value, 0
		for _, o := range tx.Outputs {
			out += o.Value
		}
		if in-out != m.Load.Fee {
			t.Fatalf("fee %d", in-out)
		}
		msg := chain.SigHash(tx.TxID(), chain.SpentOutputsHash([]chain.TxOut{spent}), 0)
		if !chain.VerifySchnorr(spent.Lock.Key, msg, tx.Inputs[0].Witness) {
			t.Fatalf("tx %d: bad signature", i)
		}
	}
	if tx, _ := lg.Next(); tx != nil {
		t.Fatal("generator did not run dry")
	}
	for _, pat := range []string{PatternConstant, PatternPoisson, PatternBurst} {
		l := m.Load
		l.Pattern = pat
		s := LoadSchedule(l, 20*time.Second, 1)
		// 18 s of load at 5 tx/s ≈ 90 transactions.
		if len(s) < 60 || len(s) > 120 {
			t.Errorf("%s: %d sends", pat, len(s))
		}
		for i := 1; i < len(s); i++ {
			if s[i] < s[i-1] || s[i] < l.Start.Duration {
				t.Fatalf("%s: schedule not ordered", pat)
			}
		}
	}
}

func TestStakeFaultFunding(t *testing.T) {
	m, err := ParseManifest([]byte(`
consensus = "pos"
seed = 2
duration = "1m"
[nodes]
count = 3
[load]
rate = 1
[[fault]]
at = "10s"
action = "stake"
nodes = ["n1", "n2"]
stake = 500
`))
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
	g, _ := genesis.Load(n.State.Genesis)
	blk, _ := chain.GenesisBlock(g)
	funds := stakeFunds(m, n.Plan())
	if len(funds) != 2 {
		t.Fatalf("%d fundings", len(funds))
	}
	for _, sf := range funds {
		out := blk.Txs[0].Outputs[sf.Output]
		if out.Lock.Key != genesis.XOnly(sf.Funder) || out.Value != 501*genesis.Coin {
			t.Fatalf("funding output %d: %+v", sf.Output, out)
		}
		ns := n.State.Nodes[sf.Node]
		if len(ns.ExtraKeyFiles) != 1 || !strings.Contains(strings.Join(NodeArgs(&ns, n.State.Genesis), " "), ns.ExtraKeyFiles[0]) {
			t.Fatalf("node %s does not hold the new validator key: %+v", ns.Name, ns)
		}
	}
	if len(n.State.Nodes[0].ExtraKeyFiles) != 0 {
		t.Fatal("n0 got a key")
	}
}
