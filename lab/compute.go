package lab

import (
	"fmt"
	"math"
	"sort"
)

// Compute derives Metrics from a trace. It is deterministic: bootstrap intervals use fixed
// seeds derived from the trace seed, so one trace always yields byte-identical metrics.
//
// Definitions (docs/lab.md "Reading the report" explains them for users):
//   - canonical chain: Trace.Canonical (recounted from a node at the end); stale blocks are
//     the distinct blocks seen that are not on it.
//   - block interval: first-sighting time of canonical block h minus that of h-1.
//   - propagation: for each canonical block every node saw, the time from its first
//     sighting anywhere to the last node (to_all), and to each other node (per_node).
//   - finality: PoW, a block is final when the canonical chain is FinalityDepth blocks
//     above it (k-deep; the time the block at h+k was first seen); PoS, when any node's
//     finalized checkpoint first reaches its height.
//   - transaction latency: submission to the first sighting of the first block containing
//     it (inclusion), and to the finality of the canonical block containing it.
func Compute(t *Trace, host HostInfo) *Metrics {
	t.Sort()
	seed := uint64(t.Seed)*2654435761 + 17
	m := &Metrics{
		Schema: MetricsSchemaVersion, Name: t.Name, Engine: t.Engine, Source: t.Source, Seed: t.Seed,
		Nodes: len(t.Nodes), Span: t.Span, Host: host, Target: t.TargetInterval, Blocks: len(t.Blocks),
	}
	if t.Engine == "pow" {
		m.Finality = fmt.Sprintf("k-deep (k=%d)", t.FinalityDepth)
	} else {
		m.Finality = "FFG finalized checkpoint"
	}
	blocks := make(map[string]*BlockRecord, len(t.Blocks))
	for i := range t.Blocks {
		b := &t.Blocks[i]
		if _, dup := blocks[b.Hash]; !dup {
			blocks[b.Hash] = b
		}
	}
	canon := t.Canonical
	if len(canon) == 0 {
		canon = deriveCanonical(t.Blocks, blocks)
	}
	canonH := make(map[string]uint64, len(canon))
	for h, hash := range canon {
		canonH[hash] = uint64(h)
	}
	if len(canon) > 0 {
		m.Height = uint64(len(canon) - 1)
	}
	mined := func(h int) (float64, bool) {
		if h < 0 || h >= len(canon) {
			return 0, false
		}
		b, ok := blocks[canon[h]]
		if !ok {
			return 0, false
		}
		return b.Mined, true
	}

	// Block intervals and main-chain blocks.
	var intervals []float64
	for h := 1; h < len(canon); h++ {
		if _, ok := mined(h); ok {
			m.MainBlocks++
		}
		a, ok1 := mined(h - 1)
		b, ok2 := mined(h)
		if ok1 && ok2 {
			intervals = append(intervals, math.Max(0, b-a))
		}
	}
	bw := t.TargetInterval / 4
	if bw <= 0 {
		bw = 0.25
	}
	m.BlockInterval = distribution(intervals, bw, seed+1)

	// Stale rate.
	stale := 0
	for _, b := range t.Blocks {
		if _, ok := canonH[b.Hash]; !ok {
			stale++
		}
	}
	m.StaleRate = WilsonCI(stale, len(t.Blocks))

	// Reorgs.
	perNode := make([]float64, len(t.Nodes))
	for _, r := range t.Reorgs {
		m.Reorgs.Count++
		m.Reorgs.Reverted += r.Depth
		if t.Engine == "pow" && t.FinalityDepth > 0 && r.Depth >= int(t.FinalityDepth) {
			m.Reorgs.DeepPoW++
		}
		if r.Depth > m.Reorgs.MaxDepth {
			m.Reorgs.MaxDepth = r.Depth
		}
		for len(m.Reorgs.DepthHist) <= r.Depth {
			m.Reorgs.DepthHist = append(m.Reorgs.DepthHist, 0)
		}
		m.Reorgs.DepthHist[r.Depth]++
		if r.Node >= 0 && r.Node < len(perNode) {
			perNode[r.Node]++
		}
	}
	m.Reorgs.PerNode = MeanCI(perNode)
	m.Reorgs.PerNode.Lo = math.Max(0, m.Reorgs.PerNode.Lo) // a count is never negative

	m.Propagation = propagation(t, canon, seed+2)

	// Finality times per canonical height.
	finalAt, finalizedHeight, advances := finalityTimes(t, canon, mined)
	m.FinalizedHeight = finalizedHeight
	var blockFin []float64
	for h := 1; h < len(canon); h++ {
		if b, ok := mined(h); ok && !math.IsInf(finalAt[h], 1) {
			blockFin = append(blockFin, math.Max(0, finalAt[h]-b))
		}
	}
	m.BlockFinality = distribution(blockFin, 0, seed+3)
	m.FinalityStalls = stalls(advances, t.Span, stallThreshold(t))

	// Transactions.
	firstIncl := map[string]float64{}
	canonTx := map[string]uint64{}
	for _, b := range t.Blocks {
		_, isCanon := canonH[b.Hash]
		for _, id := range b.TxIDs {
			if v, ok := firstIncl[id]; !ok || b.Mined < v {
				firstIncl[id] = b.Mined
			}
			if isCanon {
				canonTx[id] = b.Height
			}
		}
	}
	var incl, fin, confTimes []float64
	for _, tx := range t.Txs {
		if tx.Err != "" {
			m.TxRejected++
			continue
		}
		m.TxSubmitted++
		if v, ok := firstIncl[tx.ID]; ok {
			incl = append(incl, math.Max(0, v-tx.At))
		}
		if h, ok := canonTx[tx.ID]; ok {
			m.TxConfirmed++
			if b, ok := mined(int(h)); ok {
				confTimes = append(confTimes, b)
			}
			if f := finalAt[h]; !math.IsInf(f, 1) {
				m.TxFinalized++
				fin = append(fin, math.Max(0, f-tx.At))
			}
		}
	}
	m.TxInclusion = distribution(incl, 0, seed+4)
	m.TxFinality = distribution(fin, 0, seed+5)
	m.Throughput = RateCI(confTimes, t.Span, math.Max(1, 5*t.TargetInterval))

	m.Fairness = fairness(t, canon, blocks, seed+6)
	m.Resources = resources(t, canon, mined, finalAt, canonTx, seed+7)
	m.Faults = faultOutcomes(t, advances, mined)
	return m
}

