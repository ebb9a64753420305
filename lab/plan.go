package lab

import (
	"fmt"
	"math"
	"math/rand/v2"
	"regexp"
	"sort"
	"time"
)

// PlanNode is one resolved node of a manifest.
type PlanNode struct {
	Index     int
	Name      string
	HashRate  float64 // H/s (PoW); 0 = does not mine
	Stake     float64 // coins (PoS); 0 = not a validator
	StartLate time.Duration
}

// Edge is a resolved link between nodes A < B (indices) with its parameters.
type Edge struct {
	A, B int
	LinkParams
}

// Plan is a validated manifest resolved into nodes and links.
type Plan struct {
	Nodes []PlanNode
	Edges []Edge
}

// Share returns node i's share of the total hash rate (PoW) or stake (PoS).
func (p *Plan) Share(consensus string, i int) float64 {
	var tot, v float64
	for _, n := range p.Nodes {
		w := n.HashRate
		if consensus == "pos" {
			w = n.Stake
		}
		tot += w
		if n.Index == i {
			v = w
		}
	}
	if tot == 0 {
		return 0
	}
	return v / tot
}

// NodeIndex returns the index of a node name.
func (p *Plan) NodeIndex(name string) (int, bool) {
	for _, n := range p.Nodes {
		if n.Name == name {
			return n.Index, true
		}
	}
	return 0, false
}

// Resolve validates m and returns its plan.
func (m *Manifest) Resolve() (*Plan, error) {
	p := &Plan{}
	if len(m.Node) == 0 {
		for i := 0; i < m.Nodes.Count; i++ {
			p.Nodes = append(p.Nodes, PlanNode{Index: i, Name: fmt.Sprintf("n%d", i), HashRate: m.Nodes.HashRate, Stake: m.Nodes.Stake})
		}
	} else {
		if m.Nodes.Count != 0 && m.Nodes.Count != len(m.Node) {
			return nil, keyErr("nodes.count", "%d does not match the %d [[node]] entries", m.Nodes.Count, len(m.Node))
		}
		seen := map[string]bool{}
		for i, ns := range m.Node {
			key := fmt.Sprintf("node[%d]", i)
			n := PlanNode{Index: i, Name: ns.Name, HashRate: m.Nodes.HashRate, Stake: m.Nodes.Stake, StartLate: ns.StartLate.Duration}
			if n.Name == "" {
				n.Name = fmt.Sprintf("n%d", i)
			}
			if !nameRE.MatchString(n.Name) || n.Name == "all" {
				return nil, keyErr(key+".name", "%q is not a valid node name ([A-Za-z0-9_-]{1,32}, not \"all\")", n.Name)
			}
			if seen[n.Name] {
				return nil, keyErr(key+".name", "duplicate node name %q", n.Name)
			}
			seen[n.Name] = true
			if ns.HashRate != nil {
				n.HashRate = *ns.HashRate
			}
			if ns.Stake != nil {
				n.Stake = *ns.Stake
			}
			if n.HashRate < 0 || math.IsNaN(n.HashRate) || n.HashRate > 1e9 {
				return nil, keyErr(key+".hashrate", "%v is outside 0..1e9 H/s", n.HashRate)
			}
			if n.Stake < 0 || math.IsNaN(n.Stake) || n.Stake > 1e9 {
				return nil, keyErr(key+".stake", "%v is outside 0..1e9 coins", n.Stake)
			}
			if n.Stake > 0 && n.Stake < m.PoS.MinStake && m.Consensus == "pos" {
				return nil, keyErr(key+".stake", "%v is below pos.min_stake %v", n.Stake, m.PoS.MinStake)
			}
			if n.StartLate < 0 {
				return nil, keyErr(key+".start", "must not be negative")
			}
			p.Nodes = append(p.Nodes, n)
		}
	}
	if len(p.Nodes) < 1 || len(p.Nodes) > 64 {
		return nil, keyErr("nodes.count", "%d is outside 1..64", len(p.Nodes))
	}
	var total float64
	for _, n := range p.Nodes {
		if m.Consensus == "pow" {
			total += n.HashRate
		} else {
			total += n.Stake
		}
	}
	if total <= 0 {
		if m.Consensus == "pow" {
			return nil, keyErr("nodes.hashrate", "no node mines: the total hash rate is 0")
		}
		return nil, keyErr("nodes.stake", "no node validates: the total stake is 0")
	}
	edges, err := topologyEdges(m.Network, len(p.Nodes), m.Seed, p)
	if err != nil {
		return nil, err
	}
	idx := map[[2]int]int{}
	for i, e := range edges {
		idx[[2]int{e.A, e.B}] = i
	}
	for i, l := range m.Links {
		key := fmt.Sprintf("link[%d]", i)
		a, ok := p.NodeIndex(l.A)
		if !ok {
			return nil, keyErr(key+".a", "unknown node %q", l.A)
		}
		b, ok := p.NodeIndex(l.B)
		if !ok {
			return nil, keyErr(key+".b", "unknown node %q", l.B)
		}
		if a == b {
			return nil, keyErr(key+".b", "a link needs two different nodes")
		}
		if err := l.LinkParams.validate(key); err != nil {
			return nil, err
		}
		if a > b {
			a, b = b, a
		}
		e := Edge{A: a, B: b, LinkParams: l.LinkParams}
		if j, ok := idx[[2]int{a, b}]; ok {
			edges[j] = e
		} else {
			idx[[2]int{a, b}] = len(edges)
			edges = append(edges, e)
		}
	}
	p.Edges = edges
	return p, nil
}

