package sim

import (
	"github.com/btcsuite/btcd/btcec/v2"

	"chainlab/chain"
	"chainlab/staking"
)

// posAdversary holds the PoS strategies installed on a node.
type posAdversary struct {
	doubleVote, surround, equivocate, offline, withhold *adversary
	count                                               uint64
	last                                                map[[32]byte]chain.Vote // previous honest vote per key (surround)
}

func (w *world) posAdv(n *node) *posAdversary {
	if n.posHooks == nil {
		n.posHooks = &posAdversary{last: map[[32]byte]chain.Vote{}}
	}
	return n.posHooks
}

// installOffline takes the node's validators offline for the adversary's window (the
// inactivity leak then drains them while finality stalls).
func (w *world) installOffline(n *node, a *adversary) {
	w.s.at(int64(a.spec.Start.Duration), func() { w.setOnline(n, false) })
	if a.spec.Stop.Duration > 0 {
		w.s.at(int64(a.spec.Stop.Duration), func() { w.setOnline(n, true) })
	}
}

// signFresh signs v with k through a fresh (empty) slashing-protection record.
func signFresh(k *btcec.PrivateKey, v *chain.Vote) bool {
	prot, _ := staking.NewProtection("")
	return prot.SignVote(k, v) == nil
}

// forgeVotes adds the slashable votes of double-vote and surround-vote adversaries. The
// forged votes are signed outside the node's slashing protection (a fresh, empty record:
// what a misconfigured or malicious validator does).
func (pa *posAdversary) forgeVotes(w *world, n *node, votes []chain.Vote) []chain.Vote {
	out := votes
	for _, v := range votes {
		prev, hadPrev := pa.last[v.Validator]
		pa.last[v.Validator] = v
		k := n.keyFor(v.Validator)
		if k == nil {
			continue
		}
		if a := pa.doubleVote; a != nil && a.active(w) && pa.every(a) {
			v2 := v
			v2.Head = v.Source.Root // a different head for the same target epoch
			v2.Target.Root = v.Source.Root
			if signFresh(k, &v2) {
				out = append(out, v2)
			}
		}
		if a := pa.surround; a != nil && a.active(w) && hadPrev && prev.Source.Epoch >= 1 && pa.every(a) {
			v2 := v
			v2.Source = chain.Checkpoint{Epoch: 0, Root: n.c.GenesisHash()} // source before prev's, target after
			if signFresh(k, &v2) {
				out = append(out, v2)
			}
		}
	}
	return out
}

func (pa *posAdversary) every(a *adversary) bool {
	pa.count++
	return a.spec.Every <= 1 || pa.count%a.spec.Every == 0
}

// propose implements the withholding and equivocating proposer; true = handled.
func (pa *posAdversary) propose(w *world, n *node, bk *blk) bool {
	if a := pa.withhold; a != nil && a.active(w) {
		return true // never processed nor sent: the slot stays empty
	}
	if a := pa.equivocate; a != nil && a.active(w) && pa.every(a) {
		k := n.keyFor(bk.b.Header.Seal.Proposer)
		if k == nil {
			return false
		}
		b2, err := n.c.NewTemplate(noTxs{}, chain.TemplateRequest{PayTo: n.payTo, Extra: []byte("equivocation"), Now: w.wall()})
		if err != nil || b2.Header.Seal == nil || b2.Header.Seal.Slot != bk.b.Header.Seal.Slot {
			return false
		}
		b2.Header.Seal.VoteRoot = b2.ComputeVoteRoot()
		prot, _ := staking.NewProtection("")
		if prot.SignBlock(k, &b2.Header) != nil {
			return false
		}
		bk2 := w.newBlock(n, b2)
		// Half the neighbours get one block, half the other.
		bk.mark(n.id)
		if res, err := n.c.ProcessBlock(bk.b, w.wall()); err == nil {
			if n.mp != nil {
				n.mp.Update(res)
			}
			w.afterResult(n, res)
		}
		for i, p := range w.net.adj[n.id] {
			if i%2 == 0 {
				w.sendBlock(n, w.nodes[p.node], bk)
			} else {
				w.sendBlock(n, w.nodes[p.node], bk2)
			}
		}
		return true
	}
	return false
}
