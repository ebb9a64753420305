package chaintest

import (
	"math/big"
	"sync"
	"time"

	"chainlab/chain"
	"chainlab/genesis"
)

// Engine is the test consensus engine (see the package doc).
type Engine struct {
	params *genesis.Params

	mu        sync.Mutex
	finalized uint64
	absolute  bool
}

var _ chain.Engine = (*Engine)(nil)

// NewEngine returns a test engine for p.
func NewEngine(p *genesis.Params) *Engine { return &Engine{params: p} }

// SetFinalized makes the block at height h of the tip's branch absolutely final from the
// chain's next call on (ProcessBlock, ProcessHeaders, Reconsider).
func (e *Engine) SetFinalized(h uint64) {
	e.mu.Lock()
	e.finalized, e.absolute = h, true
	e.mu.Unlock()
}

// ClearFinalized returns to k-deep, non-absolute finality.
func (e *Engine) ClearFinalized() {
	e.mu.Lock()
	e.finalized, e.absolute = 0, false
	e.mu.Unlock()
}

// Name implements chain.Engine.
func (e *Engine) Name() string { return "test" }

// GenesisState implements chain.Engine (no state).
func (e *Engine) GenesisState() (chain.EngineState, error) { return nil, nil }

// DecodeState implements chain.Engine (no state).
func (e *Engine) DecodeState([]byte) (chain.EngineState, error) { return nil, nil }

// VerifyHeader implements chain.Engine: only a seal is refused.
func (e *Engine) VerifyHeader(_ chain.HeaderReader, h *chain.Header, _ chain.EngineState, _ time.Time) error {
	if h.Seal != nil {
		return chain.NewRuleError(chain.ErrUnexpectedSeal, "test engine blocks carry no seal")
	}
	return nil
}

// Prepare implements chain.Engine: nothing to fill.
func (e *Engine) Prepare(chain.HeaderReader, *chain.Header, chain.EngineState, time.Time) error {
	return nil
}

// Apply implements chain.Engine: the coinbase may pay subsidy + fees.
func (e *Engine) Apply(_ chain.HeaderReader, _ *chain.Block, ctx *chain.ApplyContext) error {
	ctx.State = nil
	ctx.MaxCoinbase = e.params.BlockSubsidy(ctx.Height) + ctx.Fees
	return nil
}

// CheckTx implements chain.Engine: stake and unbonding locks are refused.
func (e *Engine) CheckTx(_ chain.HeaderReader, _ chain.EngineState, tx *chain.Tx, spent []*chain.Coin, _ uint64) (int64, error) {
	for i, c := range spent {
		if c.Out.Lock.Kind != chain.LockPay {
			return 0, chain.NewRuleError(chain.ErrBadStake, "input %d spends a %s output (test engine)", i, c.Out.Lock.Kind)
		}
	}
	for i := range tx.Outputs {
		if k := tx.Outputs[i].Lock.Kind; k != chain.LockPay {
			return 0, chain.NewRuleError(chain.ErrBadStake, "output %d is a %s lock (test engine)", i, k)
		}
	}
	return 0, nil
}

// Weight implements chain.Engine: 1 per block.
func (e *Engine) Weight(chain.HeaderReader, *chain.Header) (*big.Int, error) {
	return big.NewInt(1), nil
}

// Finality implements chain.Engine.
func (e *Engine) Finality(r chain.HeaderReader, tip *chain.Header, _ chain.EngineState) chain.Finality {
	th := tip.Hash()
	height, ok := r.Height(th)
	if !ok {
		return chain.Finality{}
	}
	e.mu.Lock()
	fh, abs := e.finalized, e.absolute
	e.mu.Unlock()
	if !abs {
		if height < e.params.FinalityDepth {
			fh = 0
		} else {
			fh = height - e.params.FinalityDepth
		}
	}
	if fh > height {
		fh = height
	}
	a, ok := r.Ancestor(th, fh)
	if !ok {
		return chain.Finality{}
	}
	return chain.Finality{Hash: a.Hash(), Height: fh, Absolute: abs}
}
