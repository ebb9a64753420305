package chain

import (
	"sync"

	"github.com/syndtr/goleveldb/leveldb"
)

// utxoSet is the main-chain UTXO set: LevelDB ('u' keys) with a bounded cache of decoded
// coins in front. The cache only ever mirrors committed state: it is filled on reads and
// updated after a connect/disconnect batch has been written. Its own mutex lets readers
// holding the chain's read lock fill it concurrently.
type utxoSet struct {
	store *Store
	mu    sync.Mutex
	max   int
	cache map[OutPoint]*Coin // nil value: known absent
	stats utxoStats          // committed summary (guarded by the chain lock)
}

func newUTXOSet(s *Store, max int) *utxoSet {
	return &utxoSet{store: s, max: max, cache: make(map[OutPoint]*Coin, min(max, 1<<16))}
}

// Coin implements UTXOReader on the committed set. The returned coin must not be modified.
func (u *utxoSet) Coin(op OutPoint) (*Coin, error) {
	u.mu.Lock()
	c, ok := u.cache[op]
	u.mu.Unlock()
	if ok {
		return c, nil
	}
	v, err := u.store.get(utxoKey(op))
	if err != nil {
		return nil, err
	}
	if v != nil {
		if c, err = decodeCoin(v); err != nil {
			return nil, err
		}
	}
	u.mu.Lock()
	u.insertLocked(op, c)
	u.mu.Unlock()
	return c, nil
}

func (u *utxoSet) insertLocked(op OutPoint, c *Coin) {
	if u.max <= 0 {
		return
	}
	if _, ok := u.cache[op]; !ok && len(u.cache) >= u.max {
		for k := range u.cache { // arbitrary eviction
			delete(u.cache, k)
			break
		}
	}
	u.cache[op] = c
}

// applyCommitted updates the cache after d has been written.
func (u *utxoSet) applyCommitted(d *UTXOView) {
	u.mu.Lock()
	defer u.mu.Unlock()
	for op, e := range d.entries {
		if e.spent {
			if _, ok := u.cache[op]; ok {
				u.cache[op] = nil
			}
		} else {
			u.insertLocked(op, e.coin)
		}
	}
}

// dropCache forgets everything (after a failed write, the committed state is unknown to
// the cache and is re-read from the store).
func (u *utxoSet) dropCache() {
	u.mu.Lock()
	u.cache = make(map[OutPoint]*Coin, min(u.max, 1<<16))
	u.mu.Unlock()
}

// UTXOView is a layer of UTXO changes over a parent UTXOReader: validation of a block (or a
// whole branch, with views stacked per block) happens in views, and nothing is written until
// the block or branch has passed. A view's entries are its net change against its parent,
// which is exactly what one block's batch writes.
type UTXOView struct {
	parent  UTXOReader
	entries map[OutPoint]*viewEntry
}

type viewEntry struct {
	coin  *Coin // current coin (the new coin, or the one that was spent)
	orig  *Coin // the parent's coin at this outpoint, if any (removed by the write)
	spent bool  // no coin at this outpoint after the view
}

// NewUTXOView returns an empty view over parent.
func NewUTXOView(parent UTXOReader) *UTXOView {
	return &UTXOView{parent: parent, entries: make(map[OutPoint]*viewEntry)}
}

// Coin returns the coin at op as of this view, or (nil, nil).
func (v *UTXOView) Coin(op OutPoint) (*Coin, error) {
	if e, ok := v.entries[op]; ok {
		if e.spent {
			return nil, nil
		}
		return e.coin, nil
	}
	return v.parent.Coin(op)
}

// Spend removes the coin at op and returns it (nil if there is none).
func (v *UTXOView) Spend(op OutPoint) (*Coin, error) {
	if e, ok := v.entries[op]; ok {
		if e.spent {
			return nil, nil
		}
		c := e.coin
		if e.orig == nil {
			delete(v.entries, op) // created in this view: the net change is nothing
		} else {
			e.spent, e.coin = true, e.orig
		}
		return c, nil
	}
	c, err := v.parent.Coin(op)
	if err != nil || c == nil {
		return nil, err
	}
	v.entries[op] = &viewEntry{coin: c, orig: c, spent: true}
	return c, nil
}

// Add puts a coin at op.
func (v *UTXOView) Add(op OutPoint, c *Coin) {
	if e, ok := v.entries[op]; ok {
		e.coin, e.spent = c, false
		return
	}
	// The parent has no unspent coin here by construction (txids are unique: coinbases
	// commit to their height and other txs spend distinct outputs), so the entry is fresh.
	v.entries[op] = &viewEntry{coin: c}
}

// addTxOutputs adds every output of tx at height.
func (v *UTXOView) addTxOutputs(tx *Tx, txid Hash, height uint64) {
	cb := tx.IsCoinbase()
	for i := range tx.Outputs {
		v.Add(OutPoint{TxID: txid, Index: uint32(i)}, &Coin{Out: tx.Outputs[i], Height: height, Coinbase: cb})
	}
}

// mergeInto replays v's net changes into its parent view p.
func (v *UTXOView) mergeInto(p *UTXOView) {
	for op, e := range v.entries {
		if e.spent {
			pe, ok := p.entries[op]
			switch {
			case ok && pe.orig == nil:
				delete(p.entries, op)
			case ok:
				pe.spent, pe.coin = true, pe.orig
			default:
				p.entries[op] = &viewEntry{coin: e.orig, orig: e.orig, spent: true}
			}
			continue
		}
		if pe, ok := p.entries[op]; ok {
			pe.coin, pe.spent = e.coin, false
		} else {
			p.entries[op] = &viewEntry{coin: e.coin, orig: e.orig}
		}
	}
}

// writeTo puts v's net changes into batch b and updates stats and the optional address
// index. It does not touch the cache (applyCommitted does, after the write).
func (v *UTXOView) writeTo(b *leveldb.Batch, stats *utxoStats, addrIndex bool) {
	var buf []byte
	for op, e := range v.entries {
		k := utxoKey(op)
		if e.orig != nil {
			stats.remove(op, e.orig)
			if addrIndex {
				b.Delete(addrKey(e.orig.Out.Lock.SpendKey(), op))
			}
		}
		if e.spent {
			b.Delete(k)
			continue
		}
		buf = encodeCoin(buf[:0], e.coin)
		b.Put(k, buf)
		stats.add(op, e.coin)
		if addrIndex {
			b.Put(addrKey(e.coin.Out.Lock.SpendKey(), op), nil)
		}
	}
}
