package sim

import (
	"fmt"

	"chainlab/lab"
)

// adversary is one [[adversary]] entry bound to its nodes.
type adversary struct {
	spec  lab.AdvSpec
	nodes []int
}

func (a *adversary) active(w *world) bool {
	t := w.s.now
	return t >= int64(a.spec.Start.Duration) && (a.spec.Stop.Duration == 0 || t < int64(a.spec.Stop.Duration))
}

// setupAdversaries installs the manifest's strategies on their nodes.
func (w *world) setupAdversaries() error {
	for i, spec := range w.m.Adv {
		nodes := w.resolveNodes(spec.Nodes)
		if len(nodes) == 0 {
			return &Error{fmt.Sprintf("adversary[%d].nodes", i), "no node"}
		}
		a := &adversary{spec: spec, nodes: nodes}
		w.advs = append(w.advs, a)
		for _, x := range nodes {
			n := w.nodes[x]
			switch spec.Strategy {
			case lab.AdvSelfish:
				w.installSelfish(n, a)
			case lab.AdvWithhold:
				if n.pow != nil {
					w.installWithholdPoW(n, a)
				} else {
					w.posAdv(n).withhold = a
				}
			case lab.AdvDoubleSpend:
				w.installDoubleSpend(n, a)
			case lab.AdvDoubleVote:
				w.posAdv(n).doubleVote = a
			case lab.AdvSurroundVote:
				w.posAdv(n).surround = a
			case lab.AdvEquivocate:
				w.posAdv(n).equivocate = a
			case lab.AdvOffline:
				w.installOffline(n, a)
			default:
				return &Error{fmt.Sprintf("adversary[%d].strategy", i), fmt.Sprintf("%q is not simulated", spec.Strategy)}
			}
		}
	}
	return nil
}

// selfish binds a SelfishMiner to a node. The attacker's own chain holds both its private
// blocks and the honest blocks it hears of, so its tip is the branch it mines on: its private
// branch while that is at least as long as the public one (first seen wins a tie), the
// public chain once that is longer (adopt).
type selfish struct {
	w       *world
	n       *node
	a       *adversary
	m       SelfishMiner
	private []*blk // mined, not yet published, oldest first (mirrors m)
}

func (w *world) installSelfish(n *node, a *adversary) {
	s := &selfish{w: w, n: n, a: a}
	n.onMined = s.mined
	n.relayFn = s.accepted
}

// mined handles the attacker's own block: kept private (processed on its own chain only).
func (s *selfish) mined(bk *blk) bool {
	if !s.a.active(s.w) {
		return false
	}
	s.private = append(s.private, bk)
	s.w.deliver(s.n, bk, -1, false) // relayFn keeps it to itself
	s.apply(s.m.Mined(bk.height))
	s.w.scheduleMining(s.n)
	return true
}

// accepted is called for every block the attacker accepted; it never relays, and reacts
// to the public chain growing.
func (s *selfish) accepted(bk *blk) bool {
	if bk.producer != s.n.id {
		s.apply(s.m.Public(bk.height))
	}
	return false
}

func (s *selfish) apply(d Decision) {
	if d.Adopt {
		s.private = nil
	}
	if d.Publish > 0 {
		s.publish(d.Publish, d.Race)
	}
}

// publish sends the first k private blocks to every other node. In a tie race a share γ
// of the honest nodes gets them at once (before the competing honest block reaches them:
// the attacker is better connected), the rest after the honest block has propagated.
func (s *selfish) publish(k int, race bool) {
	blocks := s.private[:k]
	s.private = append([]*blk(nil), s.private[k:]...)
	gamma := 0.0
	if s.a.spec.Gamma != nil {
		gamma = *s.a.spec.Gamma
	}
	late := 2*s.w.maxDelay() + 1
	for _, o := range s.w.nodes {
		if o == s.n {
			continue
		}
		o := o
		d := int64(0)
		if race && s.w.rng.Float64() >= gamma {
			d = late
		}
		for _, bk := range blocks {
			bk := bk
			s.n.sent += uint64(bk.size)
			s.w.s.after(d, func() { o.recv += uint64(bk.size); s.w.deliver(o, bk, s.n.id, false) })
		}
	}
}

// maxDelay is the largest link delay plus jitter in the network (ns).
func (w *world) maxDelay() int64 {
	var d int64
	for _, l := range w.net.links {
		d = max(d, int64(l.p.Delay.Duration+l.p.Jitter.Duration))
	}
	return d
}

// installWithholdPoW: the node mines but never publishes its blocks while active
// (block withholding: its hash power is wasted, as a pool member withholding shares).
func (w *world) installWithholdPoW(n *node, a *adversary) {
	n.onMined = func(bk *blk) bool {
		if !a.active(w) {
			return false
		}
		w.scheduleMining(n) // keeps mining on the public tip; the found block is dropped
		return true
	}
}

// installDoubleSpend: from its start the node mines a private branch (the branch that
// holds the conflicting payment) and ignores the public chain; it publishes the branch
// once it is longer than the public chain and the merchant's z = depth confirmations
// have passed, then behaves honestly.
func (w *world) installDoubleSpend(n *node, a *adversary) {
	var fork uint64
	started, done := false, false
	var private []*blk
	var pubH uint64
	n.onBlock = func(bk *blk, from int) bool {
		if bk.producer == n.id || !started || done {
			return false
		}
		if bk.height > pubH { // the public chain grows; the attacker keeps mining its branch
			pubH = bk.height
		}
		return true
	}
	n.onMined = func(bk *blk) bool {
		if done || !a.active(w) {
			return false
		}
		if !started {
			started = true
			fork = bk.height - 1
			pubH = fork
		}
		private = append(private, bk)
		w.deliver(n, bk, -1, false)
		if uint64(len(private)) > pubH-fork && pubH-fork >= a.spec.Depth {
			done = true
			for _, b := range private {
				w.broadcast(n, b, -1)
			}
		}
		w.scheduleMining(n)
		return true
	}
	n.relayFn = func(bk *blk) bool {
		if bk.producer != n.id && bk.height > pubH {
			pubH = bk.height
		}
		return done || !started
	}
}
