package chain_test

import (
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"

	"chainlab/chain"
	"chainlab/chain/chaintest"
	"chainlab/genesis"
)

// poolEnv is a chain on the test engine, a builder that extends it, and a mempool.
type poolEnv struct {
	t    testing.TB
	c    *chain.Chain
	eng  *chaintest.Engine
	b    *chaintest.Builder
	pool *chain.Mempool
	now  time.Time
}

func newPoolEnv(t testing.TB, p *genesis.Params, cfg chain.MempoolConfig) *poolEnv {
	t.Helper()
	if p == nil {
		p = chaintest.Params()
	}
	c, eng := chaintest.NewMemChain(t, &chain.Config{Params: p, SigCache: cfg.SigCache})
	cfg.Chain = c
	pool, err := chain.NewMempool(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return &poolEnv{t: t, c: c, eng: eng, b: chaintest.NewBuilder(p), pool: pool, now: chaintest.Now()}
}

// mine connects a block with txs on the tip and updates the pool.
func (e *poolEnv) mine(txs ...*chain.Tx) *chain.Block {
	e.t.Helper()
	tip, _ := e.c.Tip()
	return e.mineOn(tip, txs...)
}

func (e *poolEnv) mineOn(parent chain.Hash, txs ...*chain.Tx) *chain.Block {
	e.t.Helper()
	var fees uint64
	for _, tx := range txs {
		fees += e.fee(tx)
	}
	blk := e.b.Block(parent, txs, fees)
	res, err := e.c.ProcessBlock(blk, e.now)
	if err != nil {
		e.t.Fatalf("mine: %v", err)
	}
	e.pool.Update(res)
	return blk
}

// fee looks up the spent coins on the chain or in blocks the builder made.
func (e *poolEnv) fee(tx *chain.Tx) uint64 {
	var in, out uint64
	for _, ti := range tx.Inputs {
		in += e.outValue(ti.Prev)
	}
	for _, o := range tx.Outputs {
		out += o.Value
	}
	return in - out
}

func (e *poolEnv) outValue(op chain.OutPoint) uint64 {
	if c, _ := e.c.Coin(op); c != nil {
		return c.Out.Value
	}
	if tx, ok := e.pool.Get(op.TxID); ok {
		return tx.Outputs[op.Index].Value
	}
	e.t.Fatalf("unknown outpoint %s:%d", op.TxID, op.Index)
	return 0
}

// genesisPay spends genesis allocation i: value to key 7, the rest minus fee back as change.
func (e *poolEnv) genesisPay(i int, value, fee uint64) *chain.Tx {
	op, out := e.b.GenesisCoin(i)
	return chaintest.Pay(op, out, chaintest.Key(i), chaintest.PubKey(7), value, fee)
}

// spendOut spends output idx of parent (owned by key) paying everything minus fee to key 7.
func spendOut(parent *chain.Tx, idx uint32, key *btcec.PrivateKey, fee uint64) *chain.Tx {
	out := parent.Outputs[idx]
	op := chain.OutPoint{TxID: parent.TxID(), Index: idx}
	return chaintest.Spend([]chain.OutPoint{op}, []chain.TxOut{out}, []*btcec.PrivateKey{key},
		[]chain.TxOut{{Value: out.Value - fee, Lock: chain.PayTo(chaintest.PubKey(7))}})
}

func (e *poolEnv) add(tx *chain.Tx) uint64 {
	e.t.Helper()
	fee, err := e.pool.Add(tx, e.now)
	if err != nil {
		e.t.Fatalf("add %s: %v", tx.TxID(), err)
	}
	return fee
}

func wantKind(t *testing.T, err error, kind chain.ErrorKind) {
	t.Helper()
	var re *chain.RuleError
	if !errors.As(err, &re) || re.Kind != kind {
		t.Fatalf("got %v, want %s", err, kind)
	}
}

func ids(txs []*chain.Tx) []chain.Hash {
	out := make([]chain.Hash, len(txs))
	for i, tx := range txs {
		out[i] = tx.TxID()
	}
	return out
}

func TestMempoolFeeOrderAndInfo(t *testing.T) {
	e := newPoolEnv(t, nil, chain.MempoolConfig{})
	// Equal sizes, fees 2000, 9000, 5000: mining order 1, 2, 0.
	t0 := e.genesisPay(0, genesis.Coin, 2000)
	t1 := e.genesisPay(1, genesis.Coin, 9000)
	t2 := e.genesisPay(2, genesis.Coin, 5000)
	for _, tx := range []*chain.Tx{t0, t1, t2} {
		e.add(tx)
	}
	got := ids(e.pool.TemplateTxs(1 << 20))
	want := ids([]*chain.Tx{t1, t2, t0})
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("template order %v, want %v", got, want)
		}
	}
	size := t0.SerializeSize()
	if got := e.pool.TemplateTxs(2*size + 10); len(got) != 2 || got[0].TxID() != t1.TxID() || got[1].TxID() != t2.TxID() {
		t.Fatalf("size-limited template: %v", ids(got))
	}
	info := e.pool.Info()
	if info.Size != 3 || info.Bytes != 3*size || info.TotalFee != 16000 || info.MinFeeRate != chain.DefaultMinFeeRate {
		t.Fatalf("info %+v", info)
	}
	if e.pool.Count() != 3 || e.pool.Bytes() != 3*size || !e.pool.Has(t2.TxID()) {
		t.Fatal("count/bytes/has")
	}
	if en, ok := e.pool.Entry(t1.TxID()); !ok || en.Fee != 9000 || en.Size != size || !en.Time.Equal(e.now) {
		t.Fatalf("entry %+v", en)
	}
}

