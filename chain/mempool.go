package chain

import (
	"container/heap"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"
)

// Mempool defaults.
const (
	DefaultMempoolBytes = 64 << 20 // encoded bytes of all pool transactions
	DefaultMinFeeRate   = 1        // base units per encoded byte
	// dustSpendSize is the encoded size of a pay output (41) plus the input that later
	// spends it (outpoint 36, empty data 1, witness 65): the bytes an output costs the
	// network over its life. Dust is an output worth less than 3× the fee of those bytes
	// at the minimum fee rate (Bitcoin Core's rule).
	dustSpendSize = 41 + 36 + 1 + 1 + WitnessSize
)

// MempoolConfig configures NewMempool.
type MempoolConfig struct {
	Chain *Chain // required
	// MaxBytes bounds the encoded size of all pool transactions; when it is exceeded the
	// lowest fee-rate transactions (with their descendants) are evicted. Default 64 MiB.
	MaxBytes int
	// MinFeeRate is the relay floor in base units per encoded byte. 0 means
	// DefaultMinFeeRate; to accept zero-fee transactions set NoMinFee.
	MinFeeRate uint64
	NoMinFee   bool
	// DustLimit: outputs worth less are ErrDust. 0 means 3 × MinFeeRate × (output + input
	// size), Bitcoin Core's rule.
	DustLimit uint64
	// SigCache receives every signature verified on admission, so that connecting a block
	// of pool transactions skips them. Default: the chain's own cache.
	SigCache *SigCache
	Logger   *slog.Logger // optional
}

// MempoolInfo is the getmempoolinfo view.
type MempoolInfo struct {
	Size       int    // transactions
	Bytes      int    // encoded bytes
	MaxBytes   int    // bound
	TotalFee   uint64 // sum of fees
	MinFeeRate uint64 // configured relay floor (units/byte)
	// FloorFeeRate is the fee rate (units/byte, rounded up) a new transaction needs now:
	// MinFeeRate, or just above the lowest pool entry while the pool is full.
	FloorFeeRate uint64
}

// MempoolEntry describes one pool transaction (getrawmempool verbose).
type MempoolEntry struct {
	Tx      *Tx
	TxID    Hash
	Size    int
	Fee     uint64
	Time    time.Time // when it was added
	Depends []Hash    // in-pool parents
}

// Mempool holds validated, unconfirmed transactions ordered by fee rate. It is safe for
// concurrent use. Admission does the expensive work (input lookups, signature checks)
// outside its lock; the lock covers only the final conflict check and the insertion. It
// never calls out to other components while holding its lock, and has no callbacks.
//
// Rules: context-free checks, inputs against the chain tip or in-pool parents
// (chains of unconfirmed transactions), engine rules, signatures (filling the shared
// SigCache), no spend of an output another pool transaction spends (ErrMempoolConflict: no
// replacement), fee rate ≥ MinFeeRate (ErrFeeTooLow), no dust outputs (ErrDust), and a size
// bound enforced by evicting the lowest fee rate with its descendants (ErrMempoolFull when
// the newcomer itself would be evicted).
type Mempool struct {
	chain     mempoolChain
	sigs      *SigCache
	maxBytes  int
	minRate   uint64
	dustLimit uint64
	log       *slog.Logger

	mu     sync.RWMutex
	txs    map[Hash]*poolTx
	spends map[OutPoint]*poolTx // outpoint → the pool tx spending it
	evict  evictHeap
	bytes  int
	fees   uint64
	seq    uint64 // arrival counter
	gen    uint64 // bumped by Update: admissions checked against an older tip retry
}

// poolTx is one pool entry.
type poolTx struct {
	tx       *Tx
	id       Hash
	size     int
	fee      uint64
	seq      uint64
	added    time.Time
	parents  map[Hash]*poolTx // in-pool transactions whose outputs it spends
	children map[Hash]*poolTx // in-pool transactions spending its outputs
	heapIdx  int
}

