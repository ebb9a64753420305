package chain

import (
	"errors"
	"fmt"
	"math/big"
	"time"

	"github.com/syndtr/goleveldb/leveldb"
)

// blockFailure is a rule violation found while connecting node: node gets marked invalid
// and fork choice runs again.
type blockFailure struct {
	node *blockNode
	err  error
}

func (f *blockFailure) Error() string { return fmt.Sprintf("block %s: %v", f.node.hash, f.err) }
func (f *blockFailure) Unwrap() error { return f.err }

// maxForkChoiceRounds bounds the fork-choice loop (each round connects a branch or marks a
// block invalid, so it terminates anyway; this is a guard against a misbehaving engine).
const maxForkChoiceRounds = 10_000

// runForkChoice moves the main chain to the best valid tip, marking blocks that fail
// validation (and their descendants) invalid and falling back. res (may be nil) collects
// connected and disconnected blocks. It returns the rule failures by block.
func (c *Chain) runForkChoice(res *Result) (map[*blockNode]error, error) {
	failures := make(map[*blockNode]error)
	for round := 0; round < maxForkChoiceRounds; round++ {
		target, err := c.chooseTarget()
		if err != nil {
			return failures, err
		}
		if target == c.tip() {
			return failures, nil
		}
		err = c.reorganize(target, res)
		var bf *blockFailure
		if errors.As(err, &bf) {
			failures[bf.node] = bf.err
			c.log.Warn("block failed validation", "block", bf.node.hash, "height", bf.node.height, "err", bf.err)
			if err := c.persistInvalid(bf.node); err != nil {
				return failures, err
			}
			continue
		}
		if err != nil {
			return failures, err
		}
	}
	return failures, fmt.Errorf("chain: fork choice did not settle after %d rounds", maxForkChoiceRounds)
}

// chooseTarget returns the block the main chain should end at.
func (c *Chain) chooseTarget() (*blockNode, error) {
	if c.chooser == nil {
		return c.bestCandidate(), nil
	}
	h, err := c.chooser.ChooseHead(c.view())
	if err != nil {
		return nil, fmt.Errorf("chain: engine fork choice: %w", err)
	}
	n, ok := c.index[h]
	if !ok {
		return c.tip(), nil
	}
	for n != nil && !n.chainData {
		n = n.parent
	}
	if n == nil || c.conflictsFinality(n) {
		return c.tip(), nil
	}
	return n, nil
}

// persistInvalid marks n failed and its descendants failed-parent, in memory and on disk.
func (c *Chain) persistInvalid(n *blockNode) error {
	changed := c.markInvalid(n)
	b := new(leveldb.Batch)
	for _, x := range changed {
		b.Put(hashKey(prefixIndex, x.hash), encodeIndexEntry(x.entry()))
	}
	return c.store.write(b, false)
}

// pendingConnect is a block validated in memory, waiting to be written.
type pendingConnect struct {
	node  *blockNode
	blk   *Block
	ids   []Hash
	view  *UTXOView
	undo  []*Coin
	state EngineState
}

// reorganize makes target the tip. A pure extension connects and writes block by block; a
// reorganisation first validates the whole new branch on stacked views over the disconnected
// state, and writes nothing unless every block passes. Each disconnect and connect is then
// one batch. A rule failure returns *blockFailure.
func (c *Chain) reorganize(target *blockNode, res *Result) error {
	tip := c.tip()
	fork := findFork(tip, target)
	if c.finality.Absolute && fork.height < c.finality.Height {
		return NewRuleError(ErrFinalizedConflict, "reorg to %s forks at height %d, below finalized height %d", target.hash, fork.height, c.finality.Height)
	}
	var attach []*blockNode
	for n := target; n != fork; n = n.parent {
		attach = append(attach, n)
	}
	for i, j := 0, len(attach)-1; i < j; i, j = i+1, j-1 {
		attach[i], attach[j] = attach[j], attach[i]
	}
	if fork == tip {
		for _, n := range attach {
			p, err := c.validateConnect(NewUTXOView(c.utxo), n, nil)
			if err != nil {
				return err
			}
			if err := c.writeConnect(p, res); err != nil {
				return err
			}
		}
		return nil
	}

	base := NewUTXOView(c.utxo)
	type pendingDisconnect struct {
		node *blockNode
		blk  *Block
		ids  []Hash
		view *UTXOView
	}
	var detach []pendingDisconnect
	for n := tip; n != fork; n = n.parent {
		blk, err := c.loadBlock(n.hash)
		if err != nil {
			return err
		}
		undo, err := c.loadUndo(n.hash)
		if err != nil {
			return err
		}
		ids := TxIDs(blk.Txs)
		dv := NewUTXOView(base)
		if err := disconnectIntoView(dv, blk, ids, undo); err != nil {
			return err
		}
		dv.mergeInto(base)
		detach = append(detach, pendingDisconnect{node: n, blk: blk, ids: ids, view: dv})
	}
	pending := make([]*pendingConnect, 0, len(attach))
	var prev *pendingConnect
	for _, n := range attach {
		p, err := c.validateConnect(NewUTXOView(base), n, prev)
		if err != nil {
			return err
		}
		p.view.mergeInto(base)
		pending = append(pending, p)
		prev = p
	}
	for _, d := range detach {
		if err := c.writeDisconnect(d.node, d.blk, d.ids, d.view, res); err != nil {
			return err
		}
	}
	for _, p := range pending {
		if err := c.writeConnect(p, res); err != nil {
			return err
		}
	}
	return nil
}

