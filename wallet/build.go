package wallet

import (
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"

	"chainlab/chain"
)

// Fee and dust policy.
const (
	// DefaultMinFeeRate is the fee rate (base units per byte) used when the node reports none.
	DefaultMinFeeRate = 1
	// inputSize is the encoded size of a signed input: outpoint 36, empty data 1, witness 1+64.
	inputSize = 36 + 1 + 1 + chain.WitnessSize
)

// payOutputSize is the encoded size of a pay output: value 8, kind 1, key 32.
const payOutputSize = 8 + 1 + 32

// DustLimit is the smallest output worth creating at feeRate: one worth less than three times
// the fee of the bytes it costs over its life (the output plus the input that spends it) is
// dust. This is the mempool's rule (chain.MempoolConfig.DustLimit) at the same rate.
func DustLimit(feeRate uint64) uint64 { return 3 * (payOutputSize + inputSize) * max(feeRate, 1) }

// Errors of transaction building; match with errors.Is.
var (
	ErrInsufficientFunds = errors.New("wallet: insufficient funds")
	ErrDust              = errors.New("wallet: amount is dust")
	ErrNothingToDo       = errors.New("wallet: nothing to do")
	ErrNotMine           = errors.New("wallet: output is not the wallet's")
)

// InsufficientFundsError says how much was needed and what the wallet has.
type InsufficientFundsError struct {
	Amount      uint64 // what the outputs pay
	Fee         uint64 // fee at the requested rate for the smallest transaction that could work
	Spendable   uint64 // confirmed, mature, not pending
	Immature    uint64
	Unconfirmed uint64
}

func (e *InsufficientFundsError) Error() string {
	msg := fmt.Sprintf("insufficient funds: need %s (amount %s + fee %s), spendable %s",
		FormatAmount(e.Amount+e.Fee), FormatAmount(e.Amount), FormatAmount(e.Fee), FormatAmount(e.Spendable))
	if e.Immature > 0 {
		msg += fmt.Sprintf(", immature coinbase %s", FormatAmount(e.Immature))
	}
	if e.Unconfirmed > 0 {
		msg += fmt.Sprintf(", unconfirmed %s", FormatAmount(e.Unconfirmed))
	}
	return msg
}

// Is makes errors.Is(err, ErrInsufficientFunds) match.
func (e *InsufficientFundsError) Is(target error) bool { return target == ErrInsufficientFunds }

// DustError reports an output below the dust limit.
type DustError struct{ Amount, Limit uint64 }

func (e *DustError) Error() string {
	return fmt.Sprintf("amount %s is dust: below %s at this fee rate", FormatAmount(e.Amount), FormatAmount(e.Limit))
}

// Is makes errors.Is(err, ErrDust) match.
func (e *DustError) Is(target error) bool { return target == ErrDust }

// Input is a coin a transaction must spend. Effective is what the consensus rules credit for
// it: its value, or (a stake or unbonding output) the validator's current balance.
type Input struct {
	UTXO
	Effective uint64
}

// TxRequest describes a transaction to build.
type TxRequest struct {
	Outputs   []chain.TxOut // payments (may be empty for a sweep)
	Fixed     []Input       // inputs that must be spent (stake, unbonding)
	Coins     []UTXO        // candidate coins for selection (CoinView.Spendable)
	FeeRate   uint64        // base units per byte
	Change    chain.Lock    // where change goes
	Dust      uint64        // change below this is given to the fee (0: DustLimit(FeeRate))
	SweepTo   *chain.Lock   // if set: no selection; Fixed minus fee goes to this lock
	LockTime  uint64
	Available *CoinView // for error messages (optional)
}

// Built is an unsigned (or signed) transaction with what it spends.
type Built struct {
	Tx     *chain.Tx
	Spent  []UTXO // spent[i] is input i's output
	Fee    uint64
	Change int // index of the change output, -1 if none
}

// estimateSize returns the exact signed size of a tx with nIn ordinary inputs and outs: the
// size of the outputs-only encoding plus nIn signed inputs and the input-count varint.
func estimateSize(nIn int, outs []chain.TxOut) int {
	base := (&chain.Tx{Outputs: outs}).SerializeSize()
	return base - chain.VarintSize(0) + chain.VarintSize(uint64(nIn)) + nIn*inputSize
}