func distribution(xs []float64, binWidth float64, seed uint64) Distribution {
	d := Distribution{N: len(xs), Values: xs}
	if len(xs) == 0 {
		nan := Estimate{Value: math.NaN(), Lo: math.NaN(), Hi: math.NaN()}
		d.Mean, d.P50, d.P95 = nan, nan, nan
		return d
	}
	d.Mean = MeanCI(xs)
	d.P50 = PercentileCI(xs, 50, seed)
	d.P95 = PercentileCI(xs, 95, seed+1)
	d.Min, d.Max = xs[0], xs[0]
	for _, x := range xs {
		d.Min = math.Min(d.Min, x)
		d.Max = math.Max(d.Max, x)
	}
	d.StdDev = StdDev(xs)
	if binWidth <= 0 {
		binWidth = niceWidth(d.Max / 20)
	}
	d.BinWidth = binWidth
	d.Histogram = Histogram(xs, binWidth, 200)
	return d
}

// niceWidth rounds w up to 1, 2 or 5 times a power of ten.
func niceWidth(w float64) float64 {
	if w <= 0 || math.IsNaN(w) {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(w)))
	for _, k := range []float64{1, 2, 5, 10} {
		if k*p >= w {
			return k * p
		}
	}
	return 10 * p
}

// deriveCanonical picks the highest block (earliest seen among equals) and walks back.
func deriveCanonical(list []BlockRecord, blocks map[string]*BlockRecord) []string {
	var best *BlockRecord
	for i := range list {
		b := &list[i]
		if best == nil || b.Height > best.Height {
			best = b
		}
	}
	if best == nil {
		return nil
	}
	out := make([]string, best.Height+1)
	for b := best; b != nil; b = blocks[b.Parent] {
		if b.Height < uint64(len(out)) {
			out[b.Height] = b.Hash
		}
		if b.Height == 1 {
			out[0] = b.Parent
			break
		}
	}
	return out
}

