package chain

import (
	"errors"
	"math"
)

// checkTxInputs applies the contextual rules of one non-coinbase transaction against view
// at height (pipeline step 4): locktime, inputs exist and are unspent, coinbase maturity,
// value ranges, Engine.CheckTx and value conservation. It returns the fee and the coins the
// inputs spend, in input order. Signatures are not checked here.
func (c *Chain) checkTxInputs(view UTXOReader, tx *Tx, height uint64, st EngineState) (uint64, []*Coin, error) {
	if tx.IsCoinbase() {
		return 0, nil, ruleError(ErrBadTxInput, "a coinbase is only valid as a block's first transaction")
	}
	if tx.LockTime != 0 && tx.LockTime > height {
		return 0, nil, NewRuleError(ErrLockTime, "locktime %d, block height %d", tx.LockTime, height)
	}
	spent := make([]*Coin, len(tx.Inputs))
	var in uint64
	for i := range tx.Inputs {
		op := tx.Inputs[i].Prev
		coin, err := view.Coin(op)
		if err != nil {
			return 0, nil, err
		}
		if coin == nil {
			return 0, nil, NewRuleError(ErrMissingInput, "input %d spends %s:%d, which is spent or never existed", i, op.TxID, op.Index)
		}
		if coin.Coinbase && height-coin.Height < c.params.CoinbaseMaturity {
			return 0, nil, NewRuleError(ErrImmatureSpend, "input %d spends a coinbase from height %d at height %d (maturity %d)",
				i, coin.Height, height, c.params.CoinbaseMaturity)
		}
		if coin.Out.Value > MaxMoney || in+coin.Out.Value > MaxMoney {
			return 0, nil, NewRuleError(ErrBadTxOutValue, "input values exceed max money")
		}
		in += coin.Out.Value
		spent[i] = coin
	}
	adj, err := c.engine.CheckTx(c.view(), st, tx, spent, height)
	if err != nil {
		return 0, nil, err
	}
	var out uint64
	for i := range tx.Outputs {
		out += tx.Outputs[i].Value // bounded by CheckTransactionSanity
	}
	avail := int64(in) + adj
	if adj < -int64(MaxMoney) || adj > int64(MaxMoney) || avail < 0 || uint64(avail) < out {
		return 0, nil, NewRuleError(ErrSpendTooHigh, "outputs %d exceed inputs %d (engine adjustment %d)", out, in, adj)
	}
	return uint64(avail) - out, spent, nil
}

// CheckTxInputs applies the contextual rules of one non-coinbase transaction against the
// main-chain tip's UTXO set, as if included at height (normally tip+1): inputs exist,
// maturity, values, Engine.CheckTx (with the tip's engine state) and locktime. Signatures
// are NOT checked (VerifyTxSignatures). It returns the fee and the spent coins.
func (c *Chain) CheckTxInputs(tx *Tx, height uint64) (uint64, []*Coin, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	st, _, err := c.stateOf(c.tip())
	if err != nil {
		return 0, nil, err
	}
	fee, spent, err := c.checkTxInputs(c.utxo, tx, height, st)
	if err != nil {
		return 0, nil, err
	}
	cp := make([]*Coin, len(spent))
	for i, s := range spent {
		x := *s
		cp[i] = &x
	}
	return fee, cp, nil
}

