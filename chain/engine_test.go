package chain_test

import (
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"chainlab/chain"
	"chainlab/chain/chaintest"
)

// countState is a toy engine state: the number of blocks after genesis.
type countState uint64

func (s countState) Encode() []byte { return binary.LittleEndian.AppendUint64(nil, uint64(s)) }

// statefulEngine is the test engine with a per-block state and, optionally, its own fork
// choice (a fixed head).
type statefulEngine struct {
	*chaintest.Engine
	head *chain.Hash
}

func (e *statefulEngine) GenesisState() (chain.EngineState, error) { return countState(0), nil }

func (e *statefulEngine) DecodeState(b []byte) (chain.EngineState, error) {
	if len(b) != 8 {
		return nil, errors.New("bad state")
	}
	return countState(binary.LittleEndian.Uint64(b)), nil
}

func (e *statefulEngine) Apply(r chain.HeaderReader, b *chain.Block, ctx *chain.ApplyContext) error {
	if err := e.Engine.Apply(r, b, ctx); err != nil {
		return err
	}
	ctx.State = ctx.Parent.(countState) + 1
	return nil
}

type choosingEngine struct{ *statefulEngine }

func (e choosingEngine) ChooseHead(t chain.BlockTree) (chain.Hash, error) {
	if e.head != nil {
		return *e.head, nil
	}
	// Default: the deepest connectable block, first found.
	g, _ := t.HeaderAt(0)
	best, bestH := g.Hash(), uint64(0)
	stack := []chain.Hash{best}
	for len(stack) > 0 {
		h := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if ht, _ := t.Height(h); ht > bestH {
			best, bestH = h, ht
		}
		stack = append(stack, t.Children(h)...)
	}
	return best, nil
}

func TestEngineStatePersisted(t *testing.T) {
	dir := t.TempDir()
	p := chaintest.Params()
	open := func() *chain.Chain {
		s, err := chain.OpenStore(dir)
		if err != nil {
			t.Fatal(err)
		}
		c, err := chain.New(chain.Config{Params: p, Engine: &statefulEngine{Engine: chaintest.NewEngine(p)}, Store: s})
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	c := open()
	b := chaintest.NewBuilder(p)
	bs := b.Chain(b.Genesis.Hash(), 3)
	processAll(t, c, bs)
	side := b.Chain(bs[0].Hash(), 3) // reorg: states of the side branch computed on views
	processAll(t, c, side)
	c.Close()
	c = open()
	defer c.Close()
	for i, blk := range append(bs, side...) {
		want := countState(i%3 + 1)
		if i >= 3 {
			want = countState(i - 3 + 2)
		}
		st, ok := c.State(blk.Hash())
		if !ok || st.(countState) != want {
			t.Fatalf("state of block %d: %v %v, want %d", i, st, ok, want)
		}
	}
}

func TestForkChooserDrivesHead(t *testing.T) {
	p := chaintest.Params()
	head := new(chain.Hash)
	e := choosingEngine{&statefulEngine{Engine: chaintest.NewEngine(p)}}
	c, _ := chaintest.NewMemChain(t, &chain.Config{Params: p, Engine: e})
	b := chaintest.NewBuilder(p)
	long := b.Chain(b.Genesis.Hash(), 4)
	processAll(t, c, long)
	short := b.Chain(b.Genesis.Hash(), 2)
	processAll(t, c, short)
	if tip, _ := c.Tip(); tip != long[3].Hash() {
		t.Fatal("chooser returning the tip moved it")
	}
	// The engine now prefers the shorter branch (PoS: more attesting stake).
	*head = short[1].Hash()
	e.head = head
	res, err := c.Reconsider(chaintest.Now())
	if err != nil {
		t.Fatal(err)
	}
	if res.NewTip != short[1].Hash() || res.ReorgDepth != 4 || len(res.Connected) != 2 {
		t.Fatalf("reconsider: %+v", res)
	}
	if st, ok := c.State(short[1].Hash()); !ok || st.(countState) != 2 {
		t.Fatalf("state %v", st)
	}
	// A head without its body is followed to its deepest connectable ancestor.
	hdrOnly := b.Chain(short[1].Hash(), 2)
	h0, h1 := hdrOnly[0].Header, hdrOnly[1].Header
	if err := c.ProcessHeaders([]*chain.Header{&h0, &h1}, chaintest.Now()); err != nil {
		t.Fatal(err)
	}
	*head = hdrOnly[1].Hash()
	mustProcess(t, c, hdrOnly[0])
	if tip, _ := c.Tip(); tip != hdrOnly[0].Hash() {
		t.Fatal("did not follow the head's connectable ancestor")
	}
}

// pickyEngine refuses headers with Nonce 7 (standing in for a PoS proposer check that needs
// the parent's state).
type pickyEngine struct{ *statefulEngine }

func (e pickyEngine) VerifyHeader(r chain.HeaderReader, h *chain.Header, parent chain.EngineState, now time.Time) error {
	if parent == nil {
		return errors.New("picky: called without the parent's state")
	}
	if h.Nonce == 7 {
		return chain.NewRuleError(chain.ErrHighHash, "nonce 7")
	}
	return e.statefulEngine.VerifyHeader(r, h, parent, now)
}

// Headers whose parent state is unknown are indexed unchecked; the engine checks them at
// connect time, and a failure there marks the block invalid.
func TestDeferredHeaderCheck(t *testing.T) {
	p := chaintest.Params()
	c, _ := chaintest.NewMemChain(t, &chain.Config{Params: p, Engine: pickyEngine{&statefulEngine{Engine: chaintest.NewEngine(p)}}})
	b := chaintest.NewBuilder(p)
	b1 := b.Block(b.Genesis.Hash(), nil, 0)
	b2 := b.Block(b1.Hash(), nil, 0, func(blk *chain.Block) { blk.Header.Nonce = 7 })
	b3 := b.Block(b2.Hash(), nil, 0)
	h1, h2, h3 := b1.Header, b2.Header, b3.Header
	// h1's parent (genesis) has a state: checked now. h2, h3: deferred.
	if err := c.ProcessHeaders([]*chain.Header{&h1, &h2, &h3}, chaintest.Now()); err != nil {
		t.Fatal(err)
	}
	bad := h1
	bad.Nonce = 7
	if err := c.ProcessHeaders([]*chain.Header{&bad}, chaintest.Now()); !errors.Is(err, chain.ErrHighHash) {
		t.Fatalf("checked header: %v", err)
	}
	mustProcess(t, c, b3)
	mustProcess(t, c, b2)
	res, err := c.ProcessBlock(b1, chaintest.Now())
	if err != nil || res.NewTip != b1.Hash() {
		t.Fatalf("b1: %v %+v", err, res)
	}
	if !c.IsKnownInvalid(b2.Hash()) || !c.IsKnownInvalid(b3.Hash()) {
		t.Fatal("deferred header failure did not invalidate the branch")
	}
}
