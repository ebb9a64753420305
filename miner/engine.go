package miner

import (
	"errors"
	"fmt"
	"math"
	"math/big"
	"time"

	"chainlab/chain"
	"chainlab/genesis"
)

// Engine is the proof-of-work consensus engine. It is stateless apart from its parameters
// and safe for concurrent use.
type Engine struct {
	params   *genesis.Params
	pow      *genesis.PoWParams
	powLimit *big.Int
	diff     difficulty
}

var _ chain.Engine = (*Engine)(nil)

// NewEngine builds the PoW engine of p (p.Consensus must be "pow").
func NewEngine(p *genesis.Params) (*Engine, error) {
	if p == nil {
		return nil, errors.New("miner: nil genesis params")
	}
	if p.Consensus != genesis.PoW || p.PoW == nil {
		return nil, fmt.Errorf("miner: consensus %q is not pow", p.Consensus)
	}
	lim, bad := CompactToBig(p.PoW.PowLimitBits)
	if bad || lim.Sign() <= 0 {
		return nil, fmt.Errorf("miner: pow limit bits 0x%08x encode no positive target", p.PoW.PowLimitBits)
	}
	init, bad := CompactToBig(p.PoW.InitialBits)
	if bad || init.Sign() <= 0 || init.Cmp(lim) > 0 {
		return nil, fmt.Errorf("miner: initial bits 0x%08x are not a target within the pow limit", p.PoW.InitialBits)
	}
	if p.PoW.TargetSpacing <= 0 {
		return nil, fmt.Errorf("miner: target spacing %d <= 0", p.PoW.TargetSpacing)
	}
	d, err := newDifficulty(p.PoW, lim)
	if err != nil {
		return nil, err
	}
	return &Engine{params: p, pow: p.PoW, powLimit: lim, diff: d}, nil
}

// Name returns "pow".
func (e *Engine) Name() string { return genesis.PoW }

// PowLimit returns the easiest allowed target (a copy).
func (e *Engine) PowLimit() *big.Int { return new(big.Int).Set(e.powLimit) }

// GenesisState returns nil: the PoW engine keeps no state.
func (e *Engine) GenesisState() (chain.EngineState, error) { return nil, nil }

// DecodeState accepts only the empty encoding.
func (e *Engine) DecodeState(b []byte) (chain.EngineState, error) {
	if len(b) != 0 {
		return nil, fmt.Errorf("miner: unexpected %d-byte engine state", len(b))
	}
	return nil, nil
}

// NextBits returns the bits required of a child of the indexed block parentHash.
func (e *Engine) NextBits(r chain.HeaderReader, parentHash chain.Hash) (uint32, error) {
	parent, ok := r.Header(parentHash)
	if !ok {
		return 0, chain.NewRuleError(chain.ErrOrphan, "parent %s is not indexed", parentHash)
	}
	height, ok := r.Height(parentHash)
	if !ok {
		return 0, chain.NewRuleError(chain.ErrOrphan, "parent %s has no height", parentHash)
	}
	return e.diff.nextBits(r, parent, parentHash, height)
}

// VerifyHeader checks, in order: no PoS seal (ErrUnexpectedSeal), bits equal to what the
// difficulty algorithm requires (ErrBadBits), a positive target no easier than the pow limit
// (ErrBadBits, ErrBadPowLimit), and a hash at most the target (ErrHighHash). The genesis
// header (null prev) only needs the genesis bits. Timestamps are the chain's rules.
func (e *Engine) VerifyHeader(r chain.HeaderReader, h *chain.Header, _ chain.EngineState, _ time.Time) error {
	if h.Seal != nil {
		return chain.NewRuleError(chain.ErrUnexpectedSeal, "proof-of-work header carries a seal")
	}
	if h.Prev.IsZero() {
		if h.Bits != e.pow.InitialBits {
			return chain.NewRuleError(chain.ErrBadBits, "genesis bits 0x%08x, want 0x%08x", h.Bits, e.pow.InitialBits)
		}
		return nil
	}
	want, err := e.NextBits(r, h.Prev)
	if err != nil {
		return err
	}
	if h.Bits != want {
		return chain.NewRuleError(chain.ErrBadBits, "bits 0x%08x, difficulty algorithm requires 0x%08x", h.Bits, want)
	}
	return CheckProofOfWork(h.Hash(), h.Bits, e.powLimit)
}

// Prepare fills h.Bits for a header on top of h.Prev.
func (e *Engine) Prepare(r chain.HeaderReader, h *chain.Header, _ chain.EngineState, _ time.Time) error {
	h.Seal = nil
	if h.Prev.IsZero() {
		h.Bits = e.pow.InitialBits
		return nil
	}
	bits, err := e.NextBits(r, h.Prev)
	if err != nil {
		return err
	}
	h.Bits = bits
	return nil
}

// Weight is the work of h: 2^256 / (target+1).
func (e *Engine) Weight(_ chain.HeaderReader, h *chain.Header) (*big.Int, error) {
	w := chain.Work(h.Bits)
	if w.Sign() == 0 {
		return nil, chain.NewRuleError(chain.ErrBadBits, "bits 0x%08x carry no work", h.Bits)
	}
	return w, nil
}

// Finality reports the block FinalityDepth below tip (genesis while the chain is shorter).
// PoW finality is probabilistic, so Absolute is false.
func (e *Engine) Finality(r chain.HeaderReader, tip *chain.Header, _ chain.EngineState) chain.Finality {
	th := tip.Hash()
	height, ok := r.Height(th)
	if !ok {
		return chain.Finality{}
	}
	var fh uint64
	if height > e.params.FinalityDepth {
		fh = height - e.params.FinalityDepth
	}
	a, ok := r.Ancestor(th, fh)
	if !ok {
		return chain.Finality{}
	}
	return chain.Finality{Hash: a.Hash(), Height: fh}
}

// Apply sets the coinbase limit (subsidy + fees) and refuses stake and unbonding outputs,
// which have no meaning under proof of work.
func (e *Engine) Apply(_ chain.HeaderReader, b *chain.Block, ctx *chain.ApplyContext) error {
	for i, tx := range b.Txs {
		if err := noStakeOutputs(tx); err != nil {
			return fmt.Errorf("tx %d: %w", i, err)
		}
	}
	sub := e.params.BlockSubsidy(ctx.Height)
	if ctx.Fees > math.MaxUint64-sub {
		return chain.NewRuleError(chain.ErrBadCoinbaseValue, "subsidy %d + fees %d overflow", sub, ctx.Fees)
	}
	ctx.State = nil
	ctx.MaxCoinbase = sub + ctx.Fees
	return nil
}

// CheckTx refuses stake locks: a PoW chain neither creates nor spends stake or unbonding
// outputs. It never adjusts values.
func (e *Engine) CheckTx(_ chain.HeaderReader, _ chain.EngineState, tx *chain.Tx, spent []*chain.Coin, _ uint64) (int64, error) {
	if err := noStakeOutputs(tx); err != nil {
		return 0, err
	}
	for i, c := range spent {
		if c != nil && c.Out.Lock.Kind != chain.LockPay {
			return 0, chain.NewRuleError(chain.ErrBadStake, "input %d spends a %s output on a proof-of-work chain", i, c.Out.Lock.Kind)
		}
	}
	return 0, nil
}

func noStakeOutputs(tx *chain.Tx) error {
	for i := range tx.Outputs {
		if k := tx.Outputs[i].Lock.Kind; k != chain.LockPay {
			return chain.NewRuleError(chain.ErrBadStake, "output %d has a %s lock on a proof-of-work chain", i, k)
		}
	}
	return nil
}
