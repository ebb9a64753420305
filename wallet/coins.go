package wallet

import (
	"bytes"
	"sort"

	"chainlab/chain"
)

// UTXO is an unspent output the node reports for one of the wallet's keys, or an output of a
// mempool transaction (Confirmations 0).
type UTXO struct {
	OutPoint      chain.OutPoint
	Value         uint64
	Lock          chain.Lock
	Height        uint64 // block height (0 while unconfirmed)
	Confirmations uint64 // 0: in the mempool
	Coinbase      bool
}

// Snapshot is what the wallet learned from its node at one moment: the tip, the confirmed
// outputs of its keys and the mempool. Balances and coin selection are pure functions of it.
type Snapshot struct {
	Height    uint64      // tip height
	Epoch     uint64      // PoS epoch of the tip (0 for PoW)
	Maturity  uint64      // coinbase maturity in blocks
	Confirmed []UTXO      // listunspent for the wallet's addresses
	Mempool   []*chain.Tx // transactions in the node's mempool (may be nil)
}

// Mature reports whether a confirmed coin may be spent in the next block. A coinbase needs
// Maturity blocks on top of it (the tip counted from its own height, as listunspent's
// "spendable" does).
func (s *Snapshot) Mature(u UTXO) bool {
	if !u.Coinbase {
		return true
	}
	return u.Confirmations > 0 && s.Height >= u.Height && s.Height-u.Height >= s.Maturity
}

// CoinView classifies the wallet's outputs in a snapshot.
type CoinView struct {
	Spendable   []UTXO // pay outputs in blocks, mature, not spent by a mempool tx; sorted
	Unconfirmed []UTXO // pay outputs to the wallet in mempool txs, not spent again in the mempool
	Immature    []UTXO // coinbase outputs not yet mature
	Staked      []UTXO // stake outputs owned by the wallet
	Unbonding   []UTXO // unbonding outputs owned by the wallet
	Pending     []UTXO // the wallet's confirmed outputs that mempool txs spend
}

// View classifies s's outputs for the wallet's keys (x-only keys it can sign for).
func (s *Snapshot) View(mine func(key [32]byte) bool) *CoinView {
	spentInPool := map[chain.OutPoint]bool{}
	for _, tx := range s.Mempool {
		for _, in := range tx.Inputs {
			spentInPool[in.Prev] = true
		}
	}
	v := &CoinView{}
	seen := map[chain.OutPoint]bool{}
	for _, u := range s.Confirmed {
		if seen[u.OutPoint] || !mine(u.Lock.SpendKey()) {
			continue
		}
		seen[u.OutPoint] = true
		if spentInPool[u.OutPoint] {
			v.Pending = append(v.Pending, u)
			continue
		}
		switch u.Lock.Kind {
		case chain.LockStake:
			v.Staked = append(v.Staked, u)
		case chain.LockUnbonding:
			v.Unbonding = append(v.Unbonding, u)
		default:
			if s.Mature(u) {
				v.Spendable = append(v.Spendable, u)
			} else {
				v.Immature = append(v.Immature, u)
			}
		}
	}
	for _, tx := range s.Mempool {
		txid := tx.TxID()
		for i, out := range tx.Outputs {
			op := chain.OutPoint{TxID: txid, Index: uint32(i)}
			if spentInPool[op] || seen[op] || !mine(out.Lock.SpendKey()) {
				continue
			}
			seen[op] = true
			u := UTXO{OutPoint: op, Value: out.Value, Lock: out.Lock}
			switch out.Lock.Kind {
			case chain.LockStake:
				v.Staked = append(v.Staked, u)
			case chain.LockUnbonding:
				v.Unbonding = append(v.Unbonding, u)
			default:
				v.Unconfirmed = append(v.Unconfirmed, u)
			}
		}
	}
	for _, l := range [][]UTXO{v.Spendable, v.Unconfirmed, v.Immature, v.Staked, v.Unbonding, v.Pending} {
		sortCoins(l)
	}
	return v
}

// sortCoins orders coins by value, largest first, then by outpoint (deterministic).
func sortCoins(l []UTXO) {
	sort.Slice(l, func(i, j int) bool {
		if l[i].Value != l[j].Value {
			return l[i].Value > l[j].Value
		}
		if c := bytes.Compare(l[i].OutPoint.TxID[:], l[j].OutPoint.TxID[:]); c != 0 {
			return c < 0
		}
		return l[i].OutPoint.Index < l[j].OutPoint.Index
	})
}

// Balance is the wallet's money by state, in base units.
type Balance struct {
	Confirmed    uint64 `json:"confirmed"`    // spendable now
	Unconfirmed  uint64 `json:"unconfirmed"`  // incoming (or change) in mempool txs
	Immature     uint64 `json:"immature"`     // coinbase outputs not yet mature
	Staked       uint64 `json:"staked"`       // bonded in stake outputs (face value)
	Unbonding    uint64 `json:"unbonding"`    // in unbonding outputs not yet released
	Withdrawable uint64 `json:"withdrawable"` // in unbonding outputs released (wallet withdraw)
	Pending      uint64 `json:"pending"`      // confirmed outputs being spent by mempool txs
}

// Total is the sum of every category except Pending (already replaced by the mempool txs'
// outputs that come back to the wallet).
func (b Balance) Total() uint64 {
	return b.Confirmed + b.Unconfirmed + b.Immature + b.Staked + b.Unbonding + b.Withdrawable
}

// Balance sums the view. Unbonding outputs count as withdrawable once the snapshot's epoch
// reaches their release epoch (the node may still refuse until the validator's exit epoch).
func (v *CoinView) Balance(epoch uint64) Balance {
	var b Balance
	for _, u := range v.Spendable {
		b.Confirmed += u.Value
	}
	for _, u := range v.Unconfirmed {
		b.Unconfirmed += u.Value
	}
	for _, u := range v.Immature {
		b.Immature += u.Value
	}
	for _, u := range v.Staked {
		b.Staked += u.Value
	}
	for _, u := range v.Unbonding {
		if u.Confirmations > 0 && epoch >= u.Lock.Release {
			b.Withdrawable += u.Value
		} else {
			b.Unbonding += u.Value
		}
	}
	for _, u := range v.Pending {
		b.Pending += u.Value
	}
	return b
}