func propagation(t *Trace, canon []string, seed uint64) Propagation {
	// Only nodes with sightings count: a node that was down when the chains were recounted
	// has none, and must not make every block look unpropagated.
	reporting := map[int]bool{}
	for _, s := range t.Seen {
		reporting[s.Node] = true
	}
	n := len(reporting)
	seen := map[string]map[int]float64{}
	for _, s := range t.Seen {
		mm := seen[s.Hash]
		if mm == nil {
			mm = map[int]float64{}
			seen[s.Hash] = mm
		}
		if v, ok := mm[s.Node]; !ok || s.At < v {
			mm[s.Node] = s.At
		}
	}
	var p Propagation
	var per []float64
	disrupted := disruptedWindows(t)
	for h := 1; h < len(canon); h++ {
		mm := seen[canon[h]]
		if len(mm) < n || n < 2 {
			continue
		}
		first, last := math.Inf(1), math.Inf(-1)
		for _, at := range mm {
			first = math.Min(first, at)
			last = math.Max(last, at)
		}
		// A block produced while the network was cut or a node was down measures the
		// fault, not propagation (faults have their own outcome metrics).
		if disrupted(first, last) {
			continue
		}
		p.Blocks++
		p.ToAll = append(p.ToAll, last-first)
		skipped := false
		for node := 0; node < len(t.Nodes); node++ { // node order: the bootstrap depends on sample order
			at, ok := mm[node]
			if !ok {
				continue
			}
			if at == first && !skipped {
				skipped = true
				continue
			}
			per = append(per, at-first)
		}
	}
	p.ToAllP50 = PercentileCI(p.ToAll, 50, seed)
	p.ToAllP95 = PercentileCI(p.ToAll, 95, seed+1)
	p.PerNodeP50 = PercentileCI(per, 50, seed+2)
	p.PerNodeP95 = PercentileCI(per, 95, seed+3)
	return p
}

type advance struct {
	At     float64
	Height uint64
}

// finalityTimes returns, per canonical height, when it became final (+Inf if never), the
// final finalized height, and the times the network's finalized height advanced.
func finalityTimes(t *Trace, canon []string, mined func(int) (float64, bool)) ([]float64, uint64, []advance) {
	finalAt := make([]float64, len(canon))
	for i := range finalAt {
		finalAt[i] = math.Inf(1)
	}
	if len(finalAt) > 0 {
		finalAt[0] = 0
	}
	var adv []advance
	var top uint64
	if t.Engine == "pow" {
		k := int(t.FinalityDepth)
		for h := 1; h+k < len(canon); h++ {
			if at, ok := mined(h + k); ok {
				finalAt[h] = at
				top = uint64(h)
				adv = append(adv, advance{at, uint64(h)})
			}
		}
		return finalAt, top, adv
	}
	for _, f := range t.Finality {
		if f.Height <= top {
			continue
		}
		for h := top + 1; h <= f.Height && h < uint64(len(canon)); h++ {
			finalAt[h] = f.At
		}
		top = f.Height
		adv = append(adv, advance{f.At, f.Height})
	}
	return finalAt, top, adv
}

// stallThreshold is how long finality may go without advancing before it counts as a
// stall: PoS, two epochs (finalization normally advances every epoch); PoW, six target
// intervals (a block gap that long has probability e^-6).
func stallThreshold(t *Trace) float64 {
	if t.Engine == "pos" {
		return 2.5 * float64(t.EpochSlots) * t.TargetInterval
	}
	return 6 * t.TargetInterval
}

