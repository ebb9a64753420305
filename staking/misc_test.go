package staking

import (
	"bytes"
	"errors"
	"math"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"chainlab/chain"
	"chainlab/genesis"
)

// TestProtectionPersists: a key that signed 1->3 refuses a double vote, a surround (0->4
// surrounds 1->3) and a surrounded vote (2->3), also after reopening the file, and
// refuses a second block for a slot.
func TestProtectionPersists(t *testing.T) {
	path := filepath.Join(t.TempDir(), "protection.json")
	p, err := NewProtection(path)
	if err != nil {
		t.Fatal(err)
	}
	k := genesis.DevKey("validator", 0)
	key := genesis.XOnly(k)
	v := chain.Vote{Validator: key, Slot: 24, Source: chain.Checkpoint{Epoch: 1}, Target: chain.Checkpoint{Epoch: 3}}
	if err := p.SignVote(k, &v); err != nil {
		t.Fatal(err)
	}
	if !VerifyVoteSig(&v) {
		t.Fatal("bad signature")
	}
	h := chain.Header{Version: 1, Seal: &chain.Seal{Slot: 9, Proposer: key}}
	if err := p.SignBlock(k, &h); err != nil {
		t.Fatal(err)
	}
	check := func(p *Protection) {
		t.Helper()
		for _, c := range [][2]uint64{{1, 3}, {0, 4}, {2, 3}, {0, 3}, {1, 2}} {
			w := chain.Vote{Validator: key, Slot: c[1] * 8, Head: chain.Hash{1}, Source: chain.Checkpoint{Epoch: c[0]}, Target: chain.Checkpoint{Epoch: c[1]}}
			if err := p.SignVote(k, &w); !errors.Is(err, ErrSlashableSign) {
				t.Errorf("vote %d->%d: %v, want ErrSlashableSign", c[0], c[1], err)
			}
		}
		h2 := chain.Header{Version: 2, Seal: &chain.Seal{Slot: 9, Proposer: key}}
		if err := p.SignBlock(k, &h2); !errors.Is(err, ErrSlashableSign) {
			t.Errorf("second block at slot 9: %v", err)
		}
	}
	check(p)
	p2, err := NewProtection(path)
	if err != nil {
		t.Fatal(err)
	}
	check(p2)
	ok := chain.Vote{Validator: key, Slot: 32, Source: chain.Checkpoint{Epoch: 3}, Target: chain.Checkpoint{Epoch: 4}}
	if err := p2.SignVote(k, &ok); err != nil {
		t.Fatalf("next vote: %v", err)
	}
	// Only the record file is in the directory: temp files were renamed away.
	ents, _ := os.ReadDir(filepath.Dir(path))
	if len(ents) != 1 {
		t.Fatalf("%d files in the protection dir", len(ents))
	}
	if err := os.WriteFile(path, []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := NewProtection(path); err == nil {
		t.Fatal("corrupt protection file accepted")
	}
}

// TestStateEncodeRoundTrip encodes states along a real chain (with votes, rewards, a new
// epoch set) and checks decode → encode is byte-identical, and that corruptions fail.
func TestStateEncodeRoundTrip(t *testing.T) {
	n := newTestNet(t, genesis.PosDev(5))
	n.runUntilEpoch(4)
	for i := 0; i < 3; i++ {
		n.runSlot()
	}
	st := n.tipState()
	enc := st.Encode()
	got, err := n.e.DecodeState(enc)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got.Encode(), enc) {
		t.Fatal("re-encoding differs")
	}
	d := got.(*State)
	if d.Finalized != st.Finalized || d.curInfo.Total != st.curInfo.Total || d.NumValidators() != 5 {
		t.Fatal("decoded state differs")
	}
	// The decoded state keeps working: the next proposer is the same.
	tip, _ := n.c.Tip()
	a, _ := n.e.Proposer(st, tip, n.slot+1)
	b, _ := n.e.Proposer(d, tip, n.slot+1)
	if a != b {
		t.Fatal("proposer differs after decode")
	}
	if _, err := DecodeState(append(enc, 0)); !errors.Is(err, ErrBadState) {
		t.Fatalf("trailing byte: %v", err)
	}
	if _, err := DecodeState(enc[:len(enc)-1]); !errors.Is(err, ErrBadState) {
		t.Fatalf("truncated: %v", err)
	}
	bad := append([]byte(nil), enc...)
	bad[0] = 9
	if _, err := DecodeState(bad); !errors.Is(err, ErrBadState) {
		t.Fatalf("version: %v", err)
	}
}

// TestProposerFairness: over 100,000 slots (12,500 epochs with their own seeds) and
// unequal stakes 1..10, each validator's share of slots matches its stake share:
// chi-square with 9 degrees of freedom, p > 0.001.
func TestProposerFairness(t *testing.T) {
	var l valList
	for i := 0; i < 10; i++ {
		l = l.appendVal(Validator{Key: [32]byte{byte(i + 1)}, Balance: uint64(i+1) * 100 * genesis.Coin, Exit: FarFuture})
	}
	const slots, es = 100_000, 8
	counts := make([]float64, 10)
	mix := chain.Hash{42}
	for e := uint64(0); e < slots/es; e++ {
		ei := snapshot(l, e, epochSeed(e, mix), es)
		for s := e * es; s < (e+1)*es; s++ {
			i, ok := ei.ProposerIndex(s)
			if !ok {
				t.Fatal("no proposer")
			}
			counts[i]++
		}
		mix = mixIn(mix, [64]byte{byte(e), byte(e >> 8)})
	}
	chi := 0.0
	for i, c := range counts {
		exp := float64(slots) * float64(i+1) / 55
		chi += (c - exp) * (c - exp) / exp
	}
	p := chiSquareSurvival(chi, 9)
	t.Logf("chi-square %.2f, p = %.4f, counts %v", chi, p, counts)
	if p <= 0.001 {
		t.Fatalf("proposer shares do not match stake: chi2 %.2f p %.5f", chi, p)
	}
}

