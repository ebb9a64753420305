package sim

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"time"

	"chainlab/address"
	"chainlab/chain"
	"chainlab/genesis"
	"chainlab/lab"
	"chainlab/miner"
	"chainlab/staking"
)

// VirtualStart is the virtual wall-clock time at which every run starts (genesis time).
// A fixed instant, never the machine's clock, so runs replay exactly.
var VirtualStart = time.Unix(1_700_000_000, 0).UTC()

// Options tunes a run beyond its manifest.
type Options struct {
	// Nodes overrides the manifest's node count (the simulator allows more than the lab's
	// 64). Every node gets the [nodes] defaults; the topology is rebuilt for the new count.
	Nodes int
	// ValidatorsPerNode gives each PoS node this many validators (default 1).
	ValidatorsPerNode int
	// Logger receives warnings (refused/ignored manifest keys) and progress; nil = discard.
	Logger *slog.Logger
	// Lean skips the per-node sightings and tip events in the trace (scale runs): metrics
	// that need them (propagation) are then empty.
	Lean bool
	// GCEvery < 0 disables the simulator's own GC pacing (gc.go); 0 keeps it on.
	GCEvery int
	// Progress, if set, gets a line every 10 % of the run (virtual time or blocks) with
	// the wall time elapsed — the only place the simulator looks at the real clock.
	Progress io.Writer
}

// Result is the outcome of one run.
type Result struct {
	Trace    *lab.Trace
	Metrics  *lab.Metrics
	Tips     []chain.Hash // each node's tip at the end, by node index
	Warnings []string
	Events   uint64 // scheduler events run
	Messages uint64 // messages put on simulated links
	Params   *genesis.Params
}

// Error is a manifest the simulator cannot run (a key that only makes sense for real
// processes, or a value out of the simulator's range).
type Error struct {
	Key string
	Msg string
}

func (e *Error) Error() string { return fmt.Sprintf("sim: manifest key %q: %s", e.Key, e.Msg) }

// blk is a block shared by every simulated node: decoded once, passed by pointer
// (nodes never mutate blocks), with a bitset of the nodes that have it.
type blk struct {
	b        *chain.Block
	hash     chain.Hash
	parent   chain.Hash
	height   uint64
	size     int
	producer int
	rec      int // index in trace.Blocks
	seen     []uint64
}

func (b *blk) has(i int) bool { return b.seen[i>>6]&(1<<(i&63)) != 0 }
func (b *blk) mark(i int)     { b.seen[i>>6] |= 1 << (i & 63) }

// world is one simulation.
type world struct {
	m     *lab.Manifest
	p     *genesis.Params
	seed  uint64
	opts  Options
	log   *slog.Logger
	s     scheduler
	rng   *rand.Rand
	net   *network
	nodes []*node
	plan  *lab.Plan

	blocks map[chain.Hash]*blk
	tr     *lab.Trace
	end    int64 // virtual end (ns)
	best   uint64
	sigs   *chain.SigCache
	vsigs  *staking.VoteSigCache

	hashScale float64 // PoW: real hashes per manifest hash (see doc.go)
	warnings  []string
	advs      []*adversary
	txs       map[chain.Hash]*txInfo

	dist    [][]float64 // vote delivery delays per source (pos.go), valid while distGen == linkGen
	distGen uint64
	linkGen uint64 // bumped by every link or partition change
}

// noTxs is an empty transaction source (templates carry only the coinbase).
type noTxs struct{}

func (noTxs) TemplateTxs(int) []*chain.Tx { return nil }

// Run simulates m with the given seed and returns its trace, metrics and tips. Identical
// (m, seed, opts) give byte-identical results.
func Run(m *lab.Manifest, seed uint64, opts Options) (*Result, error) {
	w, err := newWorld(m, seed, opts)
	if err != nil {
		return nil, err
	}
	defer w.close()
	w.run()
	return w.result(), nil
}

