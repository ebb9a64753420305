package miner

import (
	"chainlab/chain"
	"chainlab/genesis"
)

// memReader is a tiny in-memory chain.HeaderReader for engine tests: a block tree with a
// designated main chain.
type memReader struct {
	params  *genesis.Params
	headers map[chain.Hash]*chain.Header
	heights map[chain.Hash]uint64
	main    []chain.Hash
}

func newMemReader(p *genesis.Params, gen *chain.Header) *memReader {
	r := &memReader{params: p, headers: map[chain.Hash]*chain.Header{}, heights: map[chain.Hash]uint64{}}
	h := gen.Hash()
	r.headers[h] = gen
	r.heights[h] = 0
	r.main = []chain.Hash{h}
	return r
}

// add indexes h (its parent must be indexed) and extends the main chain when h is on the tip.
func (r *memReader) add(h *chain.Header) chain.Hash {
	hash := h.Hash()
	cp := *h
	r.headers[hash] = &cp
	height := r.heights[h.Prev] + 1
	r.heights[hash] = height
	if r.main[len(r.main)-1] == h.Prev {
		r.main = append(r.main, hash)
	}
	return hash
}

func (r *memReader) tip() (chain.Hash, *chain.Header) {
	h := r.main[len(r.main)-1]
	return h, r.headers[h]
}

func (r *memReader) Params() *genesis.Params { return r.params }

func (r *memReader) Header(h chain.Hash) (*chain.Header, bool) {
	x, ok := r.headers[h]
	return x, ok
}

func (r *memReader) Height(h chain.Hash) (uint64, bool) {
	x, ok := r.heights[h]
	return x, ok
}

func (r *memReader) HeaderAt(height uint64) (*chain.Header, bool) {
	if height >= uint64(len(r.main)) {
		return nil, false
	}
	return r.headers[r.main[height]], true
}

func (r *memReader) Ancestor(h chain.Hash, height uint64) (*chain.Header, bool) {
	for {
		x, ok := r.headers[h]
		if !ok {
			return nil, false
		}
		ht := r.heights[h]
		if ht < height {
			return nil, false
		}
		if ht == height {
			return x, true
		}
		h = x.Prev
	}
}