func TestMempoolConflictRejected(t *testing.T) {
	e := newPoolEnv(t, nil, chain.MempoolConfig{})
	a := e.genesisPay(0, genesis.Coin, 1000)
	b := e.genesisPay(0, 2*genesis.Coin, 50000) // same input, higher fee: no replacement
	e.add(a)
	_, err := e.pool.Add(b, e.now)
	wantKind(t, err, chain.ErrMempoolConflict)
	if !strings.Contains(err.Error(), a.TxID().String()) {
		t.Fatalf("conflict error does not name the pool tx %s: %v", a.TxID(), err)
	}
	_, err = e.pool.Add(a, e.now)
	wantKind(t, err, chain.ErrAlreadyHave)
	if e.pool.Count() != 1 || e.pool.Has(b.TxID()) {
		t.Fatal("conflicting tx entered the pool")
	}
	if id, ok := e.pool.SpentBy(a.Inputs[0].Prev); !ok || id != a.TxID() {
		t.Fatal("SpentBy")
	}
}

func TestMempoolPolicyAndConsensusRejections(t *testing.T) {
	e := newPoolEnv(t, nil, chain.MempoolConfig{MinFeeRate: 10})
	op, out := e.b.GenesisCoin(0)
	cases := []struct {
		name string
		tx   *chain.Tx
		kind chain.ErrorKind
	}{
		{"fee too low", e.genesisPay(0, genesis.Coin, 100), chain.ErrFeeTooLow},
		{"dust", e.genesisPay(0, 100, 10_000), chain.ErrDust},
		{"coinbase", chain.NewCoinbase(5, nil, []chain.TxOut{{Value: 1e6, Lock: chain.PayTo(chaintest.PubKey(1))}}), chain.ErrCoinbaseInMempool},
		{"bad signature", func() *chain.Tx {
			tx := e.genesisPay(0, genesis.Coin, 10_000)
			tx.Inputs[0].Witness[3] ^= 1
			return tx
		}(), chain.ErrBadSignature},
		{"wrong key", chaintest.Pay(op, out, chaintest.Key(1), chaintest.PubKey(7), genesis.Coin, 10_000), chain.ErrBadSignature},
		{"missing input", chaintest.Pay(chain.OutPoint{TxID: chain.Hash{9}, Index: 0}, out, chaintest.Key(0), chaintest.PubKey(7), genesis.Coin, 10_000), chain.ErrMissingInput},
		{"overspend", chaintest.Spend([]chain.OutPoint{op}, []chain.TxOut{out}, []*btcec.PrivateKey{chaintest.Key(0)},
			[]chain.TxOut{{Value: out.Value + 1, Lock: chain.PayTo(chaintest.PubKey(7))}}), chain.ErrSpendTooHigh},
		{"locktime", func() *chain.Tx {
			tx := &chain.Tx{Version: 1, LockTime: 5, Inputs: []chain.TxIn{{Prev: op}}, Outputs: []chain.TxOut{{Value: genesis.Coin, Lock: chain.PayTo(chaintest.PubKey(7))}}}
			if err := chain.SignTx(tx, []chain.TxOut{out}, []*btcec.PrivateKey{chaintest.Key(0)}); err != nil {
				t.Fatal(err)
			}
			return tx
		}(), chain.ErrLockTime},
		{"no outputs", &chain.Tx{Version: 1, Inputs: []chain.TxIn{{Prev: op, Witness: make([]byte, 64)}}}, chain.ErrNoTxOutputs},
	}
	for _, c := range cases {
		_, err := e.pool.Add(c.tx, e.now)
		var re *chain.RuleError
		if !errors.As(err, &re) || re.Kind != c.kind {
			t.Errorf("%s: got %v, want %s", c.name, err, c.kind)
		}
	}
	if e.pool.Count() != 0 {
		t.Fatalf("%d rejected txs in the pool", e.pool.Count())
	}
	// A coinbase of height 1 is immature for the block at height 2 (maturity 2).
	blk := e.mine()
	_, err := e.pool.Add(spendOut(blk.Txs[0], 0, chaintest.Key(7), 10_000), e.now)
	wantKind(t, err, chain.ErrImmatureSpend)
}