var nameRE = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)

func (l LinkParams) validate(key string) error {
	if l.Delay.Duration < 0 || l.Delay.Duration > time.Minute {
		return keyErr(key+".delay", "%v is outside 0..1m", l.Delay)
	}
	if l.Jitter.Duration < 0 || l.Jitter.Duration > l.Delay.Duration+time.Minute {
		return keyErr(key+".jitter", "%v is outside 0..1m", l.Jitter)
	}
	if l.Loss < 0 || l.Loss >= 1 || math.IsNaN(l.Loss) {
		return keyErr(key+".loss", "%v is outside 0 ≤ loss < 1", l.Loss)
	}
	if l.Bandwidth < 0 || math.IsNaN(l.Bandwidth) {
		return keyErr(key+".bandwidth", "%v kbit/s must not be negative", l.Bandwidth)
	}
	return nil
}

// Topologies.
const (
	TopoFull   = "full"
	TopoLine   = "line"
	TopoRing   = "ring"
	TopoStar   = "star"
	TopoRandom = "random"
)

// topologyEdges returns the undirected edges of a topology (A < B, sorted).
func topologyEdges(nw NetworkSection, n int, seed int64, p *Plan) ([]Edge, error) {
	if err := nw.LinkParams.validate("network"); err != nil {
		return nil, err
	}
	set := map[[2]int]bool{}
	add := func(a, b int) {
		if a == b {
			return
		}
		if a > b {
			a, b = b, a
		}
		set[[2]int{a, b}] = true
	}
	switch nw.Topology {
	case TopoFull:
		for a := 0; a < n; a++ {
			for b := a + 1; b < n; b++ {
				add(a, b)
			}
		}
	case TopoLine:
		for a := 0; a+1 < n; a++ {
			add(a, a+1)
		}
	case TopoRing:
		for a := 0; a < n; a++ {
			add(a, (a+1)%n)
		}
	case TopoStar:
		hub := 0
		if nw.Hub != "" {
			h, ok := p.NodeIndex(nw.Hub)
			if !ok {
				return nil, keyErr("network.hub", "unknown node %q", nw.Hub)
			}
			hub = h
		}
		for a := 0; a < n; a++ {
			add(hub, a)
		}
	case TopoRandom:
		if nw.Degree < 1 || (n > 1 && nw.Degree > n-1) {
			return nil, keyErr("network.degree", "%d is outside 1..%d (nodes-1)", nw.Degree, n-1)
		}
		// A ring keeps the graph connected; then each node gets random extra links until
		// it has Degree, drawn from a generator seeded by the manifest seed.
		rng := rand.New(rand.NewPCG(uint64(seed), 0x746f706f))
		if n > 1 {
			for a := 0; a < n; a++ {
				add(a, (a+1)%n)
			}
		}
		deg := func(a int) int {
			d := 0
			for k := range set {
				if k[0] == a || k[1] == a {
					d++
				}
			}
			return d
		}
		for a := 0; a < n; a++ {
			for tries := 0; deg(a) < nw.Degree && tries < 10*n; tries++ {
				b := rng.IntN(n)
				if b != a && deg(b) < nw.Degree+1 {
					add(a, b)
				}
			}
		}
	default:
		return nil, keyErr("network.topology", "%q is not full, line, ring, star or random", nw.Topology)
	}
	out := make([]Edge, 0, len(set))
	for k := range set {
		out = append(out, Edge{A: k[0], B: k[1], LinkParams: nw.LinkParams})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].A != out[j].A {
			return out[i].A < out[j].A
		}
		return out[i].B < out[j].B
	})
	return out, nil
}

