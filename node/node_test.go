package node

import (
	"context"
	"log/slog"
	"os"
	"testing"
	"time"

	"chainlab/genesis"
)

// testNode starts a real node (LevelDB on a temp dir, websockets and RPC on 127.0.0.1 with
// free ports) and stops it when the test ends.
func testNode(t *testing.T, p *genesis.Params, mut func(*Config)) *Node {
	t.Helper()
	cfg := Config{
		DataDir:   t.TempDir(),
		Params:    p,
		P2PListen: "127.0.0.1:0",
		RPCListen: "127.0.0.1:0",
	}
	if os.Getenv("CHAINLAB_TEST_LOG") != "" {
		cfg.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	if mut != nil {
		mut(&cfg)
	}
	n, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = n.Stop() })
	return n
}

// waitFor polls cond until it holds or the deadline passes (a condition wait, not a sleep
// that an assertion depends on).
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("timed out after %v waiting for %s", d, what)
}

func easyPoW() *genesis.Params {
	p := genesis.PowDev()
	p.PoW.Algorithm = genesis.AlgoFixed
	p.PoW.InitialBits = 0x207fffff
	p.PoW.PowLimitBits = 0x207fffff
	return p
}

func TestPoWNodesSyncAndRelay(t *testing.T) {
	p := easyPoW()
	a := testNode(t, p, nil)
	b := testNode(t, p, func(c *Config) { c.Peers = []string{a.P2PAddr()} })
	mc := &minerControl{n: a}
	payTo := genesis.XOnly(genesis.DevKey("alloc", 0))
	if _, err := mc.Generate(context.Background(), 50, payTo, 0); err != nil {
		t.Fatal(err)
	}
	tipA, hA := a.Chain().Tip()
	if hA != 50 {
		t.Fatalf("a height %d", hA)
	}
	waitFor(t, 20*time.Second, "b to sync 50 blocks", func() bool {
		tipB, _ := b.Chain().Tip()
		return tipB == tipA
	})
	// a third node with an empty datadir joins late and catches up from b
	c := testNode(t, p, func(c *Config) { c.Peers = []string{b.P2PAddr()} })
	if _, err := mc.Generate(context.Background(), 5, payTo, 0); err != nil {
		t.Fatal(err)
	}
	tipA, _ = a.Chain().Tip()
	waitFor(t, 20*time.Second, "c to catch up", func() bool {
		tipC, _ := c.Chain().Tip()
		return tipC == tipA
	})
	if bt, ok := b.timings.BlockTiming(tipA); !ok || bt.Local {
		t.Fatalf("b timing of relayed block: %+v %v", bt, ok)
	}
	if bt, ok := a.timings.BlockTiming(tipA); !ok || !bt.Local {
		t.Fatalf("a timing of mined block: %+v %v", bt, ok)
	}
}

func TestDatadirGenesisMismatch(t *testing.T) {
	dir := t.TempDir()
	n, err := New(Config{DataDir: dir, Params: easyPoW(), RPCListen: "off"})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}
	other := easyPoW()
	other.Network = "other-net"
	_, err = New(Config{DataDir: dir, Params: other, RPCListen: "off"})
	if err == nil {
		t.Fatal("a datadir of another genesis was accepted")
	}
	t.Log(err)
}

func TestDatadirLocked(t *testing.T) {
	dir := t.TempDir()
	n, err := New(Config{DataDir: dir, Params: easyPoW(), RPCListen: "off"})
	if err != nil {
		t.Fatal(err)
	}
	defer n.Stop()
	if _, err := New(Config{DataDir: dir, Params: easyPoW(), RPCListen: "off"}); err == nil {
		t.Fatal("two nodes opened one datadir")
	}
}

func posParams(nval int) *genesis.Params {
	p := genesis.PosDev(nval)
	p.Time = time.Now().Unix() - 1
	return p
}

func TestPoSNodesFinalize(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for several epochs of wall-clock slots")
	}
	const nval = 4
	p := posParams(nval)
	p.PoS.EpochSlots = 4
	nodes := posMesh(t, p, nval)
	waitFor(t, 60*time.Second, "finalization on every node", func() bool {
		for _, n := range nodes {
			f := n.Chain().Finality()
			if f.Finalized.Epoch < 2 {
				return false
			}
		}
		return true
	})
	f0 := nodes[0].Chain().Finality()
	for i, n := range nodes {
		h, ok := n.Chain().HashAt(f0.Height)
		if !ok || (h != f0.Hash && f0.Height > 0) {
			t.Fatalf("node %d disagrees on the finalized block at %d", i, f0.Height)
		}
	}
	t.Logf("finalized epoch %d at height %d", f0.Finalized.Epoch, f0.Height)
}
