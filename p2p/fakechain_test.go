package p2p

import (
	"sync"
	"time"

	"chainlab/chain"
)

// fakeChain is a minimal in-memory block tree used by the transport and protocol unit
// tests: longest chain wins (ties to the first seen), and a block whose header version is
// badVersion is invalid. The end-to-end tests use the real chain.
type fakeChain struct {
	mu      sync.Mutex
	genesis chain.Hash
	blocks  map[chain.Hash]*chain.Block
	raw     map[chain.Hash][]byte // encodings, made on first BlockBytes
	headers map[chain.Hash]*chain.Header
	height  map[chain.Hash]uint64
	main    []chain.Hash
	tip     chain.Hash
	pool    *fakeTxPool
}

const badVersion = 0xbad

var _ Chain = (*fakeChain)(nil)

func newFakeChain(genesisTime uint32) *fakeChain {
	cb := chain.NewCoinbase(0, []byte("fake"), []chain.TxOut{{Value: 1, Lock: chain.PayTo([32]byte{1})}})
	g := &chain.Block{Header: chain.Header{Version: 1, Time: genesisTime}, Txs: []*chain.Tx{cb}}
	c := &fakeChain{
		blocks:  make(map[chain.Hash]*chain.Block),
		raw:     make(map[chain.Hash][]byte),
		headers: make(map[chain.Hash]*chain.Header),
		height:  make(map[chain.Hash]uint64),
	}
	h := g.Hash()
	c.genesis, c.tip = h, h
	c.blocks[h] = g
	c.headers[h] = &g.Header
	c.height[h] = 0
	c.main = []chain.Hash{h}
	return c
}

func (c *fakeChain) GenesisHash() chain.Hash { return c.genesis }

func (c *fakeChain) Tip() (chain.Hash, uint64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tip, uint64(len(c.main) - 1)
}

func (c *fakeChain) Height(h chain.Hash) (uint64, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.height[h]
	return v, ok
}

func (c *fakeChain) HaveBlock(h chain.Hash) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, ok := c.blocks[h]
	return ok
}

func (c *fakeChain) BlockBytes(h chain.Hash) ([]byte, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if raw, ok := c.raw[h]; ok {
		return raw, nil
	}
	b, ok := c.blocks[h]
	if !ok {
		return nil, chain.ErrNotFound
	}
	raw := b.Bytes()
	c.raw[h] = raw
	return raw, nil
}

func (c *fakeChain) Locator() []chain.Hash {
	c.mu.Lock()
	defer c.mu.Unlock()
	var loc []chain.Hash
	step := 1
	for i := len(c.main) - 1; i > 0; i -= step {
		loc = append(loc, c.main[i])
		if len(loc) >= 10 {
			step *= 2
		}
	}
	return append(loc, c.main[0])
}

func (c *fakeChain) HeadersAfter(locator []chain.Hash, stop chain.Hash, max int) []*chain.Header {
	c.mu.Lock()
	defer c.mu.Unlock()
	start := 0
	for _, h := range locator {
		if ht, ok := c.height[h]; ok && int(ht) < len(c.main) && c.main[ht] == h {
			start = int(ht)
			break
		}
	}
	var out []*chain.Header
	for i := start + 1; i < len(c.main) && len(out) < max; i++ {
		out = append(out, c.headers[c.main[i]])
		if c.main[i] == stop {
			break
		}
	}
	return out
}

func (c *fakeChain) ProcessHeaders(hs []*chain.Header, now time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, h := range hs {
		ph, ok := c.height[h.Prev]
		if !ok {
			return chain.NewRuleError(chain.ErrOrphan, "unknown parent")
		}
		if h.Version == badVersion {
			return chain.NewRuleError(chain.ErrBadVersion, "bad version")
		}
		c.headers[h.Hash()] = h
		c.height[h.Hash()] = ph + 1
	}
	return nil
}

func (c *fakeChain) ProcessBlock(b *chain.Block, now time.Time) (*ChainResult, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	h := b.Hash()
	if _, ok := c.blocks[h]; ok {
		return nil, chain.NewRuleError(chain.ErrDuplicateBlock, "have it")
	}
	if b.Header.Version == badVersion {
		return nil, chain.NewRuleError(chain.ErrBadVersion, "bad version")
	}
	ph, ok := c.height[b.Header.Prev]
	if _, have := c.blocks[b.Header.Prev]; !ok || !have {
		return nil, chain.NewRuleError(chain.ErrOrphan, "unknown parent")
	}
	c.blocks[h] = b
	c.headers[h] = &b.Header
	c.height[h] = ph + 1
	res := &ChainResult{Hash: h, Height: ph + 1, Status: chain.StatusSideChain, OldTip: c.tip}
	if ph+1 > uint64(len(c.main)-1) {
		// reorganise to h's branch
		branch := []chain.Hash{h}
		for x := b.Header.Prev; ; {
			hx := c.height[x]
			if int(hx) < len(c.main) && c.main[hx] == x {
				c.main = c.main[:hx+1]
				break
			}
			branch = append(branch, x)
			x = c.headers[x].Prev
		}
		for i := len(branch) - 1; i >= 0; i-- {
			c.main = append(c.main, branch[i])
		}
		c.tip = h
		res.Status = chain.StatusMainChain
	}
	res.NewTip = c.tip
	return res, nil
}

// child builds a coinbase-only block on parent (tag makes siblings differ).
func (c *fakeChain) child(parent chain.Hash, tag byte) *chain.Block {
	c.mu.Lock()
	ph := c.height[parent]
	pt := c.headers[parent].Time
	c.mu.Unlock()
	cb := chain.NewCoinbase(ph+1, []byte{tag}, []chain.TxOut{{Value: 50, Lock: chain.PayTo([32]byte{2})}})
	root, _ := chain.MerkleRoot([]chain.Hash{cb.TxID()})
	return &chain.Block{
		Header: chain.Header{Version: 1, Prev: parent, MerkleRoot: root, Time: pt + 1},
		Txs:    []*chain.Tx{cb},
	}
}

// extend mines n blocks on the tip.
func (c *fakeChain) extend(n int, tag byte) []*chain.Block {
	var out []*chain.Block
	for i := 0; i < n; i++ {
		tip, _ := c.Tip()
		b := c.child(tip, tag)
		if _, err := c.ProcessBlock(b, time.Now()); err != nil {
			panic(err)
		}
		out = append(out, b)
	}
	return out
}