// stalls lists the gaps between finality advances longer than threshold. The wait for the
// first advance is warm-up, not a stall, unless finality never advances at all.
func stalls(adv []advance, span, threshold float64) []Stall {
	if len(adv) == 0 {
		if span > threshold {
			return []Stall{{From: 0, To: span, Duration: span}}
		}
		return nil
	}
	var out []Stall
	prev := adv[0].At
	for _, a := range adv[1:] {
		if a.At-prev > threshold {
			out = append(out, Stall{From: prev, To: a.At, Resumed: true, Duration: a.At - prev})
		}
		prev = a.At
	}
	if span-prev > threshold {
		out = append(out, Stall{From: prev, To: span, Duration: span - prev})
	}
	return out
}

func fairness(t *Trace, canon []string, blocks map[string]*BlockRecord, seed uint64) Fairness {
	n := len(t.Nodes)
	var f Fairness
	produced := make([]int, n)
	staleBy := make([]int, n)
	var producers []float64
	inCanon := map[string]bool{}
	for h := 1; h < len(canon); h++ {
		inCanon[canon[h]] = true
		if b, ok := blocks[canon[h]]; ok && b.Producer >= 0 && b.Producer < n {
			produced[b.Producer]++
			producers = append(producers, float64(b.Producer))
		}
	}
	for _, b := range t.Blocks {
		if !inCanon[b.Hash] && b.Producer >= 0 && b.Producer < n {
			staleBy[b.Producer]++
		}
	}
	total := len(producers)
	hrSum := make([]float64, n)
	hrN := make([]int, n)
	for _, s := range t.Resources {
		if s.Node >= 0 && s.Node < n && s.HashRate > 0 {
			hrSum[s.Node] += s.HashRate
			hrN[s.Node]++
		}
	}
	for i, nd := range t.Nodes {
		ns := NodeShare{Name: nd.Name, Share: nd.Share, Produced: produced[i], Stale: staleBy[i], Observed: WilsonCI(produced[i], total)}
		if hrN[i] > 0 {
			ns.MeasuredHashRate = hrSum[i] / float64(hrN[i])
		}
		f.Nodes = append(f.Nodes, ns)
	}
	ratios := func(prod []float64) []float64 {
		cnt := make([]float64, n)
		for _, p := range prod {
			cnt[int(p)]++
		}
		var r []float64
		for i, nd := range t.Nodes {
			if nd.Share > 0 && len(prod) > 0 {
				r = append(r, cnt[i]/float64(len(prod))/nd.Share)
			}
		}
		return r
	}
	if total > 0 {
		// Jain's index is bounded by 1 and resampling only adds noise, so the percentile
		// bootstrap sits below a perfectly proportional estimate; widen it to include the
		// point estimate rather than print an interval that excludes it.
		f.Jain = BootstrapCI(producers, func(s []float64) float64 { return JainIndex(ratios(s)) }, 1000, seed)
		f.Jain.Lo, f.Jain.Hi = math.Min(f.Jain.Lo, f.Jain.Value), math.Max(f.Jain.Hi, f.Jain.Value)
		if g := Gini(ratios(producers)); !math.IsNaN(g) {
			f.Gini = g
		}
	} else {
		f.Jain = Estimate{Value: math.NaN(), Lo: math.NaN(), Hi: math.NaN()}
	}
	return f
}