// BuildTx selects coins and builds the transaction req describes. Selection is
// deterministic: first the smallest single coin that pays everything (preferring one that
// needs no change), else the largest coins first until the total covers the outputs and the
// fee; change below the dust limit is left to the fee.
func BuildTx(req TxRequest) (*Built, error) {
	if req.FeeRate == 0 {
		req.FeeRate = DefaultMinFeeRate
	}
	dust := req.Dust
	if dust == 0 {
		dust = DustLimit(req.FeeRate)
	}
	var pay, fixed uint64
	for _, o := range req.Outputs {
		if o.Lock.Kind == chain.LockPay && o.Value < dust {
			return nil, &DustError{Amount: o.Value, Limit: dust}
		}
		if pay+o.Value < pay {
			return nil, fmt.Errorf("%w: outputs overflow", ErrAmountOverflow)
		}
		pay += o.Value
	}
	for _, in := range req.Fixed {
		fixed += in.Effective
	}
	if req.SweepTo != nil {
		return buildSweep(req, fixed, pay, dust)
	}

	withChange := append(append([]chain.TxOut(nil), req.Outputs...), chain.TxOut{Lock: req.Change})
	feeFor := func(nIn int, change bool) uint64 {
		outs := req.Outputs
		if change {
			outs = withChange
		}
		return uint64(estimateSize(len(req.Fixed)+nIn, outs)) * req.FeeRate
	}
	finish := func(sel []UTXO, sum uint64) (*Built, bool) {
		total := fixed + sum
		if f := feeFor(len(sel), true); total >= pay+f && total-pay-f >= dust {
			return assemble(req, sel, withChange, total-pay-f, f), true
		}
		if f := feeFor(len(sel), false); total >= pay+f {
			return assemble(req, sel, req.Outputs, 0, total-pay), true
		}
		return nil, false
	}

	// No selection needed: the fixed inputs pay for everything.
	if b, ok := finish(nil, 0); ok {
		return b, nil
	}
	coins := append([]UTXO(nil), req.Coins...)
	sortCoins(coins)
	// Smallest single coin that needs no change, then smallest single coin overall.
	for _, changeOK := range []bool{false, true} {
		for i := len(coins) - 1; i >= 0; i-- {
			total := fixed + coins[i].Value
			if !changeOK {
				f := feeFor(1, false)
				if total >= pay+f && total-pay-f < dust {
					b, _ := finish(coins[i:i+1], coins[i].Value)
					return b, nil
				}
				continue
			}
			if b, ok := finish(coins[i:i+1], coins[i].Value); ok {
				return b, nil
			}
		}
	}
	// Largest first.
	var sum uint64
	for n := 1; n <= len(coins); n++ {
		sum += coins[n-1].Value
		if b, ok := finish(coins[:n], sum); ok {
			return b, nil
		}
	}
	e := &InsufficientFundsError{Amount: pay, Fee: feeFor(len(coins), false), Spendable: sum + fixed}
	if req.Available != nil {
		b := req.Available.Balance(0)
		e.Immature, e.Unconfirmed = b.Immature, b.Unconfirmed
	}
	return nil, e
}

func buildSweep(req TxRequest, fixed, pay, dust uint64) (*Built, error) {
	if len(req.Fixed) == 0 {
		return nil, fmt.Errorf("%w: no inputs to sweep", ErrNothingToDo)
	}
	outs := append(append([]chain.TxOut(nil), req.Outputs...), chain.TxOut{Lock: *req.SweepTo})
	fee := uint64(estimateSize(len(req.Fixed), outs)) * req.FeeRate
	if fixed < pay+fee || fixed-pay-fee < dust {
		return nil, &InsufficientFundsError{Amount: pay + dust, Fee: fee, Spendable: fixed}
	}
	outs[len(outs)-1].Value = fixed - pay - fee
	b := assemble(req, nil, outs, 0, fee)
	b.Change = -1
	return b, nil
}

// assemble builds the tx: fixed inputs first, then the selected coins, outputs as given;
// if changeValue > 0 the last output is the change and receives it.
func assemble(req TxRequest, sel []UTXO, outs []chain.TxOut, changeValue, fee uint64) *Built {
	tx := &chain.Tx{Version: 1, LockTime: req.LockTime}
	b := &Built{Tx: tx, Fee: fee, Change: -1}
	for _, in := range req.Fixed {
		tx.Inputs = append(tx.Inputs, chain.TxIn{Prev: in.OutPoint})
		b.Spent = append(b.Spent, in.UTXO)
	}
	for _, u := range sel {
		tx.Inputs = append(tx.Inputs, chain.TxIn{Prev: u.OutPoint})
		b.Spent = append(b.Spent, u)
	}
	tx.Outputs = append([]chain.TxOut(nil), outs...)
	if changeValue > 0 {
		tx.Outputs[len(tx.Outputs)-1].Value = changeValue
		b.Change = len(tx.Outputs) - 1
	}
	return b
}

// Sign fills every witness of b.Tx with the wallet's BIP-340 signatures.
func (w *Wallet) Sign(b *Built) error {
	keys := make([]*btcec.PrivateKey, len(b.Spent))
	spent := make([]chain.TxOut, len(b.Spent))
	for i, u := range b.Spent {
		k, ok := w.SpendKey(u.Lock.SpendKey())
		if !ok {
			return fmt.Errorf("%w: input %d (%v) is locked to %x", ErrNotMine, i, u.OutPoint, u.Lock.SpendKey())
		}
		keys[i] = k
		spent[i] = chain.TxOut{Value: u.Value, Lock: u.Lock}
	}
	return chain.SignTx(b.Tx, spent, keys)
}