// chiSquareSurvival returns P(X > x) for X ~ chi-square(k): the regularized upper
// incomplete gamma Q(k/2, x/2), by its series (fine for the small k here).
func chiSquareSurvival(x float64, k int) float64 {
	a, z := float64(k)/2, x/2
	// P(a, z) = z^a e^-z / Gamma(a+1) * sum_n z^n / ((a+1)...(a+n))
	sum, term := 1.0, 1.0
	for n := 1; n < 1000; n++ {
		term *= z / (a + float64(n))
		sum += term
		if term < 1e-15*sum {
			break
		}
	}
	lg, _ := math.Lgamma(a + 1)
	return 1 - math.Exp(a*math.Log(z)-z-lg)*sum
}

func TestChiSquareSurvival(t *testing.T) {
	// Critical values: chi2(9) = 27.877 at p = 0.001, 16.919 at p = 0.05.
	if p := chiSquareSurvival(27.877, 9); math.Abs(p-0.001) > 1e-4 {
		t.Fatalf("p(27.877) = %v", p)
	}
	if p := chiSquareSurvival(16.919, 9); math.Abs(p-0.05) > 1e-3 {
		t.Fatalf("p(16.919) = %v", p)
	}
}

// TestOnVoteConcurrent feeds gossip votes from several goroutines while fork choice runs
// (go test -race checks the store's locking).
func TestOnVoteConcurrent(t *testing.T) {
	n := newTestNet(t, genesis.PosDev(4))
	n.runUntilEpoch(1)
	tree := newMemTree(n.e)
	tree.addChain(t, n.c)
	tip, _ := n.c.Tip()
	var wg sync.WaitGroup
	for i := range n.keys {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			for s := uint64(8); s < 32; s++ {
				v := n.signRaw(i, chain.Vote{Slot: s, Head: tip, Target: chain.Checkpoint{Epoch: s / 8}})
				if err := n.e.OnVote(&v); err != nil {
					t.Error(err)
				}
			}
		}(i)
	}
	for i := 0; i < 20; i++ {
		if _, err := n.e.ChooseHead(tree); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	bad := n.signRaw(0, chain.Vote{Slot: 20, Head: tip, Target: chain.Checkpoint{Epoch: 2}})
	bad.Sig[3] ^= 1
	if err := n.e.OnVote(&bad); !errors.Is(err, chain.ErrBadVote) {
		t.Fatalf("bad gossip vote: %v", err)
	}
	far := n.signRaw(0, chain.Vote{Slot: 800, Head: tip, Target: chain.Checkpoint{Epoch: 100}})
	if err := n.e.OnVote(&far); !errors.Is(err, chain.ErrBadVote) {
		t.Fatalf("far-future gossip vote: %v", err)
	}
}

// TestDutiesDoubleBlockEvidence: a duty that sees two headers by one proposer for one slot
// reports double-block evidence that CheckEvidence accepts.
func TestDutiesDoubleBlockEvidence(t *testing.T) {
	f := newGenesisFixture(t, nil)
	prot, _ := NewProtection("")
	d, err := NewDuties(DutiesConfig{Engine: f.e, Protection: prot, Template: func(chain.TemplateRequest) (*chain.Block, error) { return nil, errors.New("unused") }})
	if err != nil {
		t.Fatal(err)
	}
	a := f.block(3, nil, nil)
	b := f.block(3, nil, nil)
	b.Header.Version = 2
	f.sign(&b.Header)
	for _, h := range []chain.Header{a.Header, a.Header, b.Header} {
		if err := d.Step(SeenHeader{Header: h}); err != nil {
			t.Fatal(err)
		}
	}
	r := d.Ready()
	if len(r.Evidence) != 1 || r.Evidence[0].Kind != chain.EvidenceDoubleBlock {
		t.Fatalf("evidence %+v", r.Evidence)
	}
	if key, err := CheckEvidence(&r.Evidence[0]); err != nil || key != a.Header.Seal.Proposer {
		t.Fatalf("CheckEvidence: %x %v", key, err)
	}
	// It slashes the proposer when included.
	blk := f.block(5, nil, r.Evidence)
	ctx, err := f.apply(blk)
	if err != nil {
		t.Fatal(err)
	}
	if _, v, _ := ctx.State.(*State).ValidatorByKey(a.Header.Seal.Proposer); !v.Slashed {
		t.Fatal("double proposer not slashed")
	}
}

// TestSharedVoteSigCache: two engines sharing a cache verify a vote once; a tampered copy
// (different hash) is still verified and refused.
func TestSharedVoteSigCache(t *testing.T) {
	c := NewVoteSigCache(16)
	p := genesis.PosDev(2)
	e1, _ := NewEngine(p, WithVoteSigCache(c))
	e2, _ := NewEngine(p, WithVoteSigCache(c))
	k := genesis.DevKey("validator", 0)
	v := chain.Vote{Validator: genesis.XOnly(k), Slot: 3}
	v.Sig, _ = chain.SignHash(k, v.SigningHash())
	if e1.VerifyVotes([]chain.Vote{v}) != -1 || !c.c.has(v.Hash()) {
		t.Fatal("not verified or not cached")
	}
	if e2.VerifyVotes([]chain.Vote{v}) != -1 {
		t.Fatal("cached vote refused")
	}
	bad := v
	bad.Sig[0] ^= 1
	if e2.VerifyVotes([]chain.Vote{v, bad}) != 1 {
		t.Fatal("tampered vote accepted")
	}
}
