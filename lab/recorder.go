package lab

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"
)

// recorder collects the live events of an experiment.
type recorder struct {
	e  *Experiment
	mu sync.Mutex

	blocks    map[string]*BlockRecord // from newblock events
	order     []string
	seen      []Sighting
	tips      []TipEvent
	reorgs    []ReorgEvent
	finality  []FinalityEvent
	txs       []TxEvent
	faults    []FaultEvent
	resources []ResourceSample
	height    []uint64 // per node current height
	final     []uint64 // per node finalized height
}

func newRecorder(e *Experiment) *recorder {
	n := len(e.net.State.Nodes)
	return &recorder{e: e, blocks: map[string]*BlockRecord{}, height: make([]uint64, n), final: make([]uint64, n)}
}

// follow subscribes to node i's events for the whole run, resubscribing after a restart.
func (r *recorder) follow(ctx context.Context, i int) {
	for ctx.Err() == nil {
		if !r.e.net.Alive(i) {
			sleepCtx(ctx, 200*time.Millisecond)
			continue
		}
		c, err := r.e.net.Client(i)
		if err != nil {
			sleepCtx(ctx, 300*time.Millisecond)
			continue
		}
		ch, err := c.Subscribe(ctx)
		if err != nil {
			r.e.net.dropClient(i)
			sleepCtx(ctx, 300*time.Millisecond)
			continue
		}
		for ev := range ch {
			r.add(i, ev)
		}
		sleepCtx(ctx, 200*time.Millisecond)
	}
}

func sleepCtx(ctx context.Context, d time.Duration) {
	select {
	case <-ctx.Done():
	case <-time.After(d):
	}
}

func (r *recorder) at(t time.Time) float64 { return t.Sub(r.e.start).Seconds() }

func (r *recorder) add(i int, ev NodeEvent) {
	r.mu.Lock()
	defer r.mu.Unlock()
	at := r.at(ev.At)
	switch ev.Kind {
	case EvNewBlock:
		if _, ok := r.blocks[ev.Hash]; !ok {
			r.blocks[ev.Hash] = &BlockRecord{Hash: ev.Hash, Parent: ev.Prev, Height: ev.Height, Producer: r.e.producerOf(ev.Proposer, ""),
				Time: int64(ev.Time), Mined: at, Size: ev.Size}
			r.order = append(r.order, ev.Hash)
		}
		r.seen = append(r.seen, Sighting{Node: i, Hash: ev.Hash, At: at})
		r.tips = append(r.tips, TipEvent{Node: i, At: at, Hash: ev.Hash, Height: ev.Height})
		r.height[i] = ev.Height
	case EvReorg:
		r.reorgs = append(r.reorgs, ReorgEvent{Node: i, At: at, Depth: ev.Depth, OldTip: ev.OldTip, NewTip: ev.Hash})
	case EvFinalized:
		r.finality = append(r.finality, FinalityEvent{Node: i, At: at, Height: ev.Height, Hash: ev.Hash, Epoch: ev.Epoch})
		r.final[i] = max(r.final[i], ev.Height)
	}
}

// announced lists the hashes of every block a newblock event named.
func (r *recorder) announced() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]string(nil), r.order...)
}

func (r *recorder) addTx(ev TxEvent) {
	r.mu.Lock()
	r.txs = append(r.txs, ev)
	r.mu.Unlock()
}

func (r *recorder) addFault(ev FaultEvent) {
	r.mu.Lock()
	r.faults = append(r.faults, ev)
	r.mu.Unlock()
}

func (r *recorder) addResource(s ResourceSample) {
	r.mu.Lock()
	r.resources = append(r.resources, s)
	r.mu.Unlock()
}

func (r *recorder) bestHeight() uint64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	var b uint64
	for _, h := range r.height {
		b = max(b, h)
	}
	return b
}

func (r *recorder) progressLine(el, limit time.Duration) string {
	r.mu.Lock()
	defer r.mu.Unlock()
	var hs []string
	for i, h := range r.height {
		hs = append(hs, fmt.Sprintf("%s:%d", r.e.net.State.Nodes[i].Name, h))
	}
	var fin uint64
	for _, f := range r.final {
		fin = max(fin, f)
	}
	rej := 0
	for _, t := range r.txs {
		if t.Err != "" {
			rej++
		}
	}
	s := fmt.Sprintf("%s t=%5.1fs/%.0fs  heights %s  blocks %d  reorgs %d  txs %d (%d rejected)",
		r.e.m.Name, el.Seconds(), limit.Seconds(), strings.Join(hs, " "), len(r.blocks), len(r.reorgs), len(r.txs), rej)
	if r.e.m.Consensus == "pos" {
		s += fmt.Sprintf("  finalized %d", fin)
	}
	return s
}

// base is the engine-independent part of a trace.
func (r *recorder) base(span float64) *Trace {
	m, st := r.e.m, r.e.net.State
	t := &Trace{Name: m.Name, Engine: m.Consensus, Source: "lab", Seed: m.Seed, StartUnix: float64(r.e.start.UnixNano()) / 1e9,
		Span: span, FinalityDepth: m.Chain.FinalityDepth, EpochSlots: m.PoS.EpochSlots}
	t.TargetInterval = m.targetInterval().Seconds()
	plan := r.e.net.Plan()
	for i, ns := range st.Nodes {
		tn := TraceNode{Name: ns.Name, Share: plan.Share(m.Consensus, i), HashRate: ns.HashRate, Stake: ns.Stake, Producer: ns.Validator}
		if m.Consensus == "pow" {
			tn.Producer = ns.MiningKey
		}
		t.Nodes = append(t.Nodes, tn)
	}
	t.Tips = append([]TipEvent(nil), r.tips...)
	t.Reorgs = append([]ReorgEvent(nil), r.reorgs...)
	t.Finality = append([]FinalityEvent(nil), r.finality...)
	t.Txs = append([]TxEvent(nil), r.txs...)
	t.Faults = append([]FaultEvent(nil), r.faults...)
	t.Resources = append([]ResourceSample(nil), r.resources...)
	return t
}

// liveTrace is the trace from websocket events only (no recount): blocks as announced,
// sightings at the lab's receive time.
func (r *recorder) liveTrace(span float64) *Trace {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.base(span)
	for _, h := range r.order {
		t.Blocks = append(t.Blocks, *r.blocks[h])
	}
	t.Seen = append([]Sighting(nil), r.seen...)
	t.Sort()
	return t
}

// finalTrace merges the live events with the recount: the block set, transactions,
// producers, canonical chain and each node's own receive times come from the nodes.
func (r *recorder) finalTrace(span float64, gt *recount) *Trace {
	r.mu.Lock()
	defer r.mu.Unlock()
	t := r.base(span)
	t.Canonical = gt.canonical
	t.Seen = gt.seen
	first := map[string]float64{}
	for _, s := range gt.seen {
		if v, ok := first[s.Hash]; !ok || s.At < v {
			first[s.Hash] = s.At
		}
	}
	for _, b := range gt.blocks {
		if v, ok := first[b.Hash]; ok {
			b.Mined = v
		} else if lb, ok := r.blocks[b.Hash]; ok {
			b.Mined = lb.Mined
		}
		t.Blocks = append(t.Blocks, b)
	}
	t.Sort()
	sort.SliceStable(t.Blocks, func(i, j int) bool { return t.Blocks[i].Mined < t.Blocks[j].Mined })
	return t
}
