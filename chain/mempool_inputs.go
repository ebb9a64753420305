package chain

// checkInputs checks tx's inputs for the next block on the chain tip: every input unspent
// on the chain or created by an in-pool parent, coinbase maturity, locktime, engine rules
// and value conservation — the same code block validation runs (checkTxInputs). It returns
// the fee and the spent coins (input order). Signatures are checked by the caller.
func (m *Mempool) checkInputs(tx *Tx, snap *poolSnapshot) (uint64, []*Coin, error) {
	if len(snap.poolCoins) == 0 {
		return m.chain.CheckTxInputs(tx, snap.height)
	}
	return m.chain.checkTxInputsOverlay(tx, snap.height, snap.poolCoins)
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

// checkTxInputsOverlay is CheckTxInputs with extra coins layered over the tip's UTXO set
// (the mempool's view for chains of unconfirmed transactions).
func (c *Chain) checkTxInputsOverlay(tx *Tx, height uint64, extra map[OutPoint]*Coin) (uint64, []*Coin, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	st, _, err := c.stateOf(c.tip())
	if err != nil {
		return 0, nil, err
	}
	fee, spent, err := c.checkTxInputs(overlayReader{extra: extra, base: c.utxo}, tx, height, st)
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
