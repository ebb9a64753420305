package chain

import (
	"errors"
	"time"

	"github.com/syndtr/goleveldb/leveldb"
)

// ErrClosed is returned by writes after Close.
var ErrClosed = errors.New("chain: closed")

// ProcessBlock validates b, stores it, runs fork choice and reorganises (pipeline in
// doc.go). now is the caller's clock, used only for the time-too-new rule.
//
// Errors: a RuleError when b is rejected (nothing about b is stored, except that a block
// failing contextual validation is kept marked invalid so it is never retried); a RuleError of
// kind ErrOrphan with Result.Status == StatusOrphan when b's parent is unknown (b is kept in
// the orphan pool: not misbehaviour); ErrDuplicateBlock for a block already stored; and plain
// wrapped errors for storage failures. The Result is non-nil whenever b was stored, and then
// its Connected/Disconnected lists are authoritative EVEN WITH an error: the same call may
// have connected b's ancestors (headers-first) or orphans before b failed, so callers must
// apply a non-nil Result (mempool, notifications) whatever the error.
func (c *Chain) ProcessBlock(b *Block, now time.Time) (*Result, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	c.refreshFinality()
	hash := b.Hash()
	res := &Result{Hash: hash, OldTip: c.tip().hash}
	if n, ok := c.index[hash]; ok {
		if n.invalid() {
			return nil, NewRuleError(ErrKnownInvalid, "block %s failed validation before", hash)
		}
		if n.haveData() {
			return nil, NewRuleError(ErrDuplicateBlock, "already have block %s", hash)
		}
	}
	if c.orphans.has(hash) {
		return nil, NewRuleError(ErrDuplicateBlock, "block %s is already in the orphan pool", hash)
	}
	ids, err := CheckBlockSanity(b, c.params, c.engine.Name())
	if err != nil {
		return nil, err
	}
	if _, ok := c.index[b.Header.Prev]; !ok {
		c.orphans.add(hash, b)
		res.Status = StatusOrphan
		res.NewTip = res.OldTip
		return res, NewRuleError(ErrOrphan, "parent %s of %s is unknown", b.Header.Prev, hash)
	}
	node, err := c.acceptBlock(b, ids, now)
	if err != nil {
		return nil, err
	}
	// Orphans waiting for this block (and their own children) are accepted now.
	queue := []Hash{hash}
	for len(queue) > 0 {
		h := queue[0]
		queue = queue[1:]
		for _, ob := range c.orphans.takeChildren(h) {
			oids, err := CheckBlockSanity(ob, c.params, c.engine.Name())
			if err == nil {
				_, err = c.acceptBlock(ob, oids, now)
			}
			if err != nil {
				c.log.Debug("orphan rejected", "block", ob.Hash(), "err", err)
				continue
			}
			queue = append(queue, ob.Hash())
		}
	}
	failures, err := c.runForkChoice(res)
	c.finishResult(res)
	res.Height = node.height
	if err != nil {
		return res, err
	}
	if ferr, ok := failures[node]; ok {
		return res, ferr
	}
	if node.invalid() {
		return res, NewRuleError(ErrKnownInvalid, "an ancestor of %s failed validation", hash)
	}
	if c.onMain(node) {
		res.Status = StatusMainChain
	} else {
		res.Status = StatusSideChain
	}
	return res, nil
}

func (c *Chain) finishResult(res *Result) {
	res.NewTip = c.tip().hash
	res.ReorgDepth = len(res.Disconnected)
}

// Reconsider reruns fork choice (PoS: after new votes changed the engine's view).
func (c *Chain) Reconsider(now time.Time) (*Result, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, ErrClosed
	}
	c.refreshFinality()
	t := c.tip()
	res := &Result{OldTip: t.hash}
	_, err := c.runForkChoice(res)
	c.finishResult(res)
	t = c.tip()
	res.Hash, res.Height, res.Status = t.hash, t.height, StatusMainChain
	return res, err
}

// ProcessHeaders indexes headers ahead of their bodies (headers-first sync). Known headers
// are skipped; the first rejected header stops the call and its error is returned (the
// headers before it stay indexed).
func (c *Chain) ProcessHeaders(hs []*Header, now time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return ErrClosed
	}
	c.refreshFinality()
	b := new(leveldb.Batch)
	var firstErr error
	var added []*blockNode
	for _, h := range hs {
		n, isNew, err := c.acceptHeader(h, now)
		if err != nil {
			firstErr = err
			break
		}
		if isNew {
			added = append(added, n)
			b.Put(hashKey(prefixIndex, n.hash), encodeIndexEntry(n.entry()))
		}
	}
	if len(added) > 0 {
		b.Put(metaKey(metaSeq), u64bytes(c.seq))
		if err := c.store.write(b, false); err != nil {
			for i := len(added) - 1; i >= 0; i-- {
				c.unlinkNode(added[i])
			}
			return err
		}
	}
	return firstErr
}