func (w *world) warn(key, format string, a ...any) {
	msg := fmt.Sprintf("manifest key %q: ", key) + fmt.Sprintf(format, a...)
	w.warnings = append(w.warnings, msg)
	w.log.Warn(msg)
}

func newWorld(m *lab.Manifest, seed uint64, opts Options) (*world, error) {
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if opts.ValidatorsPerNode <= 0 {
		opts.ValidatorsPerNode = 1
	}
	w := &world{m: m, seed: seed, opts: opts, log: opts.Logger, blocks: map[chain.Hash]*blk{},
		rng: rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))}
	if err := w.checkManifest(); err != nil {
		return nil, err
	}
	plan, err := w.resolve()
	if err != nil {
		return nil, err
	}
	w.plan = plan
	w.p, err = w.genesis()
	if err != nil {
		return nil, err
	}
	w.net = newNetwork(&w.s, w.rng, len(plan.Nodes), plan.Edges)
	w.sigs = chain.NewSigCache(1 << 16)
	w.vsigs = staking.NewVoteSigCache(1 << 18)
	w.tr = &lab.Trace{Name: m.Name, Engine: m.Consensus, Source: "sim", Seed: int64(seed),
		FinalityDepth: m.Chain.FinalityDepth, EpochSlots: m.PoS.EpochSlots}
	if m.Consensus == genesis.PoW {
		w.tr.TargetInterval = m.PoW.TargetSpacing.Seconds()
	} else {
		w.tr.TargetInterval = m.PoS.Slot.Seconds()
	}
	for _, pn := range plan.Nodes {
		n, err := w.newNode(pn)
		if err != nil {
			w.close()
			return nil, err
		}
		w.nodes = append(w.nodes, n)
		w.tr.Nodes = append(w.tr.Nodes, lab.TraceNode{Name: pn.Name, Share: plan.Share(m.Consensus, pn.Index),
			HashRate: pn.HashRate, Stake: pn.Stake, Producer: fmt.Sprintf("%x", n.payTo)})
	}
	switch {
	case m.Duration.Duration > 0:
		w.end = int64(m.Duration.Duration)
	default:
		// max_duration is the lab's wall-clock safety cap; in virtual time a blocks-only
		// run gets at least 20 target intervals per block.
		w.end = max(int64(m.MaxDuration.Duration), int64(m.Blocks)*20*int64(w.tr.TargetInterval*1e9))
	}
	if err := w.setupAdversaries(); err != nil {
		w.close()
		return nil, err
	}
	if err := w.setupLoad(); err != nil {
		w.close()
		return nil, err
	}
	w.scheduleFaults()
	return w, nil
}

// checkManifest refuses or warns about keys that only make sense for real processes.
func (w *world) checkManifest() error {
	m := w.m
	if m.Consensus != genesis.PoW && m.Consensus != genesis.PoS {
		return &Error{"consensus", fmt.Sprintf("%q is neither pow nor pos", m.Consensus)}
	}
	if m.PoW.InitialBits != "" {
		w.warn("pow.initial_bits", "ignored: the simulator rescales the hash-rate unit (see sim doc)")
	}
	for i, n := range m.Node {
		if n.StartLate.Duration > 0 {
			w.warn(fmt.Sprintf("node[%d].start", i), "late start is simulated as the node being offline until then")
		}
	}
	for i, f := range m.Faults {
		switch f.Action {
		case lab.FaultStake:
			return &Error{fmt.Sprintf("fault[%d].action", i), "stake faults need real transactions; not simulated"}
		case lab.FaultKill, lab.FaultStop, lab.FaultPause:
			w.warn(fmt.Sprintf("fault[%d].action", i), "%s is simulated as the node going offline (it keeps its chain)", f.Action)
		}
	}
	return nil
}