// connectBlock validates blk (already context-free checked, ids its txids) on top of view's
// parent, which holds the UTXO set as of node's parent, and records the block's changes in
// view (pipeline steps 4-6). It returns the engine state after the block and the undo
// record (the spent coins in input order).
func (c *Chain) connectBlock(view *UTXOView, node *blockNode, blk *Block, ids []Hash, parentState EngineState) (st EngineState, undo []*Coin, err error) {
	height := node.height
	var fees uint64
	// Small blocks verify inline after the input checks; big ones overlap the two.
	nin := 0
	for _, tx := range blk.Txs[1:] {
		nin += len(tx.Inputs)
	}
	var jobs []sigJob
	var pipe *sigPipeline
	if c.workers > 1 && nin >= 4*sigPipelineChunk {
		pipe = newSigPipeline(c.workers, c.sigCache)
		defer func() {
			if pipe != nil {
				pipe.abort()
			}
		}()
	}
	for i, tx := range blk.Txs {
		if i == 0 {
			view.addTxOutputs(tx, ids[0], height)
			continue
		}
		fee, spent, err := c.checkTxInputs(view, tx, height, parentState)
		if err != nil {
			return nil, nil, wrapTxErr(err, i)
		}
		if fees > math.MaxUint64-fee || fees+fee > MaxMoney {
			return nil, nil, NewRuleError(ErrBadTxOutValue, "total fees exceed max money")
		}
		fees += fee
		if pipe != nil {
			var buf [4]sigJob
			pipe.add(appendSigJobs(buf[:0], tx, ids[i], i, spent)...)
		} else {
			jobs = appendSigJobs(jobs, tx, ids[i], i, spent)
		}
		for j := range tx.Inputs {
			if _, err := view.Spend(tx.Inputs[j].Prev); err != nil {
				return nil, nil, err
			}
		}
		undo = append(undo, spent...)
		view.addTxOutputs(tx, ids[i], height)
	}
	if pipe != nil {
		err, pipe = pipe.finish(), nil
	} else {
		err = verifyParallel(jobs, c.workers, c.sigCache)
	}
	if err != nil {
		return nil, nil, err
	}
	ctx := &ApplyContext{Height: height, View: view.parent, Parent: parentState, Fees: fees}
	if err := c.engine.Apply(c.view(), blk, ctx); err != nil {
		return nil, nil, err
	}
	var cb uint64
	for _, o := range blk.Txs[0].Outputs {
		cb += o.Value
	}
	if cb > ctx.MaxCoinbase {
		return nil, nil, NewRuleError(ErrBadCoinbaseValue, "coinbase pays %d, limit %d (fees %d)", cb, ctx.MaxCoinbase, fees)
	}
	return ctx.State, undo, nil
}

// appendSigJobs is txSigJobs with a precomputed txid.
func appendSigJobs(jobs []sigJob, tx *Tx, txid Hash, txIdx int, spent []*Coin) []sigJob {
	var buf [16]TxOut
	outs := buf[:0]
	for _, c := range spent {
		outs = append(outs, c.Out)
	}
	sh := SpentOutputsHash(outs)
	for i := range tx.Inputs {
		jobs = append(jobs, sigJob{msg: SigHash(txid, sh, uint32(i)), key: spent[i].Out.Lock.SpendKey(), sig: tx.Inputs[i].Witness, tx: txIdx, in: i})
	}
	return jobs
}

// disconnectIntoView undoes blk in view using its undo record.
func disconnectIntoView(view *UTXOView, blk *Block, ids []Hash, undo []*Coin) error {
	u := len(undo)
	for i := len(blk.Txs) - 1; i >= 0; i-- {
		tx := blk.Txs[i]
		for o := range tx.Outputs {
			c, err := view.Spend(OutPoint{TxID: ids[i], Index: uint32(o)})
			if err != nil {
				return err
			}
			if c == nil {
				return corrupt("disconnect: output %s:%d of the tip block is not in the UTXO set", ids[i], o)
			}
		}
		if i == 0 {
			break
		}
		for j := len(tx.Inputs) - 1; j >= 0; j-- {
			u--
			if u < 0 {
				return corrupt("disconnect: undo record too short")
			}
			view.Add(tx.Inputs[j].Prev, undo[u])
		}
	}
	if u != 0 {
		return corrupt("disconnect: undo record has %d extra coins", u)
	}
	return nil
}

// isRuleError reports whether err is a consensus rule violation (as opposed to storage).
func isRuleError(err error) bool {
	var re *RuleError
	return errors.As(err, &re)
}