func TestMempoolChainedUnconfirmed(t *testing.T) {
	e := newPoolEnv(t, nil, chain.MempoolConfig{})
	// parent (low fee) → child (high fee) → grandchild; plus an unrelated mid-fee tx.
	parent := e.genesisPay(0, 10*genesis.Coin, 1000)
	child := spendOut(parent, 0, chaintest.Key(7), 90_000)
	grand := spendOut(child, 0, chaintest.Key(7), 50_000)
	other := e.genesisPay(1, genesis.Coin, 20_000)
	e.add(parent)
	if fee := e.add(child); fee != 90_000 {
		t.Fatalf("child fee %d", fee)
	}
	e.add(grand)
	e.add(other)
	// Parents always come before their children, whatever the fee rates.
	got := ids(e.pool.TemplateTxs(1 << 20))
	pos := map[chain.Hash]int{}
	for i, id := range got {
		pos[id] = i
	}
	if len(got) != 4 || pos[parent.TxID()] > pos[child.TxID()] || pos[child.TxID()] > pos[grand.TxID()] {
		t.Fatalf("template order breaks dependencies: %v", got)
	}
	if en, _ := e.pool.Entry(grand.TxID()); len(en.Depends) != 1 || en.Depends[0] != child.TxID() {
		t.Fatalf("depends %v", en.Depends)
	}
	// Spending an output index the pool parent does not have.
	bad := spendOut(child, 0, chaintest.Key(7), 1000)
	bad.Inputs[0].Prev.Index = 5
	_, err := e.pool.Add(bad, e.now)
	wantKind(t, err, chain.ErrMissingInput)
	// A double spend of the child's output conflicts with the grandchild.
	_, err = e.pool.Add(spendOut(child, 0, chaintest.Key(7), 80_000), e.now)
	wantKind(t, err, chain.ErrMempoolConflict)

	// The template is a valid block, and mining only the parent keeps the descendants.
	blk, err := e.c.NewTemplate(e.pool, chain.TemplateRequest{PayTo: chaintest.PubKey(3), Now: e.now})
	if err != nil {
		t.Fatal(err)
	}
	if len(blk.Txs) != 5 {
		t.Fatalf("template has %d txs, want coinbase + 4", len(blk.Txs))
	}
	e.mine(parent)
	if e.pool.Has(parent.TxID()) || !e.pool.Has(child.TxID()) || !e.pool.Has(grand.TxID()) || e.pool.Count() != 3 {
		t.Fatalf("after mining the parent: count %d", e.pool.Count())
	}
	if en, _ := e.pool.Entry(child.TxID()); len(en.Depends) != 0 {
		t.Fatal("child still depends on a mined parent")
	}
	e.mine(child, grand, other)
	if e.pool.Count() != 0 || e.pool.Bytes() != 0 {
		t.Fatalf("pool not empty: %d", e.pool.Count())
	}
}

