package chain

import (
	"sort"
	"time"
)

// Update brings the pool in line with the chain after ProcessBlock (or Reconsider) changed
// the tip: transactions mined by the connected blocks leave the pool, and so do pool
// transactions that conflict with them (with their descendants). After a reorganisation the
// transactions of the disconnected blocks are offered back, oldest block first, and every
// remaining pool transaction is validated again against the new tip (coinbases it spent
// may be gone, locktimes and maturity are re-evaluated); what fails is dropped.
//
// Update holds the pool lock for its whole run, so that no admission interleaves with a
// half-applied reorganisation; signatures are mostly in the SigCache by then.
func (m *Mempool) Update(res *Result) {
	if res == nil || (len(res.Connected) == 0 && len(res.Disconnected) == 0) {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.gen++
	mined, conflicts := 0, 0
	for _, b := range res.Connected {
		for _, tx := range b.Txs {
			if tx.IsCoinbase() {
				continue
			}
			id := tx.TxID()
			if e, ok := m.txs[id]; ok {
				m.unlinkLocked(e) // its children stay: they now spend confirmed outputs
				mined++
			}
			for i := range tx.Inputs {
				if e, ok := m.spends[tx.Inputs[i].Prev]; ok && e.id != id {
					conflicts += m.removeWithDescendantsLocked(e)
				}
			}
		}
	}
	if len(res.Disconnected) == 0 {
		if mined+conflicts > 0 {
			m.log.Debug("mempool update", "mined", mined, "conflicts", conflicts, "size", len(m.txs))
		}
		return
	}
	// Reorganisation: rebuild the pool from the disconnected transactions, then the old
	// pool in arrival order (which is topological: parents arrive before children).
	old := make([]*poolTx, 0, len(m.txs))
	for _, e := range m.txs {
		old = append(old, e)
	}
	sort.Slice(old, func(i, j int) bool { return old[i].seq < old[j].seq })
	m.resetLocked()
	readded, dropped := 0, 0
	for i := len(res.Disconnected) - 1; i >= 0; i-- {
		b := res.Disconnected[i]
		at := time.Unix(int64(b.Header.Time), 0)
		for _, tx := range b.Txs {
			if tx.IsCoinbase() {
				continue
			}
			if _, err := m.addLocked(tx, at); err == nil {
				readded++
			}
		}
	}
	for _, e := range old {
		if _, err := m.addLocked(e.tx, e.added); err != nil {
			dropped++
			m.log.Debug("mempool: dropped after reorg", "txid", e.id, "err", err)
		}
	}
	m.log.Debug("mempool reorg update", "depth", len(res.Disconnected), "readded", readded, "dropped", dropped, "conflicts", conflicts, "size", len(m.txs))
}

func (m *Mempool) resetLocked() {
	m.txs = make(map[Hash]*poolTx, len(m.txs))
	m.spends = make(map[OutPoint]*poolTx, len(m.spends))
	m.evict = nil
	m.bytes, m.fees = 0, 0
}

// addLocked is Add with the write lock held (Update's re-admissions). It returns the fee.
func (m *Mempool) addLocked(tx *Tx, now time.Time) (uint64, error) {
	if tx.IsCoinbase() {
		return 0, ruleError(ErrCoinbaseInMempool, "a coinbase is only valid in a block")
	}
	if err := m.chain.CheckTransaction(tx); err != nil {
		return 0, err
	}
	if err := m.checkOutputs(tx); err != nil {
		return 0, err
	}
	id := tx.TxID()
	size := tx.SerializeSize()
	snap, err := m.snapshotLocked(tx, id)
	if err != nil {
		return 0, err
	}
	fee, err := m.validate(tx, id, size, snap)
	if err != nil {
		return 0, err
	}
	if err := m.insertLocked(tx, id, size, fee, now, snap); err != nil {
		return 0, err
	}
	return fee, nil
}

// Expire removes transactions added before cutoff (with their descendants) and returns how
// many left. The node calls it periodically with its clock; the pool reads no clock.
func (m *Mempool) Expire(cutoff time.Time) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	n := 0
	for _, e := range m.txs {
		if e.added.Before(cutoff) {
			n += m.removeWithDescendantsLocked(e)
		}
	}
	return n
}

// Remove drops txid and its descendants from the pool (e.g. a wallet abandoning a
// transaction). It reports how many transactions left.
func (m *Mempool) Remove(txid Hash) int {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.txs[txid]
	if !ok {
		return 0
	}
	return m.removeWithDescendantsLocked(e)
}
