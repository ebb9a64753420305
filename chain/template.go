package chain

import (
	"errors"
	"fmt"
	"time"
)

// TxSource supplies candidate transactions for a block template: at most maxBytes of
// encoded transactions, in the order they should be included (parents before children).
// *Mempool implements it.
type TxSource interface {
	TemplateTxs(maxBytes int) []*Tx
}

// TemplateRequest says what a block template carries besides the pool's transactions.
type TemplateRequest struct {
	PayTo     [32]byte   // x-only key the coinbase pays
	Extra     []byte     // coinbase data after the height (extranonce, miner tag); ≤ MaxCoinbaseData-8 bytes
	Votes     []Vote     // PoS votes to include
	Slashings []Evidence // PoS slashing evidence to include
	Now       time.Time  // the producer's clock: header time = max(Now, median time past + 1)
}

// ErrTemplate is returned (wrapped) when no valid template can be built on the tip.
var ErrTemplate = errors.New("chain: cannot build a block template")

// NewTemplate builds an unsealed block on the main-chain tip:
//
//  1. candidate transactions from src (may be nil), at most the block size limit minus the
//     header, coinbase, votes and slashings;
//  2. each candidate re-validated against the tip and the candidates before it (the pool may
//     lag the chain by one Update): context-free rules, inputs, engine rules, signatures
//     (SigCache hits for pool transactions); failures are skipped, and so are their
//     descendants, which then miss an input;
//  3. header: version 1, prev = tip, time = max(req.Now, MTP+1), then Engine.Prepare
//     (PoW: bits; PoS: slot, proposer, seal);
//  4. coinbase for height tip+1 with req.Extra paying req.PayTo exactly what the engine
//     allows (ApplyContext.MaxCoinbase from Engine.Apply on the candidate block: subsidy +
//     fees, or the engine's own limit);
//  5. merkle root, and (PoS) the seal's vote root over req.Votes and req.Slashings (both
//     dropped, with a warning, when the engine refuses them).
//
// The result passes ProcessBlock once sealed (PoW: nonce search; PoS: proposer signature).
func (c *Chain) NewTemplate(src TxSource, req TemplateRequest) (*Block, error) {
	if len(req.Extra) > MaxCoinbaseData-CoinbaseHeightSize {
		return nil, fmt.Errorf("%w: coinbase extra is %d bytes, limit %d", ErrTemplate, len(req.Extra), MaxCoinbaseData-CoinbaseHeightSize)
	}
	maxSize := int(c.params.MaxBlockSize)
	// Bytes the block needs besides pool transactions (a seal is always reserved; the
	// coinbase value does not change its size).
	skeleton := &Block{
		Header:    Header{Seal: &Seal{}},
		Txs:       []*Tx{NewCoinbase(0, req.Extra, []TxOut{{Lock: PayTo(req.PayTo)}})},
		Votes:     req.Votes,
		Slashings: req.Slashings,
	}
	budget := maxSize - skeleton.SerializeSize() - 8 // room for the tx-count varint to grow
	if budget < 0 {
		return nil, fmt.Errorf("%w: votes and slashings alone exceed the block size limit", ErrTemplate)
	}
	// Ask the source before taking the chain lock: the mempool takes its own lock and calls
	// into the chain, so the chain lock must never be held while waiting for it.
	var cands []*Tx
	if src != nil {
		cands = src.TemplateTxs(budget)
	}

	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.closed {
		return nil, ErrClosed
	}
	tip := c.tip()
	height := tip.height + 1
	parentState, _, err := c.stateOf(tip)
	if err != nil {
		return nil, err
	}
	view := NewUTXOView(c.utxo)
	txs := []*Tx{nil} // coinbase placeholder
	var fees uint64
	used := 0
	for _, tx := range cands {
		if tx.IsCoinbase() {
			continue
		}
		size := tx.SerializeSize()
		if used+size > budget {
			continue
		}
		if CheckTransactionSanity(tx, maxSize) != nil {
			continue
		}
		fee, spent, err := c.checkTxInputs(view, tx, height, parentState)
		if err != nil {
			if !isRuleError(err) {
				return nil, err
			}
			continue
		}
		if VerifyTxSignatures(tx, spent, c.sigCache) != nil {
			continue
		}
		id := tx.TxID()
		for j := range tx.Inputs {
			if _, err := view.Spend(tx.Inputs[j].Prev); err != nil {
				return nil, err
			}
		}
		view.addTxOutputs(tx, id, height)
		txs = append(txs, tx)
		fees += fee
		used += size
	}

	blk := &Block{Txs: txs, Votes: req.Votes, Slashings: req.Slashings}
	hdr := &blk.Header
	hdr.Version = 1
	hdr.Prev = tip.hash
	mtp := medianTimePast(tip)
	t := req.Now.Unix()
	if t <= int64(mtp) {
		t = int64(mtp) + 1
	}
	if t > int64(^uint32(0)) {
		return nil, fmt.Errorf("%w: time %d does not fit the header", ErrTemplate, t)
	}
	hdr.Time = uint32(t)
	if err := c.engine.Prepare(c.view(), hdr, parentState, req.Now); err != nil {
		return nil, fmt.Errorf("%w: engine prepare: %w", ErrTemplate, err)
	}

	// The coinbase limit comes from the engine, applied to the candidate block itself. If
	// the engine refuses the requested votes or slashings (stale or already included), the
	// block is built without them rather than missing its slot.
	cb := NewCoinbase(height, req.Extra, []TxOut{{Value: 0, Lock: PayTo(req.PayTo)}})
	blk.Txs[0] = cb
	ctx, err := c.applyTemplate(blk, height, parentState, fees)
	if err != nil && (len(blk.Votes) > 0 || len(blk.Slashings) > 0) && isRuleError(err) {
		c.log.Warn("template: engine refused the votes/slashings, building without them",
			"height", height, "votes", len(blk.Votes), "slashings", len(blk.Slashings), "err", err)
		blk.Votes, blk.Slashings = nil, nil
		ctx, err = c.applyTemplate(blk, height, parentState, fees)
	}
	if err != nil {
		return nil, fmt.Errorf("%w: engine apply: %w", ErrTemplate, err)
	}
	cb.Outputs[0].Value = ctx.MaxCoinbase
	hdr.MerkleRoot, _ = MerkleRoot(TxIDs(blk.Txs))
	if n := blk.SerializeSize(); n > maxSize {
		return nil, fmt.Errorf("%w: template is %d bytes, limit %d", ErrTemplate, n, maxSize)
	}
	return blk, nil
}

// applyTemplate sets the seal's vote root (PoS) and runs Engine.Apply on the candidate.
func (c *Chain) applyTemplate(blk *Block, height uint64, parentState EngineState, fees uint64) (*ApplyContext, error) {
	if blk.Header.Seal != nil {
		blk.Header.Seal.VoteRoot = blk.ComputeVoteRoot()
	}
	ctx := &ApplyContext{Height: height, View: c.utxo, Parent: parentState, Fees: fees}
	if err := c.engine.Apply(c.view(), blk, ctx); err != nil {
		return nil, err
	}
	return ctx, nil
}