// resolve returns the manifest's plan, or (Options.Nodes) a plan of that many default nodes.
func (w *world) resolve() (*lab.Plan, error) {
	if w.opts.Nodes == 0 {
		return w.m.Resolve()
	}
	if w.opts.Nodes < 1 || w.opts.Nodes > 100000 {
		return nil, &Error{"nodes.count", fmt.Sprintf("%d is outside 1..100000", w.opts.Nodes)}
	}
	p := &lab.Plan{}
	for i := 0; i < w.opts.Nodes; i++ {
		p.Nodes = append(p.Nodes, lab.PlanNode{Index: i, Name: fmt.Sprintf("n%d", i), HashRate: w.m.Nodes.HashRate, Stake: w.m.Nodes.Stake})
	}
	p.Edges = topology(w.m.Network, w.opts.Nodes, rand.New(rand.NewPCG(uint64(w.m.Seed), 1)))
	return p, nil
}

// genesis builds the run's genesis with the lab's builder, then (PoW) rescales the
// difficulty: see doc.go.
func (w *world) genesis() (*genesis.Params, error) {
	p, err := lab.BuildGenesis(w.m, w.plan, VirtualStart)
	if err != nil {
		return nil, err
	}
	p.Network = fmt.Sprintf("sim-%s-%d", w.m.Consensus, w.m.Seed)
	if w.m.Consensus == genesis.PoW {
		var total float64
		for _, n := range w.plan.Nodes {
			total += n.HashRate
		}
		p.PoW.InitialBits = SimBits
		p.PoW.PowLimitBits = 0x207fffff
		work := workOf(SimBits)
		w.hashScale = work / (total * w.m.PoW.TargetSpacing.Seconds())
	} else if w.opts.ValidatorsPerNode > 1 {
		p.PoS.Validators = nil
		for _, n := range w.plan.Nodes {
			if n.Stake <= 0 {
				continue
			}
			for j := 0; j < w.opts.ValidatorsPerNode; j++ {
				vk := genesis.XOnly(validatorKey(w.m.Seed, n.Index, j))
				p.PoS.Validators = append(p.PoS.Validators, genesis.Validator{
					Key: fmt.Sprintf("%x", vk), Owner: address.MustEncode(p.AddressPrefix, genesis.XOnly(lab.RunKey(w.m.Seed, "owner", n.Index))),
					Stake: uint64(n.Stake * genesis.Coin)})
			}
		}
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("sim: run genesis: %w", err)
	}
	return p, nil
}

// SimBits is the genesis difficulty of every simulated PoW run: 2^10 expected hashes per
// block (target 2^246 − 1), so sealing a real block costs about a thousand SHA-256d.
const SimBits = 0x1f3fffff

func workOf(bits uint32) float64 {
	f, _ := new(bigFloat).SetInt(chain.Work(bits)).Float64()
	return f
}

func (w *world) close() {
	for _, n := range w.nodes {
		n.c.Close()
	}
}

func (w *world) wall() time.Time { return VirtualStart.Add(time.Duration(w.s.now)) }
func (w *world) secs() float64   { return float64(w.s.now) / 1e9 }

func (w *world) run() {
	for _, n := range w.nodes {
		start := int64(0)
		if int(n.id) < len(w.plan.Nodes) {
			start = int64(w.plan.Nodes[n.id].StartLate)
		}
		if start > 0 {
			n.online = false
			w.s.at(start, func() { w.setOnline(n, true) })
		}
		w.s.at(0, func() { w.startNode(n) })
	}
	gc := newGCPacer(w.opts.GCEvery)
	wallStart := time.Now()
	lastPct := -1
	w.s.run(w.end, func() bool {
		if w.s.events%4096 == 0 {
			gc.maybe()
		}
		if w.opts.Progress != nil && w.s.events%1000 == 0 {
			pct := int(100 * float64(w.s.now) / float64(w.end))
			if w.m.Blocks > 0 {
				pct = max(pct, int(100*w.best/w.m.Blocks))
			}
			if pct/10 > lastPct/10 {
				lastPct = pct
				fmt.Fprintf(w.opts.Progress, "sim: %3d%%  virtual %.0fs  height %d  events %d  wall %.1fs  gcs %d (budget %d MiB)\n",
					pct, w.secs(), w.best, w.s.events, time.Since(wallStart).Seconds(), gc.count, gc.budget>>20)
			}
		}
		return w.m.Blocks > 0 && w.best >= w.m.Blocks
	})
}