// mempoolChain is what the mempool uses of the chain (a *Chain).
type mempoolChain interface {
	CheckTransaction(tx *Tx) error
	checkTxInputsAtTip(tx *Tx, extra map[OutPoint]*Coin) (uint64, []*Coin, error)
}

// NewMempool returns an empty pool on cfg.Chain.
func NewMempool(cfg MempoolConfig) (*Mempool, error) {
	if cfg.Chain == nil {
		return nil, errors.New("chain: MempoolConfig.Chain is required")
	}
	if cfg.MaxBytes < 0 {
		return nil, fmt.Errorf("chain: MempoolConfig.MaxBytes %d is negative", cfg.MaxBytes)
	}
	if cfg.MaxBytes == 0 {
		cfg.MaxBytes = DefaultMempoolBytes
	}
	if cfg.NoMinFee {
		cfg.MinFeeRate = 0
	} else if cfg.MinFeeRate == 0 {
		cfg.MinFeeRate = DefaultMinFeeRate
	}
	if cfg.DustLimit == 0 {
		cfg.DustLimit = 3 * cfg.MinFeeRate * dustSpendSize
	}
	if cfg.SigCache == nil {
		cfg.SigCache = cfg.Chain.sigCache
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return newMempool(cfg.Chain, cfg), nil
}

func newMempool(c mempoolChain, cfg MempoolConfig) *Mempool {
	return &Mempool{
		chain:     c,
		sigs:      cfg.SigCache,
		maxBytes:  cfg.MaxBytes,
		minRate:   cfg.MinFeeRate,
		dustLimit: cfg.DustLimit,
		log:       cfg.Logger,
		txs:       make(map[Hash]*poolTx),
		spends:    make(map[OutPoint]*poolTx),
	}
}

// Add validates tx against the chain tip and the pool and inserts it. It returns the fee.
// Rejections are *RuleError (ErrAlreadyHave, ErrMempoolConflict, ErrMissingInput,
// ErrBadSignature, ErrFeeTooLow, ErrDust, ErrMempoolFull, and every consensus kind a
// transaction can break); other errors are storage failures.
func (m *Mempool) Add(tx *Tx, now time.Time) (uint64, error) {
	if tx.IsCoinbase() {
		return 0, ruleError(ErrCoinbaseInMempool, "a coinbase is only valid in a block")
	}
	if err := m.chain.CheckTransaction(tx); err != nil {
		return 0, err
	}
	id := tx.TxID()
	size := tx.SerializeSize()
	if err := m.checkOutputs(tx); err != nil {
		return 0, err
	}
	// Validation runs against a snapshot (pool generation + tip); if an Update lands in
	// between, the work is redone (signatures are cached by then, so a retry is cheap).
	for attempt := 0; ; attempt++ {
		m.mu.RLock()
		snap, err := m.snapshotLocked(tx, id)
		if err == nil {
			err = m.fullPoolLocked(id, size, 0, true)
		}
		m.mu.RUnlock()
		if err != nil {
			return 0, err
		}
		fee, err := m.validate(tx, id, size, snap)
		if err != nil {
			return 0, err
		}
		m.mu.Lock()
		switch {
		case m.gen == snap.gen:
			err = m.insertLocked(tx, id, size, fee, now, snap)
		case attempt < 2:
			m.mu.Unlock()
			continue
		default: // the tip keeps moving: validate under the lock (signatures are cached now)
			fee, err = m.addLocked(tx, now)
		}
		m.mu.Unlock()
		if err != nil {
			return 0, err
		}
		return fee, nil
	}
}

// validate runs the checks that need no pool lock: inputs against the chain and the
// snapshot's pool parents, engine rules, fee policy, and signatures.
func (m *Mempool) validate(tx *Tx, id Hash, size int, snap *poolSnapshot) (uint64, error) {
	fee, spent, err := m.checkInputs(tx, snap)
	if err != nil {
		return 0, err
	}
	if feeRateCmp(fee, size, m.minRate, 1) < 0 {
		return 0, NewRuleError(ErrFeeTooLow, "transaction %s pays %d for %d bytes, below the minimum %d per byte", id, fee, size, m.minRate)
	}
	if err := VerifyTxSignatures(tx, spent, m.sigs); err != nil {
		return 0, err
	}
	return fee, nil
}

// poolSnapshot is what admission read from the pool under the read lock.
type poolSnapshot struct {
	gen       uint64
	poolCoins map[OutPoint]*Coin // inputs that spend in-pool outputs
}

// snapshotLocked reads what admission needs from the pool (read lock held).
func (m *Mempool) snapshotLocked(tx *Tx, id Hash) (*poolSnapshot, error) {
	if _, ok := m.txs[id]; ok {
		return nil, NewRuleError(ErrAlreadyHave, "transaction %s is already in the mempool", id)
	}
	if err := m.conflictLocked(tx); err != nil {
		return nil, err
	}
	s := &poolSnapshot{gen: m.gen}
	for i := range tx.Inputs {
		op := tx.Inputs[i].Prev
		parent, ok := m.txs[op.TxID]
		if !ok {
			continue
		}
		if int(op.Index) >= len(parent.tx.Outputs) {
			return nil, NewRuleError(ErrMissingInput, "input %d spends %s:%d, the pool transaction has %d outputs", i, op.TxID, op.Index, len(parent.tx.Outputs))
		}
		if s.poolCoins == nil {
			s.poolCoins = make(map[OutPoint]*Coin)
		}
		s.poolCoins[op] = &Coin{Out: parent.tx.Outputs[op.Index]} // unconfirmed, not a coinbase
	}
	return s, nil
}

// conflictLocked rejects a tx that spends an output a pool transaction already spends.
func (m *Mempool) conflictLocked(tx *Tx) error {
	for i := range tx.Inputs {
		if other, ok := m.spends[tx.Inputs[i].Prev]; ok {
			op := tx.Inputs[i].Prev
			return NewRuleError(ErrMempoolConflict, "input %d spends %s:%d, already spent by pool transaction %s", i, op.TxID, op.Index, other.id)
		}
	}
	return nil
}

// checkOutputs applies the dust policy.
func (m *Mempool) checkOutputs(tx *Tx) error {
	for i := range tx.Outputs {
		if v := tx.Outputs[i].Value; v < m.dustLimit {
			return NewRuleError(ErrDust, "output %d is worth %d, below the dust limit %d", i, v, m.dustLimit)
		}
	}
	return nil
}

// fullPoolLocked rejects a newcomer of size bytes that cannot beat the lowest entry of a
// full pool. With unknownFee set (before the inputs are looked up) it only rejects a
// transaction larger than the whole pool.
func (m *Mempool) fullPoolLocked(id Hash, size int, fee uint64, unknownFee bool) error {
	if m.bytes+size <= m.maxBytes {
		return nil
	}
	if size > m.maxBytes {
		return NewRuleError(ErrMempoolFull, "transaction %s (%d bytes) exceeds the pool size %d", id, size, m.maxBytes)
	}
	if unknownFee || len(m.evict) == 0 {
		return nil
	}
	low := m.evict[0]
	if feeRateCmp(fee, size, low.fee, low.size) <= 0 {
		return NewRuleError(ErrMempoolFull, "transaction %s fee rate %d/%d does not beat the pool's lowest %d/%d", id, fee, size, low.fee, low.size)
	}
	return nil
}

// insertLocked re-checks what may have changed since the snapshot (duplicates, conflicts,
// parents still present), inserts, and evicts down to the size bound.
func (m *Mempool) insertLocked(tx *Tx, id Hash, size int, fee uint64, now time.Time, snap *poolSnapshot) error {
	if _, ok := m.txs[id]; ok {
		return NewRuleError(ErrAlreadyHave, "transaction %s is already in the mempool", id)
	}
	if err := m.conflictLocked(tx); err != nil {
		return err
	}
	for op := range snap.poolCoins {
		if _, ok := m.txs[op.TxID]; !ok {
			return NewRuleError(ErrMissingInput, "spends %s:%d of a pool transaction that was evicted meanwhile", op.TxID, op.Index)
		}
	}
	if err := m.fullPoolLocked(id, size, fee, false); err != nil {
		return err
	}
	e := &poolTx{tx: tx, id: id, size: size, fee: fee, added: now, heapIdx: -1}
	for i := range tx.Inputs {
		op := tx.Inputs[i].Prev
		if p, ok := m.txs[op.TxID]; ok {
			if e.parents == nil {
				e.parents = make(map[Hash]*poolTx)
			}
			e.parents[p.id] = p
		}
	}
	m.seq++
	e.seq = m.seq
	m.linkLocked(e)
	if m.bytes <= m.maxBytes {
		return nil
	}
	// Evict the lowest entries until the pool fits, but never the newcomer or one of its
	// in-pool ancestors: reaching one means the newcomer does not pay its way in (no
	// child-pays-for-parent), so it leaves again and its ancestors stay.
	protect := m.ancestorsLocked(e)
	for m.bytes > m.maxBytes && len(m.evict) > 0 {
		low := m.evict[0]
		if _, ok := protect[low]; ok {
			m.unlinkLocked(e)
			return NewRuleError(ErrMempoolFull, "transaction %s does not fit: the pool's lowest fee rate is its own or an ancestor's", id)
		}
		n := m.removeWithDescendantsLocked(low)
		m.log.Debug("mempool eviction", "txid", low.id, "feerate", float64(low.fee)/float64(low.size), "removed", n)
	}
	return nil
}

// ancestorsLocked returns e and every in-pool transaction it depends on.
func (m *Mempool) ancestorsLocked(e *poolTx) map[*poolTx]struct{} {
	out := map[*poolTx]struct{}{e: {}}
	stack := []*poolTx{e}
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		for _, p := range x.parents {
			if _, seen := out[p]; !seen {
				out[p] = struct{}{}
				stack = append(stack, p)
			}
		}
	}
	return out
}

