package wallet

import (
	"context"
	"errors"
	"fmt"

	"chainlab/chain"
)

// fakeNode is an in-memory stand-in for a node's RPC: a UTXO set, a mempool that checks
// signatures, values, maturity and the staking rules of package staking (unbonding value =
// validator balance, release in {E+U, E+U+1}, withdraw after release), and a block producer.
type fakeNode struct {
	params     NodeParams
	prefix     string
	height     uint64
	slot       uint64
	minRate    uint64
	utxos      map[chain.OutPoint]UTXO
	pool       []*chain.Tx
	validators map[Key32]*ValidatorStatus
	registered []Key32
}

func newFakeNode(engine string) *fakeNode {
	p := NodeParams{Network: "pow-dev", Engine: engine, CoinbaseMaturity: 10}
	prefix := "clpow"
	if engine == "pos" {
		p = NodeParams{Network: "pos-dev", Engine: engine, CoinbaseMaturity: 10, EpochSlots: 8, MinStake: 100 * unitsPerCoin, UnbondingEpochs: 4}
		prefix = "clpos"
	}
	return &fakeNode{params: p, prefix: prefix, minRate: 1, utxos: map[chain.OutPoint]UTXO{}, validators: map[Key32]*ValidatorStatus{}}
}

func (f *fakeNode) epoch() uint64 { return Tip{Slot: f.slot}.Epoch(f.params) }

func (f *fakeNode) Params(context.Context) (NodeParams, error) { return f.params, nil }
func (f *fakeNode) Tip(context.Context) (Tip, error) {
	return Tip{Height: f.height, Slot: f.slot}, nil
}
func (f *fakeNode) Mempool(context.Context) ([]*chain.Tx, error) { return f.pool, nil }
func (f *fakeNode) FeeInfo(context.Context) (FeeInfo, error) {
	fi := FeeInfo{MinRate: f.minRate, MaxBlockSize: 1 << 20}
	for _, tx := range f.pool {
		fi.Pool = append(fi.Pool, PoolEntry{Fee: 1000, Size: tx.SerializeSize()})
	}
	return fi, nil
}

func (f *fakeNode) ListUnspent(_ context.Context, addrs []string) ([]UTXO, error) {
	var out []UTXO
	for _, a := range addrs {
		key, err := DecodeAddress(f.prefix, a)
		if err != nil {
			return nil, err
		}
		for _, u := range f.utxos {
			if u.Lock.SpendKey() == key {
				u.Confirmations = f.height - u.Height + 1
				out = append(out, u)
			}
		}
	}
	return out, nil
}

// poolOutput finds an output of a mempool transaction (chained unconfirmed spends).
func (f *fakeNode) poolOutput(op chain.OutPoint) (UTXO, bool) {
	for _, tx := range f.pool {
		if tx.TxID() == op.TxID && int(op.Index) < len(tx.Outputs) {
			o := tx.Outputs[op.Index]
			return UTXO{OutPoint: op, Value: o.Value, Lock: o.Lock}, true
		}
	}
	return UTXO{}, false
}

func (f *fakeNode) inPool(op chain.OutPoint) bool {
	for _, tx := range f.pool {
		for _, in := range tx.Inputs {
			if in.Prev == op {
				return true
			}
		}
	}
	return false
}

func (f *fakeNode) SendRawTransaction(_ context.Context, tx *chain.Tx) (chain.Hash, error) {
	if _, err := chain.DecodeTx(tx.Bytes()); err != nil {
		return chain.Hash{}, err
	}
	spent := make([]chain.TxOut, len(tx.Inputs))
	var in, out uint64
	E := f.epoch()
	unbonds := map[Key32]*ValidatorStatus{}
	for i, txin := range tx.Inputs {
		u, ok := f.utxos[txin.Prev]
		if !ok {
			u, ok = f.poolOutput(txin.Prev)
		}
		if !ok {
			return chain.Hash{}, chain.NewRuleError(chain.ErrMissingInput, "input %d", i)
		}
		if f.inPool(txin.Prev) {
			return chain.Hash{}, chain.NewRuleError(chain.ErrMempoolConflict, "input %d", i)
		}
		if u.Coinbase && f.height-u.Height < f.params.CoinbaseMaturity {
			return chain.Hash{}, chain.NewRuleError(chain.ErrImmatureSpend, "input %d", i)
		}
		spent[i] = chain.TxOut{Value: u.Value, Lock: u.Lock}
		eff := u.Value
		switch u.Lock.Kind {
		case chain.LockStake:
			v := f.validators[Key32(u.Lock.Key)]
			eff = v.Balance
			unbonds[Key32(u.Lock.Key)] = v
		case chain.LockUnbonding:
			v := f.validators[Key32(u.Lock.Key)]
			if E < u.Lock.Release || E < v.Exit {
				return chain.Hash{}, chain.NewRuleError(chain.ErrLockedOutput, "input %d: release %d exit %d now %d", i, u.Lock.Release, v.Exit, E)
			}
			eff = v.Balance
		}
		in += eff
	}
	txid, sh := tx.TxID(), chain.SpentOutputsHash(spent)
	for i := range tx.Inputs {
		if !chain.VerifySchnorr(spent[i].Lock.SpendKey(), chain.SigHash(txid, sh, uint32(i)), tx.Inputs[i].Witness) {
			return chain.Hash{}, chain.NewRuleError(chain.ErrBadSignature, "input %d", i)
		}
	}
	for j, o := range tx.Outputs {
		out += o.Value
		switch o.Lock.Kind {
		case chain.LockStake:
			if o.Value < f.params.MinStake {
				return chain.Hash{}, chain.NewRuleError(chain.ErrBadStake, "output %d below min stake", j)
			}
		case chain.LockUnbonding:
			v, ok := unbonds[Key32(o.Lock.Key)]
			want := E + f.params.UnbondingEpochs
			if !ok || o.Lock.Release < want || o.Lock.Release > want+1 || o.Value != v.Balance {
				return chain.Hash{}, chain.NewRuleError(chain.ErrBadStake, "output %d: bad unbonding", j)
			}
		}
	}
	if out > in {
		return chain.Hash{}, chain.NewRuleError(chain.ErrSpendTooHigh, "in %d out %d", in, out)
	}
	if in-out < uint64(tx.SerializeSize())*f.minRate {
		return chain.Hash{}, chain.NewRuleError(chain.ErrFeeTooLow, "fee %d", in-out)
	}
	f.pool = append(f.pool, tx)
	return txid, nil
}