// Validate checks every value and names the first bad key.
func (m *Manifest) Validate() error {
	switch m.Consensus {
	case "pow", "pos":
	case "":
		return keyErr("consensus", "missing: want \"pow\" or \"pos\"")
	default:
		return keyErr("consensus", "%q is not pow or pos", m.Consensus)
	}
	if m.Duration.Duration < 0 {
		return keyErr("duration", "must not be negative")
	}
	if m.Duration.Duration == 0 && m.Blocks == 0 {
		return keyErr("duration", "set duration or blocks (or both: whichever comes first)")
	}
	if m.Blocks > 1_000_000 {
		return keyErr("blocks", "%d is too many", m.Blocks)
	}
	if m.MaxDuration.Duration <= 0 {
		return keyErr("max_duration", "must be positive")
	}
	if *m.Chain.CoinbaseMaturity > 10000 {
		return keyErr("chain.coinbase_maturity", "%d is outside 0..10000", *m.Chain.CoinbaseMaturity)
	}
	if m.Chain.FinalityDepth > 1000 {
		return keyErr("chain.finality_depth", "%d is outside 1..1000", m.Chain.FinalityDepth)
	}
	if m.Chain.MaxBlockSize < 1000 || m.Chain.MaxBlockSize > 32<<20 {
		return keyErr("chain.max_block_size", "%d is outside 1000..33554432", m.Chain.MaxBlockSize)
	}
	if m.Consensus == "pow" {
		ts := m.PoW.TargetSpacing.Duration
		if ts < time.Second || ts%time.Second != 0 || ts > 24*time.Hour {
			return keyErr("pow.target_spacing", "%v must be whole seconds in 1s..24h (header times are seconds)", ts)
		}
		switch m.PoW.Algorithm {
		case "asert", "bitcoin", "fixed":
		default:
			return keyErr("pow.algorithm", "%q is not asert, bitcoin or fixed", m.PoW.Algorithm)
		}
		if m.PoW.HalfLife.Duration < time.Second {
			return keyErr("pow.half_life", "%v is below 1s", m.PoW.HalfLife)
		}
		if m.PoW.RetargetWindow < 2 || m.PoW.RetargetWindow > 100000 {
			return keyErr("pow.retarget_window", "%d is outside 2..100000", m.PoW.RetargetWindow)
		}
		if m.PoW.InitialBits != "" {
			if _, err := parseBits(m.PoW.InitialBits); err != nil {
				return keyErr("pow.initial_bits", "%v", err)
			}
		}
	} else {
		s := m.PoS.Slot.Duration
		if s < time.Second || s > time.Hour || s%time.Second != 0 {
			return keyErr("pos.slot", "%v must be whole seconds in 1s..1h (header times are whole seconds)", s)
		}
		if m.PoS.EpochSlots < 2 || m.PoS.EpochSlots > 1024 {
			return keyErr("pos.epoch_slots", "%d is outside 2..1024", m.PoS.EpochSlots)
		}
		if m.PoS.MinStake <= 0 {
			return keyErr("pos.min_stake", "must be positive")
		}
	}
	if m.Nodes.Count < 0 {
		return keyErr("nodes.count", "must not be negative")
	}
	if m.Nodes.HashRate < 0 || math.IsNaN(m.Nodes.HashRate) {
		return keyErr("nodes.hashrate", "must not be negative")
	}
	if m.Nodes.Stake < 0 || math.IsNaN(m.Nodes.Stake) {
		return keyErr("nodes.stake", "must not be negative")
	}
	plan, err := m.Resolve()
	if err != nil {
		return err
	}
	if err := m.validateLoad(plan); err != nil {
		return err
	}
	if err := m.validateFaults(plan); err != nil {
		return err
	}
	return m.validateAdversaries(plan)
}

