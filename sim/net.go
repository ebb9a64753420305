package sim

import (
	"math/rand/v2"
	"sort"

	"chainlab/lab"
)

// link is one undirected simulated link. Each direction has its own queue for the
// bandwidth model: a message starts transmitting when the previous one in that direction
// has left (busy), takes size/bandwidth to transmit, then delay ± jitter to arrive.
type link struct {
	a, b int
	p    lab.LinkParams
	cut  bool     // disconnect fault
	busy [2]int64 // per direction (0: a→b, 1: b→a): virtual time the sender's queue frees
}

type peer struct {
	node int
	link *link
}

// network is the simulated message layer between nodes.
type network struct {
	s     *scheduler
	rng   *rand.Rand
	links []*link
	adj   [][]peer
	group []int // partition side per node; messages cross sides only when equal
	// counters
	msgs, dropped uint64
}

func newNetwork(s *scheduler, rng *rand.Rand, n int, edges []lab.Edge) *network {
	nw := &network{s: s, rng: rng, adj: make([][]peer, n), group: make([]int, n)}
	for _, e := range edges {
		l := &link{a: e.A, b: e.B, p: e.LinkParams}
		nw.links = append(nw.links, l)
		nw.adj[e.A] = append(nw.adj[e.A], peer{e.B, l})
		nw.adj[e.B] = append(nw.adj[e.B], peer{e.A, l})
	}
	for i := range nw.adj {
		sort.Slice(nw.adj[i], func(x, y int) bool { return nw.adj[i][x].node < nw.adj[i][y].node })
	}
	return nw
}

func (nw *network) linkOf(a, b int) *link {
	for _, p := range nw.adj[a] {
		if p.node == b {
			return p.link
		}
	}
	return nil
}

// send transmits a message of size bytes from → to over their link and calls deliver at
// the receiver's arrival time. It reports whether the message was put on the wire (false:
// no link, cut, partitioned or lost).
func (nw *network) send(from, to, size int, deliver func()) bool {
	l := nw.linkOf(from, to)
	if l == nil || l.cut || nw.group[from] != nw.group[to] {
		nw.dropped++
		return false
	}
	if l.p.Loss > 0 && nw.rng.Float64() < l.p.Loss {
		nw.dropped++
		return false
	}
	nw.msgs++
	dir := 0
	if from != l.a {
		dir = 1
	}
	start := max(nw.s.now, l.busy[dir])
	var tx int64
	if l.p.Bandwidth > 0 {
		tx = int64(float64(size) * 8 / (l.p.Bandwidth * 1000) * 1e9)
	}
	l.busy[dir] = start + tx
	d := int64(l.p.Delay.Duration)
	if j := int64(l.p.Jitter.Duration); j > 0 {
		d += int64((nw.rng.Float64()*2 - 1) * float64(j))
	}
	nw.s.at(start+tx+max(d, 0), deliver)
	return true
}

// topology builds the edges of nw for n nodes (the simulator allows more nodes than the
// lab's 64, so it resolves topologies itself; for ≤ 64 nodes the lab's plan is used).
func topology(nw lab.NetworkSection, n int, rng *rand.Rand) []lab.Edge {
	set := map[[2]int]bool{}
	var out []lab.Edge
	add := func(a, b int) {
		if a == b {
			return
		}
		if a > b {
			a, b = b, a
		}
		if set[[2]int{a, b}] {
			return
		}
		set[[2]int{a, b}] = true
		out = append(out, lab.Edge{A: a, B: b, LinkParams: nw.LinkParams})
	}
	switch nw.Topology {
	case lab.TopoLine:
		for i := 0; i+1 < n; i++ {
			add(i, i+1)
		}
	case lab.TopoRing:
		for i := 0; i < n; i++ {
			add(i, (i+1)%n)
		}
	case lab.TopoStar:
		for i := 1; i < n; i++ {
			add(0, i)
		}
	case lab.TopoRandom:
		// A ring keeps the graph connected; each node then adds degree-2 random links.
		for i := 0; i < n; i++ {
			add(i, (i+1)%n)
		}
		for i := 0; i < n; i++ {
			for k := 2; k < nw.Degree; k++ {
				add(i, rng.IntN(n))
			}
		}
	default: // full
		for i := 0; i < n; i++ {
			for j := i + 1; j < n; j++ {
				add(i, j)
			}
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].A != out[j].A {
			return out[i].A < out[j].A
		}
		return out[i].B < out[j].B
	})
	return out
}