// validateConnect loads and validates n on view (whose parent is the state after n's
// parent). prev is the pending connect of n's parent when it is not written yet.
func (c *Chain) validateConnect(view *UTXOView, n *blockNode, prev *pendingConnect) (*pendingConnect, error) {
	blk, err := c.loadBlock(n.hash)
	if err != nil {
		return nil, err
	}
	var pst EngineState
	if prev != nil {
		pst = prev.state
	} else {
		var ok bool
		if pst, ok, err = c.stateOf(n.parent); err != nil {
			return nil, err
		} else if !ok {
			return nil, fmt.Errorf("chain: no engine state for %s, parent of %s", n.parent.hash, n.hash)
		}
	}
	if n.status&statusHeaderChecked == 0 {
		// Deferred header check (the parent's state was unknown when the header arrived).
		// The time-too-new rule was applied at acceptance; the engine gets the header's own
		// time as `now` so the check is deterministic.
		if err := c.engine.VerifyHeader(c.view(), &n.header, pst, time.Unix(int64(n.header.Time), 0)); err != nil {
			if isRuleError(err) {
				return nil, &blockFailure{node: n, err: err}
			}
			return nil, err
		}
		n.status |= statusHeaderChecked
	}
	ids := TxIDs(blk.Txs)
	st, undo, err := c.connectBlock(view, n, blk, ids, pst)
	if err != nil {
		if isRuleError(err) {
			return nil, &blockFailure{node: n, err: err}
		}
		return nil, err
	}
	return &pendingConnect{node: n, blk: blk, ids: ids, view: view, undo: undo, state: st}, nil
}

func (c *Chain) loadUndo(h Hash) ([]*Coin, error) {
	b, err := c.store.get(hashKey(prefixUndo, h))
	if err != nil {
		return nil, err
	}
	if b == nil {
		return nil, corrupt("no undo record for main-chain block %s", h)
	}
	return decodeUndo(b)
}

// writeConnect writes one validated block's connect as one batch: UTXO changes, undo,
// engine state, main-chain key, index status, tx index, tip, finality and UTXO summary.
func (c *Chain) writeConnect(p *pendingConnect, res *Result) error {
	n := p.node
	if n.parent != c.tip() {
		return fmt.Errorf("chain: internal: connecting %s on %s, tip is %s", n.hash, n.parent.hash, c.tip().hash)
	}
	b := new(leveldb.Batch)
	stats := c.utxo.stats
	p.view.writeTo(b, &stats, c.addrIdx)
	b.Put(hashKey(prefixUndo, n.hash), encodeUndo(p.undo))
	if p.state != nil {
		b.Put(hashKey(prefixState, n.hash), p.state.Encode())
	}
	b.Put(mainKey(n.height), n.hash[:])
	status := n.status | statusValid | statusHeaderChecked
	e := n.entry()
	e.status = status
	b.Put(hashKey(prefixIndex, n.hash), encodeIndexEntry(e))
	if c.txIdx {
		for _, id := range p.ids {
			b.Put(hashKey(prefixTx, id), n.hash[:])
		}
	}
	// Finality is computed on the new tip (the engine may read the main chain).
	c.main = append(c.main, n)
	fin := c.engine.Finality(c.view(), &n.header, p.state)
	b.Put(metaKey(metaTip), encodeTip(n.hash, n.height))
	b.Put(metaKey(metaFinalized), encodeTip(fin.Hash, fin.Height))
	b.Put(metaKey(metaUTXO), stats.encode())
	if err := c.store.write(b, false); err != nil {
		c.main = c.main[:len(c.main)-1]
		c.utxo.dropCache()
		return err
	}
	n.status = status
	c.utxo.stats = stats
	c.utxo.applyCommitted(p.view)
	if !c.stateless {
		c.states.put(n.hash, p.state)
	}
	c.finality = fin
	if res != nil {
		res.Connected = append(res.Connected, p.blk)
	}
	return nil
}

// writeDisconnect writes one tip block's disconnect as one batch.
func (c *Chain) writeDisconnect(n *blockNode, blk *Block, ids []Hash, view *UTXOView, res *Result) error {
	if n != c.tip() || n.parent == nil {
		return fmt.Errorf("chain: internal: disconnecting %s, tip is %s", n.hash, c.tip().hash)
	}
	pst, ok, err := c.stateOf(n.parent)
	if err != nil {
		return err
	}
	if !ok {
		return corrupt("no engine state for main-chain block %s", n.parent.hash)
	}
	b := new(leveldb.Batch)
	stats := c.utxo.stats
	view.writeTo(b, &stats, c.addrIdx)
	b.Delete(mainKey(n.height))
	if c.txIdx {
		for _, id := range ids {
			b.Delete(hashKey(prefixTx, id))
		}
	}
	c.main = c.main[:len(c.main)-1]
	fin := c.engine.Finality(c.view(), &n.parent.header, pst)
	b.Put(metaKey(metaTip), encodeTip(n.parent.hash, n.parent.height))
	b.Put(metaKey(metaFinalized), encodeTip(fin.Hash, fin.Height))
	b.Put(metaKey(metaUTXO), stats.encode())
	if err := c.store.write(b, false); err != nil {
		c.main = append(c.main, n)
		c.utxo.dropCache()
		return err
	}
	c.utxo.stats = stats
	c.utxo.applyCommitted(view)
	c.finality = fin
	if res != nil {
		res.Disconnected = append(res.Disconnected, blk)
	}
	return nil
}

// addWork returns parent work + w.
func addWork(parent *big.Int, w *big.Int) *big.Int { return new(big.Int).Add(parent, w) }
