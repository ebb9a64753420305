package chain

import (
	"math/big"
	"sort"

	"chainlab/genesis"
)

// treeView is the lock-free HeaderReader and BlockTree handed to the engine while the
// chain's lock is held (the engine must not call back into the public, locking methods).
type treeView struct{ c *Chain }

func (c *Chain) view() treeView { return treeView{c} }

func (v treeView) Params() *genesis.Params { return v.c.params }

func (v treeView) Header(h Hash) (*Header, bool) {
	n, ok := v.c.index[h]
	if !ok {
		return nil, false
	}
	hd := n.header
	return &hd, true
}

func (v treeView) Height(h Hash) (uint64, bool) {
	n, ok := v.c.index[h]
	if !ok {
		return 0, false
	}
	return n.height, true
}

func (v treeView) HeaderAt(height uint64) (*Header, bool) {
	if height >= uint64(len(v.c.main)) {
		return nil, false
	}
	hd := v.c.main[height].header
	return &hd, true
}

func (v treeView) Ancestor(h Hash, height uint64) (*Header, bool) {
	n, ok := v.c.index[h]
	if !ok {
		return nil, false
	}
	a := n.ancestor(height)
	if a == nil {
		return nil, false
	}
	hd := a.header
	return &hd, true
}

func (v treeView) Children(h Hash) []Hash {
	n, ok := v.c.index[h]
	if !ok {
		return nil
	}
	var out []Hash
	for _, ch := range n.children {
		if ch.chainData {
			out = append(out, ch.hash)
		}
	}
	return out
}

func (v treeView) State(h Hash) (EngineState, bool) {
	n, ok := v.c.index[h]
	if !ok || n.invalid() {
		return nil, false
	}
	st, ok, err := v.c.stateOf(n)
	if err != nil {
		v.c.log.Error("engine state lookup failed", "block", h, "err", err)
		return nil, false
	}
	return st, ok
}

func (v treeView) Tip() Hash { return v.c.tip().hash }

// ---- public read API (read lock) ----

// Tip returns the main-chain tip.
func (c *Chain) Tip() (Hash, uint64) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	t := c.tip()
	return t.hash, t.height
}

// TipHeader returns a copy of the tip's header.
func (c *Chain) TipHeader() *Header {
	c.mu.RLock()
	defer c.mu.RUnlock()
	h := c.tip().header
	return &h
}

// Header returns any indexed header (main or side chain, with or without body).
func (c *Chain) Header(h Hash) (*Header, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.view().Header(h)
}

// Height returns the height of an indexed block.
func (c *Chain) Height(h Hash) (uint64, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.view().Height(h)
}

// HeaderAt returns the main-chain header at height.
func (c *Chain) HeaderAt(height uint64) (*Header, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.view().HeaderAt(height)
}

// HashAt returns the main-chain block hash at height.
func (c *Chain) HashAt(height uint64) (Hash, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if height >= uint64(len(c.main)) {
		return Hash{}, false
	}
	return c.main[height].hash, true
}

// Ancestor returns the ancestor of h at height on h's own branch.
func (c *Chain) Ancestor(h Hash, height uint64) (*Header, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.view().Ancestor(h, height)
}

// HaveBlock reports whether the body of h is stored and h is not known invalid.
func (c *Chain) HaveBlock(h Hash) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n, ok := c.index[h]
	return ok && n.haveData() && !n.invalid()
}

// IsKnownInvalid reports whether h (or an ancestor) failed validation.
func (c *Chain) IsKnownInvalid(h Hash) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n, ok := c.index[h]
	return ok && n.invalid()
}

// IsOrphan reports whether h is in the orphan pool, and OrphanRoot the oldest missing
// ancestor to request from a peer.
func (c *Chain) IsOrphan(h Hash) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.orphans.has(h)
}

// OrphanRoot returns the hash of the missing ancestor of orphan h.
func (c *Chain) OrphanRoot(h Hash) Hash {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.orphans.root(h)
}

// IsMainChain reports whether h is on the main chain.
func (c *Chain) IsMainChain(h Hash) bool {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n, ok := c.index[h]
	return ok && c.onMain(n)
}

// BlockBytes returns the stored encoding of block h, or ErrNotFound.
func (c *Chain) BlockBytes(h Hash) ([]byte, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.blockBytes(h)
}

func (c *Chain) blockBytes(h Hash) ([]byte, error) {
	b, err := c.store.get(hashKey(prefixBlock, h))
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, ErrNotFound
	}
	return b, nil
}

// Block returns the stored block h, or ErrNotFound.
func (c *Chain) Block(h Hash) (*Block, error) {
	b, err := c.BlockBytes(h)
	if err != nil {
		return nil, err
	}
	blk, err := DecodeBlock(b)
	if err != nil {
		return nil, corrupt("stored block %s: %v", h, err)
	}
	return blk, nil
}

func (c *Chain) loadBlock(h Hash) (*Block, error) {
	b, err := c.blockBytes(h)
	if err != nil {
		return nil, err
	}
	blk, err := DecodeBlock(b)
	if err != nil {
		return nil, corrupt("stored block %s: %v", h, err)
	}
	return blk, nil
}