func (w *world) startNode(n *node) {
	if w.m.Consensus == genesis.PoW {
		w.scheduleMining(n)
	} else {
		w.startDuties(n)
	}
}

func (w *world) result() *Result {
	tr := w.tr
	tr.Span = w.secs()
	// Canonical chain: the best tip among the nodes (most work; ties to the lowest index).
	bestNode := w.nodes[0]
	bestWork, _ := bestNode.c.Work(tipHash(bestNode.c))
	for _, n := range w.nodes[1:] {
		wk, _ := n.c.Work(tipHash(n.c))
		if wk.Cmp(bestWork) > 0 {
			bestNode, bestWork = n, wk
		}
	}
	_, h := bestNode.c.Tip()
	tr.Canonical = make([]string, 0, h+1)
	for i := uint64(0); i <= h; i++ {
		hash, _ := bestNode.c.HashAt(i)
		tr.Canonical = append(tr.Canonical, hash.String())
	}
	res := &Result{Trace: tr, Warnings: w.warnings, Events: w.s.events, Messages: w.net.msgs, Params: w.p}
	for _, n := range w.nodes { // counters start at zero (Compute takes differences)
		tr.Resources = append(tr.Resources, lab.ResourceSample{Node: n.id, At: 0})
	}
	for _, n := range w.nodes {
		res.Tips = append(res.Tips, tipHash(n.c))
		tr.Resources = append(tr.Resources, lab.ResourceSample{Node: n.id, At: tr.Span, BytesSent: n.sent, BytesRecv: n.recv})
	}
	res.Metrics = lab.Compute(tr, lab.LocalHost("sim"))
	return res
}

func tipHash(c *chain.Chain) chain.Hash { h, _ := c.Tip(); return h }

// newBlock registers a block produced by node n and records it in the trace.
func (w *world) newBlock(n *node, b *chain.Block) *blk {
	h := b.Hash()
	if bk, ok := w.blocks[h]; ok {
		return bk
	}
	bk := &blk{b: b, hash: h, parent: b.Header.Prev, size: b.SerializeSize(), producer: n.id,
		seen: make([]uint64, (len(w.nodes)+63)/64), rec: len(w.tr.Blocks)}
	if ph, ok := n.c.Height(b.Header.Prev); ok {
		bk.height = ph + 1
	}
	w.blocks[h] = bk
	rec := lab.BlockRecord{Hash: h.String(), Parent: b.Header.Prev.String(), Height: bk.height, Producer: n.id,
		Time: int64(b.Header.Time), Mined: w.secs(), Size: bk.size}
	if b.Header.Seal != nil {
		rec.Slot = b.Header.Seal.Slot
	}
	for _, tx := range b.Txs[1:] {
		rec.TxIDs = append(rec.TxIDs, tx.TxID().String())
	}
	w.tr.Blocks = append(w.tr.Blocks, rec)
	return bk
}

