package staking

import (
	"testing"

	"chainlab/chain"
	"chainlab/genesis"
)

// memTree is a chain.BlockTree in memory, for fork-choice tests and benchmarks.
type memTree struct {
	e        *Engine
	headers  map[chain.Hash]*chain.Header
	heights  map[chain.Hash]uint64
	parent   map[chain.Hash]chain.Hash
	children map[chain.Hash][]chain.Hash
	states   map[chain.Hash]chain.EngineState
	tip      chain.Hash
}

func newMemTree(e *Engine) *memTree {
	t := &memTree{e: e, headers: map[chain.Hash]*chain.Header{}, heights: map[chain.Hash]uint64{},
		parent: map[chain.Hash]chain.Hash{}, children: map[chain.Hash][]chain.Hash{}, states: map[chain.Hash]chain.EngineState{}}
	g := e.genesis.Header
	t.headers[e.gHash] = &g
	t.states[e.gHash] = e.gState
	t.tip = e.gHash
	return t
}

func (t *memTree) add(h chain.Hash, hdr *chain.Header, parent chain.Hash, st chain.EngineState) {
	t.headers[h] = hdr
	t.heights[h] = t.heights[parent] + 1
	t.parent[h] = parent
	t.children[parent] = append(t.children[parent], h)
	if st != nil {
		t.states[h] = st
	}
}

// addChain copies c's main chain.
func (t *memTree) addChain(tb testing.TB, c *chain.Chain) {
	_, height := c.Tip()
	for h := uint64(1); h <= height; h++ {
		hdr, _ := c.HeaderAt(h)
		hash := hdr.Hash()
		st, ok := c.State(hash)
		if !ok {
			tb.Fatalf("no state at height %d", h)
		}
		t.add(hash, hdr, hdr.Prev, st)
		t.tip = hash
	}
}

func (t *memTree) Params() *genesis.Params { return t.e.p }
func (t *memTree) Header(h chain.Hash) (*chain.Header, bool) {
	x, ok := t.headers[h]
	return x, ok
}
func (t *memTree) Height(h chain.Hash) (uint64, bool) {
	if _, ok := t.headers[h]; !ok {
		return 0, false
	}
	return t.heights[h], true
}
func (t *memTree) HeaderAt(height uint64) (*chain.Header, bool) {
	return t.Ancestor(t.tip, height)
}
func (t *memTree) Ancestor(h chain.Hash, height uint64) (*chain.Header, bool) {
	for {
		hh, ok := t.heights[h]
		if !ok && h != t.e.gHash {
			return nil, false
		}
		if hh == height {
			return t.headers[h], true
		}
		if hh < height {
			return nil, false
		}
		h = t.parent[h]
	}
}
func (t *memTree) Children(h chain.Hash) []chain.Hash { return t.children[h] }
func (t *memTree) State(h chain.Hash) (chain.EngineState, bool) {
	s, ok := t.states[h]
	return s, ok
}
func (t *memTree) Tip() chain.Hash { return t.tip }