func (m *Manifest) validateLoad(p *Plan) error {
	l := m.Load
	if l.Rate < 0 || l.Rate > 10000 || math.IsNaN(l.Rate) {
		return keyErr("load.rate", "%v is outside 0..10000 tx/s", l.Rate)
	}
	switch l.Pattern {
	case PatternConstant, PatternPoisson, PatternBurst:
	default:
		return keyErr("load.pattern", "%q is not constant, poisson or burst", l.Pattern)
	}
	if l.BurstSize < 1 {
		return keyErr("load.burst_size", "must be at least 1")
	}
	if l.Start.Duration < 0 {
		return keyErr("load.start", "must not be negative")
	}
	if l.Stop.Duration != 0 && l.Stop.Duration <= l.Start.Duration {
		return keyErr("load.stop", "%v is not after load.start %v", l.Stop, l.Start)
	}
	if l.Keys < 1 || l.Keys > 64 {
		return keyErr("load.keys", "%d is outside 1..64", l.Keys)
	}
	for i, n := range l.Nodes {
		if _, ok := p.NodeIndex(n); !ok {
			return keyErr(fmt.Sprintf("load.nodes[%d]", i), "unknown node %q", n)
		}
	}
	return nil
}

// ResolveNodes expands a list of node names ("all" = every node) into indices.
func (p *Plan) ResolveNodes(names []string) ([]int, error) {
	var out []int
	seen := map[int]bool{}
	for _, n := range names {
		if n == "all" {
			for _, pn := range p.Nodes {
				if !seen[pn.Index] {
					seen[pn.Index] = true
					out = append(out, pn.Index)
				}
			}
			continue
		}
		i, ok := p.NodeIndex(n)
		if !ok {
			return nil, fmt.Errorf("unknown node %q", n)
		}
		if !seen[i] {
			seen[i] = true
			out = append(out, i)
		}
	}
	return out, nil
}

