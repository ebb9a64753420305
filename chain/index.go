package chain

import (
	"math/big"
	"sort"
)

// blockNode is one entry of the in-memory block index (guarded by Chain.mu).
type blockNode struct {
	hash     Hash
	parent   *blockNode
	children []*blockNode
	height   uint64
	header   Header
	status   uint8
	seq      uint64   // first-seen order
	work     *big.Int // cumulative weight of the branch ending here
	// chainData: this block and all its ancestors have their bodies stored and none is
	// known invalid, so the branch can be connected (Bitcoin Core's nChainTx != 0).
	chainData bool
}

func (n *blockNode) invalid() bool  { return n.status&statusInvalidMask != 0 }
func (n *blockNode) haveData() bool { return n.status&statusHaveData != 0 }

func (n *blockNode) entry() *indexEntry {
	return &indexEntry{status: n.status, height: n.height, seq: n.seq, work: n.work, header: n.header}
}

// ancestor returns n's ancestor at height (n itself at its own height).
func (n *blockNode) ancestor(height uint64) *blockNode {
	if height > n.height {
		return nil
	}
	for n != nil && n.height > height {
		n = n.parent
	}
	return n
}

// better reports whether a beats b in the default fork choice: more cumulative weight,
// ties to the first seen.
func better(a, b *blockNode) bool {
	if c := a.work.Cmp(b.work); c != 0 {
		return c > 0
	}
	return a.seq < b.seq
}

// findFork returns the last common ancestor of a and b.
func findFork(a, b *blockNode) *blockNode {
	for a.height > b.height {
		a = a.parent
	}
	for b.height > a.height {
		b = b.parent
	}
	for a != b {
		a, b = a.parent, b.parent
	}
	return a
}

// linkNode adds n to the index under its parent.
func (c *Chain) linkNode(n *blockNode) {
	c.index[n.hash] = n
	if n.parent != nil {
		n.parent.children = append(n.parent.children, n)
	}
}

// unlinkNode removes a leaf n that could not be persisted.
func (c *Chain) unlinkNode(n *blockNode) {
	delete(c.index, n.hash)
	if p := n.parent; p != nil {
		for i, ch := range p.children {
			if ch == n {
				p.children = append(p.children[:i], p.children[i+1:]...)
				break
			}
		}
	}
}

// updateChainData recomputes chainData from n downwards and adds new candidates.
func (c *Chain) updateChainData(n *blockNode) {
	stack := []*blockNode{n}
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if x.chainData || !x.haveData() || x.invalid() || (x.parent != nil && !x.parent.chainData) {
			continue
		}
		x.chainData = true
		c.candidates[x] = struct{}{}
		if x.parent != nil {
			delete(c.candidates, x.parent)
		}
		stack = append(stack, x.children...)
	}
}

// markInvalid flags n as failed and its descendants as failed-parent, and returns every
// node whose status changed (for persisting).
func (c *Chain) markInvalid(n *blockNode) []*blockNode {
	n.status |= statusFailed
	n.status &^= statusValid
	changed := []*blockNode{n}
	stack := append([]*blockNode(nil), n.children...)
	for len(stack) > 0 {
		x := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if x.status&statusFailedParent == 0 {
			x.status |= statusFailedParent
			changed = append(changed, x)
		}
		stack = append(stack, x.children...)
	}
	for _, x := range changed {
		x.chainData = false
	}
	c.rebuildCandidates()
	return changed
}

// rebuildCandidates recomputes the fork-choice candidate set: every connectable block with
// no connectable child.
func (c *Chain) rebuildCandidates() {
	c.candidates = make(map[*blockNode]struct{})
	for _, n := range c.index {
		if !n.chainData {
			continue
		}
		leaf := true
		for _, ch := range n.children {
			if ch.chainData {
				leaf = false
				break
			}
		}
		if leaf {
			c.candidates[n] = struct{}{}
		}
	}
}

// recomputeChainData sets chainData for every node from scratch (on load).
func (c *Chain) recomputeChainData(nodes []*blockNode) {
	sort.Slice(nodes, func(i, j int) bool { return nodes[i].height < nodes[j].height })
	for _, n := range nodes {
		n.chainData = n.haveData() && !n.invalid() && (n.parent == nil || n.parent.chainData)
	}
	c.rebuildCandidates()
}

// bestCandidate is the default fork choice: the connectable block with the most weight.
func (c *Chain) bestCandidate() *blockNode {
	best := c.tip()
	for n := range c.candidates {
		if n.invalid() || !n.chainData {
			continue
		}
		if c.conflictsFinality(n) {
			continue
		}
		if better(n, best) {
			best = n
		}
	}
	return best
}

// tip returns the main-chain tip node.
func (c *Chain) tip() *blockNode { return c.main[len(c.main)-1] }

// onMain reports whether n is on the main chain.
func (c *Chain) onMain(n *blockNode) bool {
	return n.height < uint64(len(c.main)) && c.main[n.height] == n
}

// conflictsFinality reports whether making n (or a branch through it) the tip would revert
// a block the engine declared absolutely final.
func (c *Chain) conflictsFinality(n *blockNode) bool {
	f := c.finality
	if !f.Absolute {
		return false
	}
	if n.height < f.Height {
		return !c.onMain(n)
	}
	a := n.ancestor(f.Height)
	return a == nil || a.hash != f.Hash
}
