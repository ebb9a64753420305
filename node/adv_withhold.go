package node

import "chainlab/chain"

// withholds reports whether a block this node produced (PoS proposal or PoW solution)
// must be dropped by the withhold adversary (see Adversary): never connected, never
// published. The PoS slot is then missed network-wide; PoW hash power is wasted while the
// miner keeps mining on the public tip.
func (n *Node) withholds(b *chain.Block) bool {
	if n.cfg.Adversary != AdvWithhold {
		return false
	}
	n.log.Info("adversary: withholding own block", "hash", b.Hash(), "prev", b.Header.Prev)
	return true
}