// deliver hands block bk to node n (from = sending node, -1 for its own block). force
// processes it even if n saw it before (a sync reply for a block its orphan pool dropped).
func (w *world) deliver(n *node, bk *blk, from int, force bool) {
	if !n.online {
		return
	}
	first := !bk.has(n.id)
	if !first && !(force && !n.c.HaveBlock(bk.hash)) {
		return
	}
	if first {
		bk.mark(n.id)
		if !w.opts.Lean {
			w.tr.Seen = append(w.tr.Seen, lab.Sighting{Node: n.id, Hash: w.tr.Blocks[bk.rec].Hash, At: w.secs()})
		}
		if n.duties != nil && from >= 0 { // double-proposal detection, as the node's p2p layer does
			w.step(n, staking.SeenHeader{Header: bk.b.Header})
		}
	}
	if n.onBlock != nil && n.onBlock(bk, from) {
		return
	}
	res, err := n.c.ProcessBlock(bk.b, w.wall())
	switch {
	case err == nil:
	case errors.Is(err, chain.ErrOrphan):
		if from >= 0 {
			w.requestSync(n, from, bk)
		}
		return
	case errors.Is(err, chain.ErrDuplicateBlock):
		return
	default:
		w.log.Debug("block rejected", "node", n.id, "hash", bk.hash, "err", err)
		if res == nil {
			return
		}
	}
	if n.mp != nil {
		n.mp.Update(res)
	}
	w.afterResult(n, res)
	// Like Bitcoin Core, a node announces blocks that became (part of) its main chain;
	// side-chain blocks are not relayed.
	if n.relay(bk) && n.c.IsMainChain(bk.hash) {
		w.broadcast(n, bk, from)
	}
	for _, c := range res.Connected { // orphans this block connected
		if c != bk.b {
			if cb := w.blocks[c.Hash()]; cb != nil && n.relay(cb) {
				w.broadcast(n, cb, -1)
			}
		}
	}
}

// broadcast sends bk from n to every neighbour but skip.
func (w *world) broadcast(n *node, bk *blk, skip int) {
	for _, p := range w.net.adj[n.id] {
		if p.node == skip {
			continue
		}
		w.sendBlock(n, w.nodes[p.node], bk)
	}
}

func (w *world) sendBlock(from, to *node, bk *blk) {
	if bk.has(to.id) { // a real peer would not ask for a block it has (inv/getdata)
		return
	}
	if w.net.send(from.id, to.id, bk.size, func() { to.recv += uint64(bk.size); w.deliver(to, bk, from.id, false) }) {
		from.sent += uint64(bk.size)
	}
}

// requestSync: n got an orphan from peer; it asks peer for the missing ancestors (a
// locator exchange in one round trip) and processes the reply oldest first.
func (w *world) requestSync(n *node, peer int, orphan *blk) {
	const reqSize = 64
	pn := w.nodes[peer]
	w.net.send(n.id, peer, reqSize, func() {
		var chainBlks []*blk
		total := 0
		for x := orphan; x != nil && len(chainBlks) < 2000; x = w.blocks[x.parent] {
			if !x.has(peer) || (x != orphan && n.c.HaveBlock(x.hash)) {
				break
			}
			chainBlks = append(chainBlks, x)
			total += x.size
		}
		if len(chainBlks) == 0 {
			return
		}
		if w.net.send(peer, n.id, total, func() {
			n.recv += uint64(total)
			for i := len(chainBlks) - 1; i >= 0; i-- {
				w.deliver(n, chainBlks[i], peer, true)
			}
		}) {
			pn.sent += uint64(total)
		}
	})
}

// afterResult records tip changes and reorgs and tells the node's producer.
func (w *world) afterResult(n *node, res *chain.Result) {
	if res.NewTip == res.OldTip {
		return
	}
	_, h := n.c.Tip()
	if h > w.best {
		w.best = h
	}
	if !w.opts.Lean {
		w.tr.Tips = append(w.tr.Tips, lab.TipEvent{Node: n.id, At: w.secs(), Hash: res.NewTip.String(), Height: h})
	}
	if res.ReorgDepth > 0 {
		w.tr.Reorgs = append(w.tr.Reorgs, lab.ReorgEvent{Node: n.id, At: w.secs(), Depth: res.ReorgDepth,
			OldTip: res.OldTip.String(), NewTip: res.NewTip.String()})
	}
	n.headChanged()
}

var _ = miner.TemplateExtra
