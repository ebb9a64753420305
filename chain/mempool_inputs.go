package chain

// checkInputs checks tx's inputs for the next block on the chain tip: every input unspent
// on the chain or created by an in-pool parent, coinbase maturity, locktime, engine rules
// and value conservation — the same code block validation runs (checkTxInputs). It returns
// the fee and the spent coins (input order). Signatures are checked by the caller.
//
// The height is read under the chain's lock together with the UTXO set, never from the
// snapshot: the chain may have moved since (ProcessBlock done, Update not yet called).
func (m *Mempool) checkInputs(tx *Tx, snap *poolSnapshot) (uint64, []*Coin, error) {
	return m.chain.checkTxInputsAtTip(tx, snap.poolCoins)
}

// overlayReader serves extra coins (unconfirmed outputs of pool transactions) in front of
// the tip's UTXO set.
type overlayReader struct {
	extra map[OutPoint]*Coin
	base  UTXOReader
}

func (o overlayReader) Coin(op OutPoint) (*Coin, error) {
	if c, ok := o.extra[op]; ok {
		return c, nil
	}
	return o.base.Coin(op)
}

// checkTxInputsAtTip is CheckTxInputs for the block after the current tip, with extra
// coins (the mempool's unconfirmed outputs; may be nil) layered over the tip's UTXO set.
func (c *Chain) checkTxInputsAtTip(tx *Tx, extra map[OutPoint]*Coin) (uint64, []*Coin, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	tip := c.tip()
	st, _, err := c.stateOf(tip)
	if err != nil {
		return 0, nil, err
	}
	var view UTXOReader = c.utxo
	if len(extra) > 0 {
		view = overlayReader{extra: extra, base: c.utxo}
	}
	fee, spent, err := c.checkTxInputs(view, tx, tip.height+1, st)
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
