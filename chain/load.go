package chain

import (
	"bytes"
	"encoding/binary"
	"fmt"
)

func u64bytes(v uint64) []byte { return binary.LittleEndian.AppendUint64(nil, v) }

// CorruptionError reports a store whose contents disagree with each other (the consistency
// check on open). It is a storage failure, not a rule violation.
type CorruptionError struct{ Msg string }

func (e *CorruptionError) Error() string { return "chain: store inconsistent: " + e.Msg }

func corrupt(format string, a ...any) error { return &CorruptionError{Msg: fmt.Sprintf(format, a...)} }

// load reads the block index, the main chain and the UTXO summary into memory.
func (c *Chain) load() error {
	var nodes []*blockNode
	byHash := make(map[Hash]*indexEntry)
	err := c.store.forEach([]byte{prefixIndex}, func(k, v []byte) error {
		if len(k) != 1+HashSize {
			return corrupt("index key of %d bytes", len(k))
		}
		e, err := decodeIndexEntry(v)
		if err != nil {
			return err
		}
		var h Hash
		copy(h[:], k[1:])
		byHash[h] = e
		nodes = append(nodes, &blockNode{hash: h, header: e.header, height: e.height, status: e.status, seq: e.seq, work: e.work})
		return nil
	})
	if err != nil {
		return err
	}
	for _, n := range nodes {
		c.index[n.hash] = n
	}
	gh, err := c.store.get(metaKey(metaGenesis))
	if err != nil {
		return err
	}
	for _, n := range nodes {
		if bytes.Equal(n.hash[:], gh) {
			c.genesis = n
			continue
		}
		p, ok := c.index[n.header.Prev]
		if !ok || p.height+1 != n.height {
			return corrupt("index entry %s has no parent at height %d", n.hash, n.height-1)
		}
		n.parent = p
		p.children = append(p.children, n)
	}
	if c.genesis == nil {
		return corrupt("genesis block not in the index")
	}
	c.recomputeChainData(nodes)

	seqb, err := c.store.get(metaKey(metaSeq))
	if err != nil {
		return err
	}
	if len(seqb) != 8 {
		return corrupt("sequence record missing")
	}
	c.seq = binary.LittleEndian.Uint64(seqb)

	tb, err := c.store.get(metaKey(metaTip))
	if err != nil {
		return err
	}
	th, theight, err := decodeTip(tb)
	if err != nil {
		return corrupt("%v", err)
	}
	tip, ok := c.index[th]
	if !ok || tip.height != theight {
		return corrupt("tip %s (height %d) not in the index", th, theight)
	}
	c.main = make([]*blockNode, tip.height+1)
	for n := tip; n != nil; n = n.parent {
		c.main[n.height] = n
	}
	ub, err := c.store.get(metaKey(metaUTXO))
	if err != nil {
		return err
	}
	if c.utxo.stats, err = decodeUTXOStats(ub); err != nil {
		return corrupt("%v", err)
	}
	fl, err := c.store.get(metaKey(metaFlags))
	if err != nil {
		return err
	}
	if len(fl) != 1 || fl[0] != c.flags() {
		return fmt.Errorf("chain: store was built with index flags %x, config asks for %x (reindex into a fresh store)", fl, c.flags())
	}
	st, ok, err := c.stateOf(tip)
	if err != nil {
		return err
	}
	if !ok {
		return corrupt("no engine state for tip %s", tip.hash)
	}
	c.finality = c.engine.Finality(c.view(), &tip.header, st)
	return nil
}

// checkConsistency verifies that the tip, the main-chain keys, the index and the UTXO set
// agree: every main-chain block is valid with data, the height→hash keys match exactly, and
// a full scan of the UTXO set reproduces the stored count, total and digest.
func (c *Chain) checkConsistency() error {
	for h, n := range c.main {
		if n.status&(statusHaveData|statusValid) != statusHaveData|statusValid || n.invalid() {
			return corrupt("main-chain block %s at %d has status %08b", n.hash, h, n.status)
		}
	}
	count := 0
	err := c.store.forEach([]byte{prefixMain}, func(k, v []byte) error {
		if len(k) != 9 {
			return corrupt("main key of %d bytes", len(k))
		}
		h := binary.BigEndian.Uint64(k[1:])
		if h >= uint64(len(c.main)) || !bytes.Equal(c.main[h].hash[:], v) {
			return corrupt("main-chain key at height %d disagrees with the tip's branch", h)
		}
		count++
		return nil
	})
	if err != nil {
		return err
	}
	if count != len(c.main) {
		return corrupt("%d main-chain keys for %d blocks", count, len(c.main))
	}
	var stats utxoStats
	err = c.store.forEach([]byte{prefixUTXO}, func(k, v []byte) error {
		op, err := outPointFromUTXOKey(k)
		if err != nil {
			return corrupt("%v", err)
		}
		coin, err := decodeCoin(v)
		if err != nil {
			return err
		}
		if coin.Height >= uint64(len(c.main)) {
			return corrupt("coin %s:%d from height %d above the tip", op.TxID, op.Index, coin.Height)
		}
		stats.add(op, coin)
		return nil
	})
	if err != nil {
		return err
	}
	if stats != c.utxo.stats {
		return corrupt("utxo scan gives %d coins / %d units, summary says %d / %d (digest match %v)",
			stats.count, stats.total, c.utxo.stats.count, c.utxo.stats.total, stats.digest == c.utxo.stats.digest)
	}
	return nil
}

// CheckConsistency reruns the open-time consistency check (tests, `chainlab` tools).
func (c *Chain) CheckConsistency() error {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.checkConsistency()
}

// UTXODigest returns the UTXO set summary digest (XOR of per-coin hashes, see schema.go).
func (c *Chain) UTXODigest() [32]byte {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return c.utxo.stats.digest
}
