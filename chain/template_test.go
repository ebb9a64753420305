package chain_test

import (
	"testing"
	"time"

	"chainlab/chain"
	"chainlab/chain/chaintest"
	"chainlab/genesis"
)

func TestTemplateOnEmptyPoolIsAccepted(t *testing.T) {
	e := newPoolEnv(t, nil, chain.MempoolConfig{})
	for i := 0; i < 3; i++ {
		blk, err := e.c.NewTemplate(e.pool, chain.TemplateRequest{PayTo: chaintest.PubKey(2), Extra: []byte("tpl"), Now: e.now})
		if err != nil {
			t.Fatal(err)
		}
		res, err := e.c.ProcessBlock(blk, e.now)
		if err != nil {
			t.Fatalf("template %d rejected: %v", i, err)
		}
		if res.Status != chain.StatusMainChain || res.Height != uint64(i+1) {
			t.Fatalf("template %d: %+v", i, res)
		}
		cb := blk.Txs[0]
		if h, _ := chain.CoinbaseHeight(cb); h != uint64(i+1) || cb.Outputs[0].Value != e.c.Params().BlockSubsidy(h) || cb.Outputs[0].Lock != chain.PayTo(chaintest.PubKey(2)) {
			t.Fatalf("coinbase %+v", cb)
		}
		e.b.Record(blk)
	}
	// A clock behind the median time past still yields a valid time (MTP+1); a nil source
	// gives a coinbase-only block.
	blk, err := e.c.NewTemplate(nil, chain.TemplateRequest{PayTo: chaintest.PubKey(2), Now: time.Unix(0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	tip, _ := e.c.Tip()
	mtp, _ := e.c.MedianTimePast(tip)
	if blk.Header.Time != mtp+1 || len(blk.Txs) != 1 {
		t.Fatalf("time %d, mtp %d, %d txs", blk.Header.Time, mtp, len(blk.Txs))
	}
	if _, err := e.c.ProcessBlock(blk, e.now); err != nil {
		t.Fatal(err)
	}
	if _, err := e.c.NewTemplate(nil, chain.TemplateRequest{Extra: make([]byte, chain.MaxCoinbaseData)}); err == nil {
		t.Fatal("oversize coinbase extra accepted")
	}
}

func TestTemplateTakesHighestFeeRatesFirst(t *testing.T) {
	p := chaintest.Params()
	p.MaxBlockSize = 1000 // header + coinbase + about three 1-in-2-out txs
	e := newPoolEnv(t, p, chain.MempoolConfig{})
	fees := []uint64{3000, 12000, 7000, 1000, 9000, 5000}
	var txs []*chain.Tx
	for i, f := range fees {
		tx := e.genesisPay(i, genesis.Coin, f)
		txs = append(txs, tx)
		e.add(tx)
	}
	blk, err := e.c.NewTemplate(e.pool, chain.TemplateRequest{PayTo: chaintest.PubKey(2), Now: e.now})
	if err != nil {
		t.Fatal(err)
	}
	if n := blk.SerializeSize(); n > int(p.MaxBlockSize) {
		t.Fatalf("template is %d bytes", n)
	}
	got := blk.Txs[1:]
	if len(got) < 2 {
		t.Fatalf("only %d txs fit", len(got))
	}
	// The k included are exactly the k highest fees, in fee order.
	want := []int{1, 4, 2, 5, 0, 3}
	var total uint64
	for i, tx := range got {
		if tx.TxID() != txs[want[i]].TxID() {
			t.Fatalf("tx %d is not the fee %d tx", i, fees[want[i]])
		}
		total += fees[want[i]]
	}
	if cb := blk.Txs[0].Outputs[0].Value; cb != p.BlockSubsidy(1)+total {
		t.Fatalf("coinbase %d, want subsidy + %d", cb, total)
	}
	res, err := e.c.ProcessBlock(blk, e.now)
	if err != nil {
		t.Fatalf("template rejected: %v", err)
	}
	e.pool.Update(res)
	if e.pool.Count() != len(fees)-len(got) {
		t.Fatalf("pool has %d after mining %d of %d", e.pool.Count(), len(got), len(fees))
	}
}

// A pool that lags the chain (Update not called yet) must not poison the template.
func TestTemplateSkipsStalePoolTxs(t *testing.T) {
	e := newPoolEnv(t, nil, chain.MempoolConfig{})
	a := e.genesisPay(0, genesis.Coin, 4000)
	b := e.genesisPay(1, genesis.Coin, 2000)
	e.add(a)
	e.add(b)
	tip, _ := e.c.Tip()
	blk := e.b.Block(tip, []*chain.Tx{a}, 4000)
	if _, err := e.c.ProcessBlock(blk, e.now); err != nil { // no pool Update on purpose
		t.Fatal(err)
	}
	tpl, err := e.c.NewTemplate(e.pool, chain.TemplateRequest{PayTo: chaintest.PubKey(2), Now: e.now})
	if err != nil {
		t.Fatal(err)
	}
	if len(tpl.Txs) != 2 || tpl.Txs[1].TxID() != b.TxID() {
		t.Fatalf("template txs %v", ids(tpl.Txs))
	}
	if _, err := e.c.ProcessBlock(tpl, e.now); err != nil {
		t.Fatal(err)
	}
}

// voteRefusingEngine is the test engine with an Apply that refuses any vote, as a PoS
// engine does with a stale or duplicate one.
type voteRefusingEngine struct{ *chaintest.Engine }

func (e voteRefusingEngine) Apply(r chain.HeaderReader, b *chain.Block, ctx *chain.ApplyContext) error {
	if len(b.Votes) > 0 {
		return chain.NewRuleError(chain.ErrBadVote, "refused")
	}
	return e.Engine.Apply(r, b, ctx)
}

func TestTemplateDropsVotesTheEngineRefuses(t *testing.T) {
	p := chaintest.Params()
	c, _ := chaintest.NewMemChain(t, &chain.Config{Params: p, Engine: voteRefusingEngine{chaintest.NewEngine(p)}})
	blk, err := c.NewTemplate(nil, chain.TemplateRequest{PayTo: chaintest.PubKey(1), Votes: []chain.Vote{{Slot: 1}}, Now: chaintest.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if len(blk.Votes) != 0 {
		t.Fatal("refused votes kept in the template")
	}
	if _, err := c.ProcessBlock(blk, chaintest.Now()); err != nil {
		t.Fatal(err)
	}
}