func TestMempoolEvictionLowestFeeRateWithDescendants(t *testing.T) {
	e0 := newPoolEnv(t, nil, chain.MempoolConfig{})
	size := e0.genesisPay(0, genesis.Coin, 1000).SerializeSize()
	// Room for four transactions.
	e := newPoolEnv(t, nil, chain.MempoolConfig{MaxBytes: 4*size + size/2})
	low := e.genesisPay(0, 10*genesis.Coin, 1500)
	lowChild := spendOut(low, 0, chaintest.Key(7), 100_000) // high fee, but its parent is the floor
	mid := e.genesisPay(1, genesis.Coin, 5000)
	hi := e.genesisPay(2, genesis.Coin, 9000)
	for _, tx := range []*chain.Tx{low, lowChild, mid, hi} {
		e.add(tx)
	}
	// A fifth tx paying more than the floor evicts the floor and its child.
	hi2 := e.genesisPay(3, genesis.Coin, 8000)
	e.add(hi2)
	if e.pool.Has(low.TxID()) || e.pool.Has(lowChild.TxID()) {
		t.Fatal("lowest fee-rate tx or its descendant survived eviction")
	}
	if !e.pool.Has(mid.TxID()) || !e.pool.Has(hi.TxID()) || !e.pool.Has(hi2.TxID()) || e.pool.Count() != 3 {
		t.Fatalf("wrong survivors: %d", e.pool.Count())
	}
	e.add(e.genesisPay(4, genesis.Coin, 6000))
	// Now full: a tx below the floor (mid, 5000) is refused.
	_, err := e.pool.Add(e.genesisPay(5, genesis.Coin, 4000), e.now)
	wantKind(t, err, chain.ErrMempoolFull)
	if info := e.pool.Info(); info.Bytes > 4*size+size/2 || info.FloorFeeRate <= info.MinFeeRate {
		t.Fatalf("info %+v", info)
	}
}

func TestMempoolUpdateRemovesMinedAndConflicts(t *testing.T) {
	e := newPoolEnv(t, nil, chain.MempoolConfig{})
	a := e.genesisPay(0, genesis.Coin, 1000)
	aChild := spendOut(a, 0, chaintest.Key(7), 1000)
	b := e.genesisPay(1, genesis.Coin, 1000)
	e.add(a)
	e.add(aChild)
	e.add(b)
	// A block mines b and a different spend of a's input: a and its child now conflict.
	a2 := e.genesisPay(0, 2*genesis.Coin, 3000)
	e.mine(b, a2)
	if e.pool.Count() != 0 {
		t.Fatalf("pool has %d txs after its inputs were spent on chain", e.pool.Count())
	}
	if _, ok := e.pool.SpentBy(a.Inputs[0].Prev); ok {
		t.Fatal("spent index not cleaned")
	}
	// The chain's spend is now final for the pool: the old tx is a missing input.
	_, err := e.pool.Add(a, e.now)
	wantKind(t, err, chain.ErrMissingInput)
}