func (m *Manifest) validateFaults(p *Plan) error {
	for i, f := range m.Faults {
		key := fmt.Sprintf("fault[%d]", i)
		if f.At.Duration < 0 {
			return keyErr(key+".at", "must not be negative")
		}
		if m.Duration.Duration > 0 && f.At.Duration >= m.Duration.Duration {
			return keyErr(key+".at", "%v is not before the end of the run (duration %v)", f.At, m.Duration)
		}
		if f.For.Duration < 0 {
			return keyErr(key+".for", "must not be negative")
		}
		known := false
		for _, a := range faultActions {
			known = known || a == f.Action
		}
		if !known {
			return keyErr(key+".action", "%q is not one of %v", f.Action, faultActions)
		}
		nodes, err := p.ResolveNodes(f.Nodes)
		if err != nil {
			return keyErr(key+".nodes", "%v", err)
		}
		a, err := p.ResolveNodes(f.A)
		if err != nil {
			return keyErr(key+".a", "%v", err)
		}
		b, err := p.ResolveNodes(f.B)
		if err != nil {
			return keyErr(key+".b", "%v", err)
		}
		switch f.Action {
		case FaultPartition:
			if len(a) == 0 {
				return keyErr(key+".a", "a partition needs side a")
			}
			inA := map[int]bool{}
			for _, x := range a {
				inA[x] = true
			}
			for _, x := range b {
				if inA[x] {
					return keyErr(key+".b", "node %s is on both sides", p.Nodes[x].Name)
				}
			}
			if len(a) == len(p.Nodes) {
				return keyErr(key+".a", "side a holds every node; nothing is left for side b")
			}
		case FaultHeal, FaultReconnect:
		case FaultDisconnect, FaultLink:
			if len(nodes) == 0 && (len(a) == 0 || len(b) == 0) {
				return keyErr(key+".nodes", "%s needs nodes, or a and b", f.Action)
			}
			if f.Action == FaultLink {
				if f.Link == nil {
					return keyErr(key+".link", "the link action needs a link table")
				}
				if err := f.Link.LinkParams.validate(key + ".link"); err != nil {
					return err
				}
			}
		default:
			if len(nodes) == 0 {
				return keyErr(key+".nodes", "%s needs at least one node", f.Action)
			}
		}
		switch f.Action {
		case FaultHashRate:
			if m.Consensus != "pow" {
				return keyErr(key+".action", "hashrate faults need consensus pow")
			}
			if f.HashRate == nil || *f.HashRate < 0 {
				return keyErr(key+".hashrate", "the hashrate action needs hashrate ≥ 0 (H/s)")
			}
		case FaultStake:
			if m.Consensus != "pos" {
				return keyErr(key+".action", "stake faults need consensus pos")
			}
			if f.Stake == nil || *f.Stake <= 0 {
				return keyErr(key+".stake", "the stake action needs stake > 0 (coins to bond)")
			}
		}
		if f.HashRate != nil && f.Action != FaultHashRate {
			return keyErr(key+".hashrate", "only the hashrate action takes hashrate")
		}
		if f.Stake != nil && f.Action != FaultStake {
			return keyErr(key+".stake", "only the stake action takes stake")
		}
	}
	return nil
}

func (m *Manifest) validateAdversaries(p *Plan) error {
	for i, a := range m.Adv {
		key := fmt.Sprintf("adversary[%d]", i)
		eng, ok := advStrategies[a.Strategy]
		if !ok {
			return keyErr(key+".strategy", "%q is not a known strategy (pow: selfish, withhold, double-spend; pos: double-vote, surround-vote, equivocate, offline, withhold)", a.Strategy)
		}
		if eng != "" && eng != m.Consensus {
			return keyErr(key+".strategy", "%s is a %s strategy; this manifest is %s", a.Strategy, eng, m.Consensus)
		}
		nodes, err := p.ResolveNodes(a.Nodes)
		if err != nil {
			return keyErr(key+".nodes", "%v", err)
		}
		if len(nodes) == 0 {
			return keyErr(key+".nodes", "needs at least one node")
		}
		if a.Start.Duration < 0 {
			return keyErr(key+".start", "must not be negative")
		}
		if a.Stop.Duration != 0 && a.Stop.Duration <= a.Start.Duration {
			return keyErr(key+".stop", "%v is not after start %v", a.Stop, a.Start)
		}
		if a.Gamma != nil && (*a.Gamma < 0 || *a.Gamma > 1) {
			return keyErr(key+".gamma", "%v is outside 0..1", *a.Gamma)
		}
		if a.Gamma != nil && a.Strategy != AdvSelfish {
			return keyErr(key+".gamma", "only the selfish strategy takes gamma")
		}
		if a.Amount < 0 {
			return keyErr(key+".amount", "must not be negative")
		}
	}
	return nil
}
