package sim

import (
	"fmt"
	"math"

	"chainlab/chain"
	"chainlab/lab"
	"chainlab/staking"
)

// newDuties gives a PoS node its duties state machine over its own chain.
func (w *world) newDuties(n *node) error {
	prot, err := staking.NewProtection("")
	if err != nil {
		return err
	}
	n.duties, err = staking.NewDuties(staking.DutiesConfig{
		Engine: n.pos, Keys: n.keys, Protection: prot, PayTo: n.payTo,
		Template: func(req chain.TemplateRequest) (*chain.Block, error) { return n.c.NewTemplate(n.txSource(), req) },
	})
	return err
}

// startDuties is called once per node at time 0; the first node also starts the slot
// clock, which ticks every node at each slot's start and middle (as node's producer
// does), in node order.
func (w *world) startDuties(n *node) {
	w.dutiesHead(n)
	if n.id != 0 {
		return
	}
	half := int64(w.p.PoS.SlotDuration() / 2)
	var tick func(k int64)
	tick = func(k int64) {
		now := w.wall()
		slot := w.nodes[0].pos.SlotAt(now)
		for _, o := range w.nodes {
			if !o.online {
				continue
			}
			if res, err := o.c.Reconsider(now); err == nil && res != nil {
				if o.mp != nil {
					o.mp.Update(res)
				}
				w.afterResult(o, res)
			}
			w.step(o, staking.Tick{Slot: slot, Now: now})
		}
		w.s.at((k+1)*half, func() { tick(k + 1) })
	}
	w.s.at(half/8, func() { tick(0) }) // just after genesis (slot 0 has no block)
}

// dutiesHead feeds the node's new head to its duties.
func (w *world) dutiesHead(n *node) {
	if n.duties == nil || !n.online {
		return
	}
	head, err := staking.HeadOf(n.c)
	if err != nil {
		w.log.Warn("head", "node", n.id, "err", err)
		return
	}
	w.step(n, head)
}

func (w *world) step(n *node, in staking.Input) {
	if err := n.duties.Step(in); err != nil {
		w.log.Debug("duties", "node", n.id, "input", fmt.Sprintf("%T", in), "err", err)
	}
	w.drain(n)
}

// drain carries out the duties' outputs: blocks are processed and gossiped, votes fed to
// the node's own fork choice and broadcast, finality changes recorded.
func (w *world) drain(n *node) {
	for {
		rd := n.duties.Ready()
		if rd.Empty() {
			return
		}
		for _, b := range rd.Blocks {
			w.proposed(n, b)
		}
		if len(rd.Votes) > 0 {
			votes := rd.Votes
			if pa := n.posHooks; pa != nil {
				votes = pa.forgeVotes(w, n, votes)
			}
			w.castVotes(n, votes)
		}
		for _, f := range rd.Finality {
			h, ok := n.c.Height(f.Finalized.Root)
			if !ok {
				continue
			}
			w.tr.Finality = append(w.tr.Finality, lab.FinalityEvent{Node: n.id, At: w.secs(), Height: h,
				Hash: f.Finalized.Root.String(), Epoch: f.Finalized.Epoch})
		}
	}
}

// proposed handles a block the node's duties built and signed.
func (w *world) proposed(n *node, b *chain.Block) {
	bk := w.newBlock(n, b)
	if pa := n.posHooks; pa != nil && pa.propose(w, n, bk) {
		return
	}
	w.deliver(n, bk, -1, false)
}

// castVotes applies votes to the node's own fork choice and broadcasts them in one
// message. Votes are not relayed hop by hop (that would cost nodes² events per vote):
// each node gets the message after the shortest-path delay from the sender over live
// links of its partition side, which is when flooding would deliver it first.
func (w *world) castVotes(n *node, votes []chain.Vote) {
	for i := range votes {
		w.onVote(n, &votes[i], true)
	}
	size := len(votes) * 180
	dist := w.voteDist(n.id)
	for _, o := range w.nodes {
		if o == n || math.IsInf(dist[o.id], 1) {
			continue
		}
		o := o
		n.sent += uint64(size)
		d := int64(dist[o.id])
		w.s.after(d, func() {
			if !o.online || w.net.group[o.id] != w.net.group[n.id] {
				return
			}
			o.recv += uint64(size)
			for i := range votes {
				w.onVote(o, &votes[i], false)
			}
			w.drain(o)
		})
	}
}

func (w *world) onVote(n *node, v *chain.Vote, own bool) {
	if err := n.pos.OnVote(v); err != nil {
		w.log.Debug("vote", "node", n.id, "err", err)
		return
	}
	if !own {
		if err := n.duties.Step(staking.SeenVote{Vote: *v}); err != nil {
			w.log.Debug("seen vote", "node", n.id, "err", err)
		}
	}
}

// voteDist returns shortest-path delays (ns) from src over the current links (Dijkstra on
// link delays; cut links and other partition sides excluded). Cached until links change.
func (w *world) voteDist(src int) []float64 {
	if w.distGen != w.linkGen || w.dist == nil {
		w.dist = make([][]float64, len(w.nodes))
		w.distGen = w.linkGen
	}
	if d := w.dist[src]; d != nil {
		return d
	}
	n := len(w.nodes)
	d := make([]float64, n)
	done := make([]bool, n)
	for i := range d {
		d[i] = math.Inf(1)
	}
	d[src] = 0
	for {
		u, best := -1, math.Inf(1)
		for i := 0; i < n; i++ { // O(n²): fine for the node counts votes are simulated at
			if !done[i] && d[i] < best {
				u, best = i, d[i]
			}
		}
		if u < 0 {
			break
		}
		done[u] = true
		for _, p := range w.net.adj[u] {
			if p.link.cut || w.net.group[p.node] != w.net.group[u] {
				continue
			}
			if nd := d[u] + float64(p.link.p.Delay.Duration); nd < d[p.node] {
				d[p.node] = nd
			}
		}
	}
	w.dist[src] = d
	return d
}