// acceptHeader checks h against its parent and indexes it (in memory; the caller writes the
// index entry). A known header is returned as is.
func (c *Chain) acceptHeader(h *Header, now time.Time) (*blockNode, bool, error) {
	hash := h.Hash()
	if n, ok := c.index[hash]; ok {
		if n.invalid() {
			return nil, false, NewRuleError(ErrKnownInvalid, "header %s failed validation before", hash)
		}
		return n, false, nil
	}
	parent, ok := c.index[h.Prev]
	if !ok {
		return nil, false, NewRuleError(ErrOrphan, "parent %s of header %s is unknown", h.Prev, hash)
	}
	if parent.invalid() {
		return nil, false, NewRuleError(ErrKnownInvalid, "parent %s of %s failed validation", parent.hash, hash)
	}
	if h.Version < 1 {
		return nil, false, NewRuleError(ErrBadVersion, "header version %d", h.Version)
	}
	height := parent.height + 1
	if mtp := medianTimePast(parent); h.Time <= mtp {
		return nil, false, NewRuleError(ErrTimeTooOld, "time %d is not after the median time past %d", h.Time, mtp)
	}
	if limit := now.Unix() + c.params.MaxFutureDrift; int64(h.Time) > limit {
		return nil, false, NewRuleError(ErrTimeTooNew, "time %d is more than %d s ahead of now (%d)", h.Time, c.params.MaxFutureDrift, now.Unix())
	}
	if f := c.finality; f.Absolute {
		if height <= f.Height || parent.ancestor(f.Height).hash != f.Hash {
			return nil, false, NewRuleError(ErrFinalizedConflict, "header %s at height %d does not descend from finalized %s at %d", hash, height, f.Hash, f.Height)
		}
	}
	var status uint8
	pst, known, err := c.stateOf(parent)
	if err != nil {
		return nil, false, err
	}
	if known {
		if err := c.engine.VerifyHeader(c.view(), h, pst, now); err != nil {
			return nil, false, err
		}
		status |= statusHeaderChecked
	}
	w, err := c.engine.Weight(c.view(), h)
	if err != nil {
		return nil, false, err
	}
	n := &blockNode{hash: hash, parent: parent, height: height, header: *h, status: status, seq: c.seq, work: addWork(parent.work, w)}
	c.seq++
	c.linkNode(n)
	return n, true, nil
}

// acceptBlock indexes b's header (if new), checks the height its coinbase commits to, and
// stores its body with the index entry in one batch.
func (c *Chain) acceptBlock(b *Block, ids []Hash, now time.Time) (*blockNode, error) {
	parent := c.index[b.Header.Prev]
	if parent == nil {
		return nil, NewRuleError(ErrOrphan, "parent %s is unknown", b.Header.Prev)
	}
	if err := checkCoinbaseHeight(b, parent.height+1); err != nil {
		return nil, err
	}
	n, isNew, err := c.acceptHeader(&b.Header, now)
	if err != nil {
		return nil, err
	}
	if n.haveData() {
		return nil, NewRuleError(ErrDuplicateBlock, "already have block %s", n.hash)
	}
	n.status |= statusHaveData
	batch := new(leveldb.Batch)
	batch.Put(hashKey(prefixBlock, n.hash), b.Bytes())
	batch.Put(hashKey(prefixIndex, n.hash), encodeIndexEntry(n.entry()))
	batch.Put(metaKey(metaSeq), u64bytes(c.seq))
	if err := c.store.write(batch, false); err != nil {
		n.status &^= statusHaveData
		if isNew {
			c.unlinkNode(n)
		}
		return nil, err
	}
	c.updateChainData(n)
	if o, ok := c.engine.(BlockObserver); ok {
		o.ObserveBlock(c.view(), b)
	}
	return n, nil
}

// refreshFinality asks the engine again what is final at the tip (its view may have moved
// without a block, e.g. a test engine's configured finality).
func (c *Chain) refreshFinality() {
	t := c.tip()
	st, ok, err := c.stateOf(t)
	if err != nil || !ok {
		return
	}
	c.finality = c.engine.Finality(c.view(), &t.header, st)
}