func TestMempoolReorgReaddsAndDrops(t *testing.T) {
	e := newPoolEnv(t, nil, chain.MempoolConfig{})
	gen, _ := e.c.Tip()
	a := e.genesisPay(0, genesis.Coin, 1000)
	b := e.genesisPay(1, genesis.Coin, 1000)
	blk1 := e.mine(a)                                   // height 1
	blk2 := e.mine(b)                                   // height 2
	cb1 := blk1.Txs[0]                                  // coinbase of height 1, mature at 3
	spendCB := spendOut(cb1, 0, chaintest.Key(7), 1000) // valid from height 3
	aChild := spendOut(a, 0, chaintest.Key(7), 2000)    // child of a mined tx
	e.mine()                                            // height 3
	e.add(spendCB)
	e.add(aChild)
	if e.pool.Count() != 2 {
		t.Fatal("setup")
	}
	_ = blk2
	// A competing branch of 4 blocks from genesis, mining b only (a conflicting spend of
	// b's input would be a different tx; here b is simply mined again in the new branch).
	parent := gen
	var res *chain.Result
	for i := 0; i < 4; i++ {
		var txs []*chain.Tx
		var fees uint64
		if i == 1 {
			txs, fees = []*chain.Tx{b}, 1000
		}
		blk := e.b.Block(parent, txs, fees)
		r, err := e.c.ProcessBlock(blk, e.now)
		if err != nil {
			t.Fatal(err)
		}
		if r.ReorgDepth > 0 {
			res = r
		}
		parent = blk.Hash()
	}
	if res == nil || res.ReorgDepth != 3 {
		t.Fatalf("expected a reorg of depth 3, got %+v", res)
	}
	e.pool.Update(res)
	// a (only in the old branch) is back; its child still rides on it; b is mined again in
	// the new branch so it is not re-added; the spend of the vanished coinbase is dropped.
	if !e.pool.Has(a.TxID()) || !e.pool.Has(aChild.TxID()) {
		t.Fatal("transaction of a disconnected block was not re-added with its child")
	}
	if e.pool.Has(b.TxID()) {
		t.Fatal("tx mined in the new branch re-entered the pool")
	}
	if e.pool.Has(spendCB.TxID()) {
		t.Fatal("spend of a disconnected coinbase survived the reorg")
	}
	if e.pool.Count() != 2 {
		t.Fatalf("pool has %d txs", e.pool.Count())
	}
	got := ids(e.pool.TemplateTxs(1 << 20))
	if got[0] != a.TxID() || got[1] != aChild.TxID() {
		t.Fatal("re-added parent must come before its child")
	}
}

func TestMempoolSharedSigCacheSkipsReverification(t *testing.T) {
	sc := chain.NewSigCache(1000)
	e := newPoolEnv(t, nil, chain.MempoolConfig{SigCache: sc})
	a := e.genesisPay(0, genesis.Coin, 1000)
	e.add(a)
	_, miss0 := sc.Stats()
	hits0, _ := sc.Stats()
	e.mine(a)
	hits, miss := sc.Stats()
	if hits != hits0+1 || miss != miss0 {
		t.Fatalf("block connect did not hit the cache: hits %d→%d misses %d→%d", hits0, hits, miss0, miss)
	}
}

