package staking

import (
	"chainlab/chain"
)

// CheckTx applies the staking rules to a non-coinbase transaction, given the state after
// the parent block (whose epoch E is the reference epoch of the rules):
//
//   - a stake output bonds at least MinStake to a validator key not yet known;
//   - spending a stake output (the validator's bonding outpoint, not yet unbonded) requires an
//     unbonding output with the same validator key and owner, Release in {E+U, E+U+1}
//     (U = UnbondingEpochs; one epoch of slack so a pending tx survives an epoch boundary)
//     and value equal to the validator's current balance; the signed adjustment returned is
//     balance - bonded value (rewards minus penalties);
//   - an unbonding output can only be created that way, and spent (by its owner, checked
//     by the chain) once E >= Release and E >= the validator's exit epoch
//     (ErrLockedOutput); spending it returns the adjustment balance - unbonding value
//     (rewards or penalties, e.g. a slashing, accrued while it was still active).
func (e *Engine) CheckTx(r chain.HeaderReader, st chain.EngineState, tx *chain.Tx, spent []*chain.Coin, height uint64) (int64, error) {
	s, err := asState(st)
	if err != nil {
		return 0, err
	}
	if len(spent) != len(tx.Inputs) {
		return 0, chain.NewRuleError(chain.ErrBadStake, "%d inputs, %d spent coins", len(tx.Inputs), len(spent))
	}
	E := s.Epoch
	var adj int64
	unbonds := map[[32]byte]Validator{} // validator key -> record, for each stake input
	for i, c := range spent {
		if c == nil {
			continue // missing inputs are the chain's error
		}
		lk := c.Out.Lock
		switch lk.Kind {
		case chain.LockStake:
			_, v, ok := s.ValidatorByKey(lk.Key)
			if !ok || v.Stake != tx.Inputs[i].Prev || v.Unbonded {
				return 0, chain.NewRuleError(chain.ErrBadStake, "input %d: stake output is not validator %x's bond", i, lk.Key[:8])
			}
			unbonds[lk.Key] = v
			adj += int64(v.Balance) - int64(c.Out.Value)
		case chain.LockUnbonding:
			if E < lk.Release {
				return 0, chain.NewRuleError(chain.ErrLockedOutput, "input %d: unbonding until epoch %d, now %d", i, lk.Release, E)
			}
			if _, v, ok := s.ValidatorByKey(lk.Key); ok && v.Unbonded && !v.Withdrawn {
				if E < v.Exit {
					return 0, chain.NewRuleError(chain.ErrLockedOutput, "input %d: validator exits at epoch %d, now %d", i, v.Exit, E)
				}
				adj += int64(v.Balance) - int64(c.Out.Value)
			}
		}
	}
	newKeys := map[[32]byte]bool{}
	for j, out := range tx.Outputs {
		lk := out.Lock
		switch lk.Kind {
		case chain.LockStake:
			if out.Value < e.pos.MinStake {
				return 0, chain.NewRuleError(chain.ErrBadStake, "output %d: stake %d below min %d", j, out.Value, e.pos.MinStake)
			}
			if _, known := s.index[lk.Key]; known || newKeys[lk.Key] {
				return 0, chain.NewRuleError(chain.ErrBadStake, "output %d: validator key %x already bonded", j, lk.Key[:8])
			}
			newKeys[lk.Key] = true
		case chain.LockUnbonding:
			v, ok := unbonds[lk.Key]
			if !ok {
				return 0, chain.NewRuleError(chain.ErrBadStake, "output %d: unbonding output without its stake input", j)
			}
			delete(unbonds, lk.Key)
			want := E + e.pos.UnbondingEpochs
			if lk.Owner != v.Owner || lk.Release < want || lk.Release > want+1 || out.Value != v.Balance {
				return 0, chain.NewRuleError(chain.ErrBadStake,
					"output %d: unbonding must be owner %x, release %d, value %d (got %x, %d, %d)",
					j, v.Owner[:8], want, v.Balance, lk.Owner[:8], lk.Release, out.Value)
			}
		}
	}
	for k := range unbonds {
		return 0, chain.NewRuleError(chain.ErrBadStake, "stake of %x spent without an unbonding output", k[:8])
	}
	return adj, nil
}

// applyTxs records the stake transitions of b's transactions in st (already in epoch ep):
// new stake outputs become validators activating at ep + ActivationDelay (at least 1), a
// spent stake output marks its validator unbonded with exit at ep + ExitDelay (at least
// 1), a spent unbonding output marks it withdrawn. The coinbase may only pay.
func (e *Engine) applyTxs(st *State, b *chain.Block, view chain.UTXOReader, ep uint64) error {
	created := map[chain.OutPoint]chain.TxOut{}
	var vb *valBuilder
	builder := func() *valBuilder {
		if vb == nil {
			vb = st.vals.builder()
		}
		return vb
	}
	for ti, tx := range b.Txs {
		txid := tx.TxID()
		if ti == 0 {
			for j, out := range tx.Outputs {
				if out.Lock.Kind != chain.LockPay {
					return chain.NewRuleError(chain.ErrBadStake, "coinbase output %d has a %s lock", j, out.Lock.Kind)
				}
			}
			continue
		}
		for _, in := range tx.Inputs {
			out, ok := created[in.Prev]
			if !ok && view != nil {
				c, err := view.Coin(in.Prev)
				if err != nil {
					return err
				}
				if c == nil {
					continue
				}
				out = c.Out
			}
			switch out.Lock.Kind {
			case chain.LockStake:
				i, ok := st.index[out.Lock.Key]
				if !ok {
					return chain.NewRuleError(chain.ErrBadStake, "stake input of unknown validator %x", out.Lock.Key[:8])
				}
				v := builder().Mut(int(i))
				if v.Unbonded || v.Stake != in.Prev {
					return chain.NewRuleError(chain.ErrBadStake, "validator %x unbonded twice", out.Lock.Key[:8])
				}
				v.Unbonded = true
				v.Exit = min(v.Exit, ep+max(e.pos.ExitDelay, 1))
			case chain.LockUnbonding:
				if i, ok := st.index[out.Lock.Key]; ok {
					builder().Mut(int(i)).Withdrawn = true
				}
			}
		}
		for j, out := range tx.Outputs {
			op := chain.OutPoint{TxID: txid, Index: uint32(j)}
			created[op] = out
			if out.Lock.Kind != chain.LockStake {
				continue
			}
			if _, known := st.index[out.Lock.Key]; known {
				return chain.NewRuleError(chain.ErrBadStake, "validator key %x bonded twice", out.Lock.Key[:8])
			}
			if out.Value < e.pos.MinStake {
				return chain.NewRuleError(chain.ErrBadStake, "stake %d below min %d", out.Value, e.pos.MinStake)
			}
			// Appending needs the index map copied (rare: only blocks that bond).
			if vb != nil {
				st.vals = vb.list()
				vb = nil
			}
			idx := make(map[[32]byte]uint32, len(st.index)+1)
			for k, v := range st.index {
				idx[k] = v
			}
			idx[out.Lock.Key] = uint32(st.vals.Len())
			st.index = idx
			st.vals = st.vals.appendVal(Validator{
				Key: out.Lock.Key, Owner: out.Lock.Owner, Stake: op,
				Bonded: out.Value, Balance: out.Value,
				Activation: ep + max(e.pos.ActivationDelay, 1), Exit: FarFuture,
			})
			e.fc.learnKey(out.Lock.Key)
		}
	}
	if vb != nil {
		st.vals = vb.list()
	}
	return nil
}
