package staking

import (
	"errors"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"

	"chainlab/chain"
	"chainlab/genesis"
)

// testNet drives a real chain (memory store) with the staking engine and one Duties per
// validator, slot by slot, with no clock and no goroutines: the transcript harness.
type testNet struct {
	t       testing.TB
	p       *genesis.Params
	e       *Engine
	c       *chain.Chain
	keys    []*btcec.PrivateKey
	duties  []*Duties
	online  []bool
	slot    uint64
	blocks  []*chain.Block // every block produced
	pending []*chain.Tx    // zero-fee transactions for the next template
	// hooks
	onBlock   func(b *chain.Block) // called before ProcessBlock (may mutate)
	startOnly bool                 // tick only at slot starts (no mid-slot tick)
	chainTmpl bool                 // build templates with chain.NewTemplate
}

func newTestNet(t testing.TB, p *genesis.Params) *testNet {
	t.Helper()
	n := newTestNetEmpty(t, p)
	for i := range p.PoS.Validators {
		n.addValidator(genesis.DevKey("validator", i), genesis.XOnly(genesis.DevKey("owner", i)))
	}
	return n
}

// newTestNetEmpty is a chain with no duties.
func newTestNetEmpty(t testing.TB, p *genesis.Params) *testNet {
	t.Helper()
	e, err := NewEngine(p)
	if err != nil {
		t.Fatal(err)
	}
	store, err := chain.OpenMemStore()
	if err != nil {
		t.Fatal(err)
	}
	c, err := chain.New(chain.Config{Params: p, Engine: e, Store: store})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &testNet{t: t, p: p, e: e, c: c}
}

// addValidator starts duties for key (online, head at the current tip).
func (n *testNet) addValidator(k *btcec.PrivateKey, payTo [32]byte) {
	n.t.Helper()
	prot, _ := NewProtection("")
	d, err := NewDuties(DutiesConfig{Engine: n.e, Keys: []*btcec.PrivateKey{k}, Protection: prot, Template: n.template, PayTo: payTo})
	if err != nil {
		n.t.Fatal(err)
	}
	n.keys = append(n.keys, k)
	n.duties = append(n.duties, d)
	n.online = append(n.online, true)
	n.step(len(n.duties)-1, n.headInput())
}

// template builds a block on the chain tip the way chain.NewTemplate does (coinbase paying
// exactly the engine's MaxCoinbase), without a mempool.
func (n *testNet) template(req chain.TemplateRequest) (*chain.Block, error) {
	if n.chainTmpl {
		return n.c.NewTemplate(pendingSource(n.pending), req)
	}
	tip, height := n.c.Tip()
	ps, ok := n.c.State(tip)
	if !ok {
		return nil, errors.New("no tip state")
	}
	cb := chain.NewCoinbase(height+1, req.Extra, []chain.TxOut{{Lock: chain.PayTo(req.PayTo)}})
	b := &chain.Block{Header: chain.Header{Version: 1, Prev: tip}, Txs: append([]*chain.Tx{cb}, n.pending...), Votes: req.Votes, Slashings: req.Slashings}
	if err := n.e.Prepare(n.c, &b.Header, ps, req.Now); err != nil {
		return nil, err
	}
	b.Header.Seal.VoteRoot = b.ComputeVoteRoot()
	ctx := &chain.ApplyContext{Height: height + 1, View: n.c, Parent: ps}
	if err := n.e.Apply(n.c, b, ctx); err != nil {
		return nil, err
	}
	cb.Outputs[0].Value = ctx.MaxCoinbase
	b.Header.MerkleRoot, _ = chain.MerkleRoot(chain.TxIDs(b.Txs))
	return b, nil
}

func (n *testNet) headInput() NewHead {
	h, err := HeadOf(n.c)
	if err != nil {
		n.t.Fatal(err)
	}
	return h
}

func (n *testNet) step(i int, in Input) {
	n.t.Helper()
	if err := n.duties[i].Step(in); err != nil {
		n.t.Fatalf("duties %d: %v", i, err)
	}
}

// pump moves outputs until every duty is idle: blocks are processed by the chain, votes
// go to the engine's fork-choice store and every online duty's pool.
func (n *testNet) pump(now time.Time) {
	n.t.Helper()
	for round := 0; round < 10; round++ {
		busy := false
		for i, d := range n.duties {
			r := d.Ready()
			if r.Empty() {
				continue
			}
			busy = true
			for _, b := range r.Blocks {
				if !n.online[i] {
					continue
				}
				if n.onBlock != nil {
					n.onBlock(b)
				}
				if _, err := n.c.ProcessBlock(b, now); err != nil {
					n.t.Fatalf("slot %d: block by %d rejected: %v", n.slot, i, err)
				}
				n.blocks = append(n.blocks, b)
				if len(b.Txs) > 1 {
					n.pending = nil
				}
				n.broadcastHead()
			}
			for _, v := range r.Votes {
				n.deliverVote(v)
			}
		}
		if !busy {
			return
		}
	}
	n.t.Fatal("duties did not settle")
}

func (n *testNet) broadcastHead() {
	h := n.headInput()
	for j := range n.duties {
		if n.online[j] {
			n.step(j, h)
		}
	}
}

func (n *testNet) deliverVote(v chain.Vote) {
	n.t.Helper()
	if err := n.e.OnVote(&v); err != nil {
		n.t.Fatalf("OnVote: %v", err)
	}
	for j := range n.duties {
		if n.online[j] {
			n.step(j, SeenVote{Vote: v})
		}
	}
}

// runSlot ticks every online duty at the start and the middle of the next slot.
func (n *testNet) runSlot() {
	n.t.Helper()
	n.slot++
	start := n.e.SlotStart(n.slot)
	for i := range n.duties {
		if n.online[i] {
			n.step(i, Tick{Slot: n.slot, Now: start})
		}
	}
	n.pump(start)
	mid := start.Add(n.e.pos.SlotDuration() / 2)
	for i := range n.duties {
		if n.online[i] && !n.startOnly {
			n.step(i, Tick{Slot: n.slot, Now: mid})
		}
	}
	n.pump(mid)
	old, _ := n.c.Tip()
	if _, err := n.c.Reconsider(mid); err != nil {
		n.t.Fatalf("reconsider: %v", err)
	}
	if tip, _ := n.c.Tip(); tip != old {
		n.broadcastHead()
	}
}

// runUntilEpoch runs slots until the first slot of epoch e has been processed.
func (n *testNet) runUntilEpoch(e uint64) {
	for n.slot < e*n.p.PoS.EpochSlots {
		n.runSlot()
	}
}

func (n *testNet) tipState() *State {
	tip, _ := n.c.Tip()
	st, _ := n.c.State(tip)
	return st.(*State)
}

func (n *testNet) finality() chain.Finality { return n.c.Finality() }

func (n *testNet) setOnline(i int, on bool) {
	n.online[i] = on
	if on {
		n.step(i, n.headInput())
	}
}

// pendingSource offers the harness's pending transactions to chain.NewTemplate.
type pendingSource []*chain.Tx

func (p pendingSource) TemplateTxs(int) []*chain.Tx { return p }