// linkLocked adds e to every index.
func (m *Mempool) linkLocked(e *poolTx) {
	m.txs[e.id] = e
	for i := range e.tx.Inputs {
		m.spends[e.tx.Inputs[i].Prev] = e
	}
	for _, p := range e.parents {
		if p.children == nil {
			p.children = make(map[Hash]*poolTx)
		}
		p.children[e.id] = e
	}
	heap.Push(&m.evict, e)
	m.bytes += e.size
	m.fees += e.fee
}

// unlinkLocked removes e from every index (not its descendants).
func (m *Mempool) unlinkLocked(e *poolTx) {
	if _, ok := m.txs[e.id]; !ok {
		return
	}
	delete(m.txs, e.id)
	for i := range e.tx.Inputs {
		if m.spends[e.tx.Inputs[i].Prev] == e {
			delete(m.spends, e.tx.Inputs[i].Prev)
		}
	}
	for _, p := range e.parents {
		delete(p.children, e.id)
	}
	for _, c := range e.children {
		delete(c.parents, e.id)
	}
	m.evict.remove(e)
	m.bytes -= e.size
	m.fees -= e.fee
}

// removeWithDescendantsLocked removes e and everything that spends its outputs, directly
// or through other pool transactions. It returns the number removed.
func (m *Mempool) removeWithDescendantsLocked(e *poolTx) int {
	stack := []*poolTx{e}
	n := 0
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if _, ok := m.txs[x.id]; !ok {
			continue
		}
		for _, c := range x.children {
			stack = append(stack, c)
		}
		m.unlinkLocked(x)
		n++
	}
	return n
}