// Locator returns a Bitcoin-style block locator of the main chain: the tip, then
// exponentially sparser ancestors, ending with genesis.
func (c *Chain) Locator() []Hash {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []Hash
	h := int64(len(c.main) - 1)
	step := int64(1)
	for h > 0 {
		out = append(out, c.main[h].hash)
		if len(out) >= 10 {
			step *= 2
		}
		h -= step
	}
	return append(out, c.genesis.hash)
}

// HeadersAfter returns up to max main-chain headers after the first locator hash on the
// main chain (genesis if none), stopping after stop.
func (c *Chain) HeadersAfter(locator []Hash, stop Hash, max int) []*Header {
	c.mu.RLock()
	defer c.mu.RUnlock()
	start := uint64(0)
	for _, h := range locator {
		if n, ok := c.index[h]; ok && c.onMain(n) {
			start = n.height
			break
		}
	}
	var out []*Header
	for h := start + 1; h < uint64(len(c.main)) && len(out) < max; h++ {
		hd := c.main[h].header
		out = append(out, &hd)
		if c.main[h].hash == stop {
			break
		}
	}
	return out
}

// Coin returns the unspent output op at the main-chain tip, or (nil, nil).
func (c *Chain) Coin(op OutPoint) (*Coin, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	co, err := c.utxo.Coin(op)
	if co == nil || err != nil {
		return nil, err
	}
	cp := *co
	return &cp, nil
}

// MedianTimePast returns the median time of the 11 blocks ending at h.
func (c *Chain) MedianTimePast(h Hash) (uint32, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n, ok := c.index[h]
	if !ok {
		return 0, ErrNotFound
	}
	return medianTimePast(n), nil
}

const medianTimeBlocks = 11

func medianTimePast(n *blockNode) uint32 {
	ts := make([]uint32, 0, medianTimeBlocks)
	for i := 0; i < medianTimeBlocks && n != nil; i++ {
		ts = append(ts, n.header.Time)
		n = n.parent
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
	return ts[len(ts)/2]
}

// Finality returns the engine's finality as of the tip.
func (c *Chain) Finality() Finality {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.finality
}

// State returns the engine state after block h, if known.
func (c *Chain) State(h Hash) (EngineState, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.view().State(h)
}

// Tips returns every leaf of the block tree (getchaintips), the active tip first.
func (c *Chain) Tips() []TipInfo {
	c.mu.RLock()
	defer c.mu.RUnlock()
	var out []TipInfo
	t := c.tip()
	out = append(out, TipInfo{Hash: t.hash, Height: t.height, Status: "active"})
	for _, n := range c.index {
		if len(n.children) != 0 || n == t {
			continue
		}
		fork := n
		for !c.onMain(fork) {
			fork = fork.parent
		}
		ti := TipInfo{Hash: n.hash, Height: n.height, BranchLen: n.height - fork.height}
		switch {
		case n.invalid():
			ti.Status = "invalid"
		case n.status&statusValid != 0:
			ti.Status = "valid-fork"
		case n.chainData:
			ti.Status = "valid-headers"
		default:
			ti.Status = "headers-only"
		}
		out = append(out, ti)
	}
	sort.SliceStable(out[1:], func(i, j int) bool { return out[1+i].Height > out[1+j].Height })
	return out
}

// Work returns the cumulative fork-choice weight of h's branch.
func (c *Chain) Work(h Hash) (*big.Int, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	n, ok := c.index[h]
	if !ok {
		return nil, false
	}
	return new(big.Int).Set(n.work), true
}

// UTXOStats returns the number of unspent outputs and their total value.
func (c *Chain) UTXOStats() (count uint64, total uint64) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.utxo.stats.count, c.utxo.stats.total
}

// ErrNoIndex is returned by AddressCoins / TxLocation when the index is not kept.
var ErrNoIndex = errorString("chain: index not enabled in Config")

type errorString string

func (e errorString) Error() string { return string(e) }

// AddressCoins returns the unspent outpoints spendable by key (Config.AddrIndex).
func (c *Chain) AddressCoins(key [32]byte) ([]OutPoint, error) {
	if !c.addrIdx {
		return nil, ErrNoIndex
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	prefix := append([]byte{prefixAddr}, key[:]...)
	var out []OutPoint
	err := c.store.forEach(prefix, func(k, _ []byte) error {
		var op OutPoint
		copy(op.TxID[:], k[33:])
		op.Index = uint32(k[33+HashSize])<<24 | uint32(k[34+HashSize])<<16 | uint32(k[35+HashSize])<<8 | uint32(k[36+HashSize])
		out = append(out, op)
		return nil
	})
	return out, err
}

// TxLocation returns the main-chain block containing txid (Config.TxIndex).
func (c *Chain) TxLocation(txid Hash) (Hash, bool) {
	if !c.txIdx {
		return Hash{}, false
	}
	c.mu.RLock()
	defer c.mu.RUnlock()
	v, err := c.store.get(hashKey(prefixTx, txid))
	if err != nil || len(v) != HashSize {
		return Hash{}, false
	}
	var h Hash
	copy(h[:], v)
	return h, true
}

// CheckTransaction applies the context-free transaction rules with this chain's limits.
func (c *Chain) CheckTransaction(tx *Tx) error {
	return CheckTransactionSanity(tx, int(c.params.MaxBlockSize))
}