// TestMempoolConcurrentAdd races admissions of conflicting and independent txs (run with
// -race): exactly one of each conflicting pair gets in.
func TestMempoolConcurrentAdd(t *testing.T) {
	e := newPoolEnv(t, nil, chain.MempoolConfig{})
	var txs []*chain.Tx
	for i := 0; i < 6; i++ {
		txs = append(txs, e.genesisPay(i, genesis.Coin, 1000), e.genesisPay(i, genesis.Coin, 2000))
	}
	var wg sync.WaitGroup
	errs := make([]error, len(txs))
	for i, tx := range txs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = e.pool.Add(tx, e.now)
		}()
	}
	wg.Wait()
	for i := 0; i < len(txs); i += 2 {
		if (errs[i] == nil) == (errs[i+1] == nil) {
			t.Fatalf("pair %d: errors %v / %v", i/2, errs[i], errs[i+1])
		}
	}
	if e.pool.Count() != 6 {
		t.Fatalf("count %d", e.pool.Count())
	}
}

// TestMempoolAddRacesUpdate admits transactions from several goroutines while blocks
// mining pool transactions connect and Update runs; afterwards the pool must be consistent
// with the chain: every input unspent on the chain or created by a pool parent, no tx that
// is already mined, and the byte count right.
func TestMempoolAddRacesUpdate(t *testing.T) {
	e := newPoolEnv(t, nil, chain.MempoolConfig{})
	op, out := e.b.GenesisCoin(0)
	outs := make([]chain.TxOut, 240)
	for j := range outs {
		outs[j] = chain.TxOut{Value: genesis.Coin, Lock: chain.PayTo(chaintest.PubKey(7))}
	}
	fan := chaintest.Spend([]chain.OutPoint{op}, []chain.TxOut{out}, []*btcec.PrivateKey{chaintest.Key(0)}, outs)
	e.mine(fan)
	var txs []*chain.Tx
	for j := range fan.Outputs {
		txs = append(txs, spendOut(fan, uint32(j), chaintest.Key(7), 1000+uint64(j)))
	}
	var wg sync.WaitGroup
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(txs); i += 4 {
				_, err := e.pool.Add(txs[i], e.now)
				var re *chain.RuleError
				if err != nil && !errors.As(err, &re) {
					t.Error(err)
				}
			}
		}()
	}
	for i := 0; i < 6; i++ {
		tpl, err := e.c.NewTemplate(e.pool, chain.TemplateRequest{PayTo: chaintest.PubKey(7), Now: e.now})
		if err != nil {
			t.Fatal(err)
		}
		res, err := e.c.ProcessBlock(tpl, e.now)
		if err != nil {
			t.Fatal(err)
		}
		e.pool.Update(res)
	}
	wg.Wait()
	size := 0
	for _, id := range e.pool.TxIDs() {
		tx, ok := e.pool.Get(id)
		if !ok {
			t.Fatal("TxIDs lists a missing tx")
		}
		size += tx.SerializeSize()
		for _, in := range tx.Inputs {
			c, err := e.c.Coin(in.Prev)
			if err != nil {
				t.Fatal(err)
			}
			if c == nil && !e.pool.Has(in.Prev.TxID) {
				t.Fatalf("pool tx %s spends %s:%d, neither on chain nor in the pool", id, in.Prev.TxID, in.Prev.Index)
			}
		}
		if c, _ := e.c.Coin(chain.OutPoint{TxID: id}); c != nil {
			t.Fatalf("pool tx %s is already mined", id)
		}
	}
	if size != e.pool.Bytes() {
		t.Fatalf("Bytes %d, sum of sizes %d", e.pool.Bytes(), size)
	}
	// Everything either got mined or is still waiting: nothing was lost.
	mined := 0
	for _, tx := range txs {
		if c, _ := e.c.Coin(chain.OutPoint{TxID: tx.TxID()}); c != nil {
			mined++
		}
	}
	if mined+e.pool.Count() != len(txs) {
		t.Fatalf("mined %d + pool %d != %d", mined, e.pool.Count(), len(txs))
	}
}