func resources(t *Trace, canon []string, mined func(int) (float64, bool), finalAt []float64, canonTx map[string]uint64, seed uint64) Resources {
	var r Resources
	const windows = 10
	if t.Span <= 0 {
		return r
	}
	width := t.Span / windows
	win := func(at float64) int {
		k := int(at / width)
		return min(max(k, 0), windows-1)
	}
	cpuW := make([]float64, windows)
	bytesW := make([]float64, windows)
	byNode := map[int][]ResourceSample{}
	for _, s := range t.Resources {
		byNode[s.Node] = append(byNode[s.Node], s)
		r.MaxRSS = max(r.MaxRSS, s.RSS)
	}
	nodes := make([]int, 0, len(byNode))
	for n := range byNode {
		nodes = append(nodes, n)
	}
	sort.Ints(nodes) // fixed summation order: metrics must be byte-identical per trace
	for _, n := range nodes {
		ss := byNode[n]
		for i := 1; i < len(ss); i++ {
			dc := ss[i].CPU - ss[i-1].CPU
			if dc < 0 { // restarted process: its counter began again at zero
				dc = ss[i].CPU
			}
			db := float64(ss[i].BytesSent) - float64(ss[i-1].BytesSent)
			if db < 0 {
				db = float64(ss[i].BytesSent)
			}
			r.CPUSeconds += dc
			r.BytesSent += uint64(db)
			cpuW[win(ss[i].At)] += dc
			bytesW[win(ss[i].At)] += db
		}
	}
	blocksW := make([]float64, windows)
	for h := 1; h < len(canon); h++ {
		if at, ok := mined(h); ok {
			blocksW[win(at)]++
		}
	}
	finTxW := make([]float64, windows)
	for _, h := range canonTx {
		if f := finalAt[h]; !math.IsInf(f, 1) && f <= t.Span {
			finTxW[win(f)]++
		}
	}
	r.CPUPerBlock = RatioCI(cpuW, blocksW, seed)
	r.BytesPerBlock = RatioCI(bytesW, blocksW, seed+1)
	r.CPUPerFinalizedTx = RatioCI(cpuW, finTxW, seed+2)
	r.BytesPerFinalizedTx = RatioCI(bytesW, finTxW, seed+3)
	return r
}

// oneShot faults have no duration of their own.
var oneShot = map[string]bool{FaultHashRate: true, FaultStake: true, FaultLink: true, FaultHeal: true,
	FaultReconnect: true, FaultResume: true, FaultRestart: true}

func faultOutcomes(t *Trace, adv []advance, mined func(int) (float64, bool)) []FaultOutcome {
	var out []FaultOutcome
	window := math.Max(10, 10*t.TargetInterval)
	dead, changes := deadNodes(t)
	finalizedAt := func(at float64) uint64 {
		var h uint64
		for _, a := range adv {
			if a.At <= at {
				h = a.Height
			}
		}
		return h
	}
	for _, f := range t.Faults {
		if f.Err != "" {
			out = append(out, FaultOutcome{FaultEvent: f, RecoverSeconds: -1, FinalityResumed: -1})
			continue
		}
		end := f.End
		if end < 0 {
			if oneShot[f.Action] {
				end = f.At
			} else {
				end = t.Span
			}
		}
		o := FaultOutcome{FaultEvent: f, RecoverSeconds: recoverTime(t, end, dead, changes), FinalityResumed: -1}
		for _, r := range t.Reorgs {
			if r.At >= end && r.At <= end+window {
				o.ReorgsAfter++
				o.BlocksReverted += r.Depth
				o.MaxReorgDepth = max(o.MaxReorgDepth, r.Depth)
			}
		}
		prev, next := 0.0, t.Span
		found := false
		for _, a := range adv {
			// Finality "advances during" the fault when a block produced after the fault
			// began becomes final before it ends. Checkpoints whose votes were cast before
			// the cut may still complete FFG's pipeline afterwards; that is not progress.
			if a.At >= f.At && a.At <= end {
				if at, ok := mined(int(a.Height)); ok && at > f.At {
					o.FinalityAdvanced = true
				}
			}
			if a.At <= end {
				prev = a.At
			} else if !found {
				next, found = a.At, true
			}
		}
		o.FinalityStall = next - prev
		if found {
			o.FinalityResumed = next - end
		}
		o.HeightAtStart = finalizedAt(f.At)
		o.HeightAtEnd = finalizedAt(end)
		out = append(out, o)
	}
	return out
}

