package sim

import (
	"testing"

	"chainlab/genesis"
	"chainlab/staking"
)

func runWorld(t *testing.T, src string, seed uint64) *world {
	t.Helper()
	m, err := manifestOf(src)
	if err != nil {
		t.Fatal(err)
	}
	w, err := newWorld(m, seed, Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.close)
	w.run()
	return w
}

// posState returns node i's tip state.
func posState(t *testing.T, w *world, i int) *staking.State {
	t.Helper()
	st, ok := w.nodes[i].c.State(tipHash(w.nodes[i].c))
	if !ok {
		t.Fatal("no tip state")
	}
	return st.(*staking.State)
}

const posBase = "consensus = \"pos\"\nseed = 5\n[pos]\nslot = \"1s\"\nepoch_slots = 4\n[nodes]\ncount = 4\n[network]\ndelay = \"20ms\"\n"

// TestPoSSlashingStrategies: a double-voting, a surround-voting and an equivocating
// validator are each caught by the other nodes' duties and slashed on chain.
func TestPoSSlashingStrategies(t *testing.T) {
	for _, strat := range []string{"double-vote", "surround-vote", "equivocate"} {
		t.Run(strat, func(t *testing.T) {
			w := runWorld(t, "duration = \"40s\"\n"+posBase+"[[adversary]]\nnodes = [\"n1\"]\nstrategy = \""+strat+"\"\nstart = \"9s\"\n", 1)
			st := posState(t, w, 0)
			_, v, ok := st.ValidatorByKey(genesis.XOnly(w.nodes[1].keys[0]))
			if !ok {
				t.Fatal("attacker validator missing")
			}
			if !v.Slashed {
				t.Fatalf("%s: validator not slashed after 40 slots", strat)
			}
			for i := 0; i < st.NumValidators(); i++ {
				if vv := st.Validator(i); vv.Slashed && vv.Key != v.Key {
					t.Fatalf("honest validator %d slashed", i)
				}
			}
		})
	}
}

// TestPoSOfflineAndWithhold: with 2 of 4 validators offline finality stalls (the leak then
// drains them); a withholding proposer leaves its slots empty.
func TestPoSOfflineAndWithhold(t *testing.T) {
	w := runWorld(t, "duration = \"40s\"\n"+posBase+"[[adversary]]\nnodes = [\"n2\", \"n3\"]\nstrategy = \"offline\"\nstart = \"10s\"\n", 1)
	fin := posState(t, w, 0).Finalized.Epoch
	if fin > 2 {
		t.Fatalf("finalized epoch %d with half the stake offline since epoch 2", fin)
	}
	w2 := runWorld(t, "duration = \"40s\"\n"+posBase+"[[adversary]]\nnodes = [\"n1\"]\nstrategy = \"withhold\"\n", 1)
	for _, b := range w2.blocks {
		if b.producer == 1 && b.has(0) {
			t.Fatal("a withheld block reached another node")
		}
	}
	if _, h := w2.nodes[0].c.Tip(); h > 36 {
		t.Fatalf("height %d after 40 slots with a quarter of proposals withheld", h)
	}
}

// TestSelfishBeatsHonest: at α = 0.4, γ = 0.5 the selfish miner's share of the main chain
// exceeds its hash share (Eyal & Sirer: 0.526).
func TestSelfishBeatsHonest(t *testing.T) {
	m, err := selfishManifest(0.4, 0.5, 400)
	if err != nil {
		t.Fatal(err)
	}
	res := mustRun(t, m, 3)
	share := float64(res.Metrics.Fairness.Nodes[0].Produced) / float64(res.Metrics.MainBlocks)
	t.Logf("selfish α=0.4 γ=0.5: share %.3f (theory %.3f), stale %.3f", share, SelfishRevenue(0.4, 0.5), res.Metrics.StaleRate.Value)
	if share < 0.45 {
		t.Fatalf("selfish share %.3f, want > 0.45", share)
	}
}

// TestDoubleSpendAndWithholdPoW: a double-spend attacker with most of the hash rate
// publishes a private branch that reorganises the honest nodes deeper than the merchant's
// z; a withholding miner's blocks never reach the chain.
func TestDoubleSpendAndWithholdPoW(t *testing.T) {
	src := "consensus = \"pow\"\nseed = 2\nblocks = 40\n[pow]\ntarget_spacing = \"10s\"\nalgorithm = \"fixed\"\n[network]\ndelay = \"50ms\"\n" +
		"[[node]]\nname = \"att\"\nhashrate = 600\n[[node]]\nname = \"h1\"\nhashrate = 200\n[[node]]\nname = \"h2\"\nhashrate = 200\n"
	w := runWorld(t, src+"[[adversary]]\nnodes = [\"att\"]\nstrategy = \"double-spend\"\ndepth = 3\n", 1)
	deep := 0
	for _, r := range w.tr.Reorgs {
		if r.Node != 0 && r.Depth >= 3 {
			deep++
		}
	}
	if deep == 0 {
		t.Fatal("no honest node reorganised 3+ blocks deep")
	}
	w2 := runWorld(t, src+"[[adversary]]\nnodes = [\"att\"]\nstrategy = \"withhold\"\n", 1)
	for _, b := range w2.blocks {
		if b.producer == 0 && (b.has(1) || b.has(2)) {
			t.Fatal("the withholding miner published a block")
		}
	}
}