// Has reports whether txid is in the pool.
func (m *Mempool) Has(txid Hash) bool {
	m.mu.RLock()
	defer m.mu.RUnlock()
	_, ok := m.txs[txid]
	return ok
}

// Get returns a pool transaction. The caller must not modify it.
func (m *Mempool) Get(txid Hash) (*Tx, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	e, ok := m.txs[txid]
	if !ok {
		return nil, false
	}
	return e.tx, true
}

// Entry returns the pool entry of txid.
func (m *Mempool) Entry(txid Hash) (MempoolEntry, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	e, ok := m.txs[txid]
	if !ok {
		return MempoolEntry{}, false
	}
	return e.entry(), true
}

func (e *poolTx) entry() MempoolEntry {
	me := MempoolEntry{Tx: e.tx, TxID: e.id, Size: e.size, Fee: e.fee, Time: e.added}
	for id := range e.parents {
		me.Depends = append(me.Depends, id)
	}
	sortHashes(me.Depends)
	return me
}

// SpentBy returns the pool transaction spending op, if any (gettxout with mempool).
func (m *Mempool) SpentBy(op OutPoint) (Hash, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	e, ok := m.spends[op]
	if !ok {
		return Hash{}, false
	}
	return e.id, true
}

// TxIDs returns the txids in the pool in mining order (fee rate, parents first).
func (m *Mempool) TxIDs() []Hash {
	m.mu.RLock()
	defer m.mu.RUnlock()
	sel := m.selectLocked(-1)
	out := make([]Hash, len(sel))
	for i, e := range sel {
		out[i] = e.id
	}
	return out
}