func TestMempoolExpireAndRemoveTakeDescendants(t *testing.T) {
	e := newPoolEnv(t, nil, chain.MempoolConfig{})
	old := e.genesisPay(0, genesis.Coin, 1000)
	oldChild := spendOut(old, 0, chaintest.Key(7), 1000)
	if _, err := e.pool.Add(old, e.now.Add(-2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	e.add(oldChild) // young, but rides on an expiring parent
	young := e.genesisPay(1, genesis.Coin, 1000)
	e.add(young)
	if n := e.pool.Expire(e.now.Add(-time.Hour)); n != 2 {
		t.Fatalf("expired %d, want parent + child", n)
	}
	if e.pool.Count() != 1 || !e.pool.Has(young.TxID()) {
		t.Fatal("wrong survivors")
	}
	if n := e.pool.Remove(young.TxID()); n != 1 || e.pool.Count() != 0 || e.pool.Bytes() != 0 {
		t.Fatalf("remove %d", n)
	}
	if n := e.pool.Remove(young.TxID()); n != 0 {
		t.Fatal("removed twice")
	}
	// Its input is free again.
	e.add(e.genesisPay(1, genesis.Coin, 3000))
}

func TestNewMempoolConfig(t *testing.T) {
	if _, err := chain.NewMempool(chain.MempoolConfig{}); err == nil {
		t.Fatal("nil chain accepted")
	}
	c, _ := chaintest.NewMemChain(t, nil)
	if _, err := chain.NewMempool(chain.MempoolConfig{Chain: c, MaxBytes: -1}); err == nil {
		t.Fatal("negative size accepted")
	}
	m, err := chain.NewMempool(chain.MempoolConfig{Chain: c, NoMinFee: true})
	if err != nil {
		t.Fatal(err)
	}
	if info := m.Info(); info.MinFeeRate != 0 || info.MaxBytes != chain.DefaultMempoolBytes {
		t.Fatalf("defaults %+v", info)
	}
	// Zero-fee transactions pass with NoMinFee (and no dust floor).
	b := chaintest.NewBuilder(c.Params())
	op, out := b.GenesisCoin(0)
	if _, err := m.Add(chaintest.Pay(op, out, chaintest.Key(0), chaintest.PubKey(7), out.Value, 0), chaintest.Now()); err != nil {
		t.Fatal(err)
	}
}

// The pool must judge admissions at the chain's current tip, even when the chain moved
// and Update has not run yet: a coinbase of the newest block is immature.
func TestMempoolUsesCurrentTipHeight(t *testing.T) {
	e := newPoolEnv(t, nil, chain.MempoolConfig{})
	var last *chain.Block
	for i := 0; i < 3; i++ {
		tip, _ := e.c.Tip()
		last = e.b.Block(tip, nil, 0)
		if _, err := e.c.ProcessBlock(last, e.now); err != nil { // no Update on purpose
			t.Fatal(err)
		}
	}
	_, err := e.pool.Add(spendOut(last.Txs[0], 0, chaintest.Key(7), 1000), e.now)
	wantKind(t, err, chain.ErrImmatureSpend)
}

// A child whose parent is the pool's floor cannot push the parent out to make room for
// itself (no child-pays-for-parent): it is refused and the parent stays.
func TestMempoolFullNeverEvictsNewcomersAncestor(t *testing.T) {
	e0 := newPoolEnv(t, nil, chain.MempoolConfig{})
	size := e0.genesisPay(0, genesis.Coin, 1000).SerializeSize()
	e := newPoolEnv(t, nil, chain.MempoolConfig{MaxBytes: 3*size + size/2})
	low := e.genesisPay(0, 10*genesis.Coin, 1500)
	e.add(low)
	e.add(e.genesisPay(1, genesis.Coin, 5000))
	e.add(e.genesisPay(2, genesis.Coin, 9000))
	_, err := e.pool.Add(spendOut(low, 0, chaintest.Key(7), 100_000), e.now)
	wantKind(t, err, chain.ErrMempoolFull)
	if !e.pool.Has(low.TxID()) || e.pool.Count() != 3 {
		t.Fatalf("the floor parent was evicted for its own child (count %d)", e.pool.Count())
	}
}