// mine produces n blocks (advancing one slot each in PoS), confirming the mempool in the
// first and paying 50 coins to payTo in each.
func (f *fakeNode) mine(n int, payTo [32]byte) {
	for i := 0; i < n; i++ {
		f.height++
		f.slot++
		cb := chain.NewCoinbase(f.height, nil, []chain.TxOut{{Value: 50 * unitsPerCoin, Lock: chain.PayTo(payTo)}})
		f.add(cb, true)
		for _, tx := range f.pool {
			for _, in := range tx.Inputs {
				u := f.utxos[in.Prev]
				switch u.Lock.Kind {
				case chain.LockStake:
					v := f.validators[Key32(u.Lock.Key)]
					v.Exit = f.epoch() + 2
				}
				delete(f.utxos, in.Prev)
			}
			f.add(tx, false)
		}
		f.pool = nil
		for _, v := range f.validators {
			v.Active = v.Activation <= f.epoch() && f.epoch() < v.Exit
		}
	}
}

func (f *fakeNode) add(tx *chain.Tx, coinbase bool) {
	txid := tx.TxID()
	for j, o := range tx.Outputs {
		op := chain.OutPoint{TxID: txid, Index: uint32(j)}
		f.utxos[op] = UTXO{OutPoint: op, Value: o.Value, Lock: o.Lock, Height: f.height, Coinbase: coinbase}
		if o.Lock.Kind == chain.LockStake {
			f.validators[Key32(o.Lock.Key)] = &ValidatorStatus{Key: Key32(o.Lock.Key), Balance: o.Value, Activation: f.epoch() + 2, Exit: ^uint64(0)}
		}
	}
}

// fund credits a confirmed, non-coinbase output to key.
func (f *fakeNode) fund(key [32]byte, value uint64) {
	f.height++
	tx := &chain.Tx{Version: 1, Inputs: []chain.TxIn{{Prev: chain.OutPoint{Index: uint32(f.height)}}}, Outputs: []chain.TxOut{{Value: value, Lock: chain.PayTo(key)}}}
	f.add(tx, false)
}

// Miner and Staking.
func (f *fakeNode) GenerateToAddress(_ context.Context, n int, addr string) ([]chain.Hash, error) {
	key, err := DecodeAddress(f.prefix, addr)
	if err != nil {
		return nil, err
	}
	f.mine(n, key)
	return make([]chain.Hash, n), nil
}
func (f *fakeNode) SetGenerate(context.Context, bool, int) error { return nil }
func (f *fakeNode) SetHashRate(context.Context, float64) error   { return nil }
func (f *fakeNode) Validators(context.Context) ([]ValidatorStatus, error) {
	if f.params.Engine != "pos" {
		return nil, errors.New("not pos")
	}
	var out []ValidatorStatus
	for _, v := range f.validators {
		vv := *v
		for _, r := range f.registered {
			vv.Local = vv.Local || r == v.Key
		}
		out = append(out, vv)
	}
	return out, nil
}
func (f *fakeNode) StakingStatus(context.Context) (StakingStatus, error) {
	return StakingStatus{Enabled: true, Slot: f.slot, Epoch: f.epoch()}, nil
}
func (f *fakeNode) RegisterValidator(_ context.Context, priv []byte) (Key32, error) {
	k, err := ParsePrivateKey(fmt.Sprintf("%x", priv))
	if err != nil {
		return Key32{}, err
	}
	f.registered = append(f.registered, Key32(XOnly(k)))
	if v, ok := f.validators[Key32(XOnly(k))]; ok {
		v.Local = true
	}
	return Key32(XOnly(k)), nil
}