// recoverTime is the time from `from` until every live node reports the same tip. It
// keeps a count of live nodes per tip, so each tip event costs O(1) (plus O(nodes) when a
// node goes down or comes back): simulator traces have millions of tip events.
func recoverTime(t *Trace, from float64, dead func(int, float64) bool, changes []float64) float64 {
	n := len(t.Nodes)
	tips := make([]string, n)
	live := make([]bool, n)
	cnt := map[string]int{}
	liveN, withTip := 0, 0
	rebuild := func(at float64) {
		clear(cnt)
		liveN, withTip = 0, 0
		for i := 0; i < n; i++ {
			live[i] = !dead(i, at)
			if live[i] {
				liveN++
				if tips[i] != "" {
					withTip++
					cnt[tips[i]]++
				}
			}
		}
	}
	set := func(i int, h string) {
		if i < 0 || i >= n {
			return
		}
		if live[i] {
			if tips[i] != "" {
				if cnt[tips[i]]--; cnt[tips[i]] == 0 {
					delete(cnt, tips[i])
				}
			} else {
				withTip++
			}
			cnt[h]++
		}
		tips[i] = h
	}
	agree := func() bool { return liveN > 0 && withTip == liveN && len(cnt) == 1 }
	rebuild(from)
	k := 0 // next liveness change
	for k < len(changes) && changes[k] <= from {
		k++
	}
	i := 0
	for ; i < len(t.Tips) && t.Tips[i].At <= from; i++ {
		set(t.Tips[i].Node, t.Tips[i].Hash)
	}
	rebuild(from)
	if agree() {
		return 0
	}
	for ; i < len(t.Tips); i++ {
		e := t.Tips[i]
		if k < len(changes) && changes[k] <= e.At {
			for k < len(changes) && changes[k] <= e.At {
				k++
			}
			rebuild(e.At)
		}
		set(e.Node, e.Hash)
		if (i+1 == len(t.Tips) || t.Tips[i+1].At > e.At) && agree() {
			return e.At - from
		}
	}
	return -1
}

// disruptedWindows returns a predicate: does [from, to] overlap a fault that cuts links
// or stops a node (partition, disconnect, kill, stop, pause, or an adversary taking a
// node offline)?
func disruptedWindows(t *Trace) func(from, to float64) bool {
	type iv struct{ from, to float64 }
	var ws []iv
	for _, f := range t.Faults {
		switch f.Action {
		case FaultPartition, FaultDisconnect, FaultKill, FaultStop, FaultPause:
			end := f.End
			if end < 0 {
				end = math.Inf(1)
			}
			ws = append(ws, iv{f.At, end})
		}
	}
	return func(from, to float64) bool {
		for _, w := range ws {
			if from < w.to && to >= w.from {
				return true
			}
		}
		return false
	}
}

// deadNodes returns a predicate: was node i down (killed, stopped or paused) at time at?
// and the sorted times at which that changes.
func deadNodes(t *Trace) (func(i int, at float64) bool, []float64) {
	type iv struct{ from, to float64 }
	down := map[int][]iv{}
	for _, f := range t.Faults {
		if f.Err != "" {
			continue
		}
		switch f.Action {
		case FaultKill, FaultStop, FaultPause:
			end := f.End
			if end < 0 {
				end = math.Inf(1)
			}
			for _, nd := range f.Nodes {
				down[nd] = append(down[nd], iv{f.At, end})
			}
		case FaultRestart, FaultResume:
			for _, nd := range f.Nodes {
				ivs := down[nd]
				for k := range ivs {
					if ivs[k].from <= f.At && ivs[k].to > f.At {
						ivs[k].to = f.At
					}
				}
			}
		}
	}
	var changes []float64
	for _, ivs := range down {
		sort.Slice(ivs, func(a, b int) bool { return ivs[a].from < ivs[b].from })
		for _, v := range ivs {
			changes = append(changes, v.from)
			if !math.IsInf(v.to, 1) {
				changes = append(changes, v.to)
			}
		}
	}
	sort.Float64s(changes)
	return func(i int, at float64) bool {
		for _, v := range down[i] {
			if at >= v.from && at < v.to {
				return true
			}
		}
		return false
	}, changes
}