// Count returns the number of pool transactions.
func (m *Mempool) Count() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return len(m.txs)
}

// Bytes returns the encoded size of all pool transactions.
func (m *Mempool) Bytes() int {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.bytes
}

// Info returns the pool summary.
func (m *Mempool) Info() MempoolInfo {
	m.mu.RLock()
	defer m.mu.RUnlock()
	info := MempoolInfo{
		Size: len(m.txs), Bytes: m.bytes, MaxBytes: m.maxBytes, TotalFee: m.fees,
		MinFeeRate: m.minRate, FloorFeeRate: m.minRate,
	}
	// Full means the next average transaction would push out the lowest entry.
	if len(m.evict) > 0 && m.bytes+m.bytes/len(m.txs) > m.maxBytes {
		low := m.evict[0]
		if r := low.fee/uint64(low.size) + 1; r > info.FloorFeeRate {
			info.FloorFeeRate = r
		}
	}
	return info
}

// TemplateTxs returns pool transactions for a block of at most maxBytes of transactions:
// highest fee rate first, every transaction after its in-pool parents (a transaction whose
// parent did not fit is left out).
func (m *Mempool) TemplateTxs(maxBytes int) []*Tx {
	m.mu.RLock()
	defer m.mu.RUnlock()
	sel := m.selectLocked(maxBytes)
	out := make([]*Tx, len(sel))
	for i, e := range sel {
		out[i] = e.tx
	}
	return out
}

// selectLocked orders pool entries for mining (btcd's template algorithm): a max-heap of
// entries whose in-pool parents are all selected; popping the best adds its children once
// their last parent is in. maxBytes < 0 means no limit.
func (m *Mempool) selectLocked(maxBytes int) []*poolTx {
	var ready mineHeap
	waiting := make(map[*poolTx]int)
	for _, e := range m.txs {
		if len(e.parents) == 0 {
			ready = append(ready, e)
		} else {
			waiting[e] = len(e.parents)
		}
	}
	heap.Init(&ready)
	var out []*poolTx
	used := 0
	for ready.Len() > 0 {
		e := heap.Pop(&ready).(*poolTx)
		if maxBytes >= 0 && used+e.size > maxBytes {
			continue // skipped: its descendants never become ready
		}
		used += e.size
		out = append(out, e)
		for _, c := range e.children {
			waiting[c]--
			if waiting[c] == 0 {
				delete(waiting, c)
				heap.Push(&ready, c)
			}
		}
	}
	return out
}

func sortHashes(hs []Hash) {
	for i := 1; i < len(hs); i++ {
		for j := i; j > 0 && hashLess(hs[j], hs[j-1]); j-- {
			hs[j], hs[j-1] = hs[j-1], hs[j]
		}
	}
}
