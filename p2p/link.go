package p2p

import (
	"errors"
	"math/rand/v2"
	"sync"
	"time"
)

// LinkParams emulate one direction of a link (what this node sends to a peer). The zero
// value is a perfect link and costs nothing: no timer, no goroutine, no random draw.
type LinkParams struct {
	Delay     time.Duration `json:"delay"`     // one-way latency added to every message
	Jitter    time.Duration `json:"jitter"`    // uniform extra delay in [0, Jitter)
	Loss      float64       `json:"loss"`      // probability in [0,1] that a message is dropped
	Bandwidth int64         `json:"bandwidth"` // bytes per second; 0 = unlimited
}

// IsZero reports whether p is a perfect link.
func (p LinkParams) IsZero() bool { return p == LinkParams{} }

func (p LinkParams) validate() error {
	if p.Delay < 0 || p.Jitter < 0 || p.Bandwidth < 0 {
		return errors.New("negative delay, jitter or bandwidth")
	}
	if !(p.Loss >= 0 && p.Loss <= 1) {
		return errors.New("loss must be in [0,1]")
	}
	return nil
}

// linkState is the per-peer emulation state on the send path, guarded by the peer's send
// mutex. Delivery times are computed at enqueue time so a delayed link still pipelines:
// message k leaves at max(enqueue + serialization + delay + jitter, departure of k-1), which
// keeps the websocket's ordering.
type linkState struct {
	params   LinkParams
	busy     time.Time // the emulated wire is busy (bandwidth) until then
	lastSend time.Time // departure time of the previous message
}

// schedule returns when a message of size bytes enqueued at now may be written, or
// drop=true when the emulated loss eats it.
func (l *linkState) schedule(now time.Time, size int, rng *lockedRand) (at time.Time, drop bool) {
	p := l.params
	if p.Loss > 0 && rng.Float64() < p.Loss {
		return time.Time{}, true
	}
	start := now
	if p.Bandwidth > 0 {
		if l.busy.After(start) {
			start = l.busy
		}
		start = start.Add(time.Duration(float64(size) / float64(p.Bandwidth) * float64(time.Second)))
		l.busy = start
	}
	at = start.Add(p.Delay)
	if p.Jitter > 0 {
		at = at.Add(time.Duration(rng.Int64N(int64(p.Jitter))))
	}
	if at.Before(l.lastSend) {
		at = l.lastSend
	}
	l.lastSend = at
	return at, false
}

// partition assigns node ids to groups; traffic between two listed nodes of different
// groups is dropped. Nodes not listed are unaffected.
type partition struct {
	group map[NodeID]int
}

func newPartition(groups [][]NodeID) *partition {
	if len(groups) == 0 {
		return nil
	}
	p := &partition{group: make(map[NodeID]int)}
	for i, g := range groups {
		for _, id := range g {
			p.group[id] = i
		}
	}
	return p
}

func (p *partition) blocked(a, b NodeID) bool {
	if p == nil {
		return false
	}
	ga, okA := p.group[a]
	gb, okB := p.group[b]
	return okA && okB && ga != gb
}

func (p *partition) groups() [][]NodeID {
	if p == nil {
		return nil
	}
	n := 0
	for _, g := range p.group {
		n = max(n, g+1)
	}
	out := make([][]NodeID, n)
	for id, g := range p.group {
		out[g] = append(out[g], id)
	}
	return out
}

// lockedRand is the server's deterministic random source (Config.Seed).
type lockedRand struct {
	mu sync.Mutex
	r  *rand.Rand
}

func newLockedRand(seed uint64) *lockedRand {
	return &lockedRand{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

func (l *lockedRand) Float64() float64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Float64()
}

func (l *lockedRand) Int64N(n int64) int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Int64N(n)
}

func (l *lockedRand) Uint64() uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.Uint64()
}

func (l *lockedRand) IntN(n int) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.r.IntN(n)
}

// SetLink sets the emulation of the link from this node to the node id (at run time too;
// a connected peer picks it up for the next message). Zero params remove the emulation.
// The tip is re-announced to every peer, so blocks whose announcements the old link lost
// are fetched again.
func (s *Server) SetLink(id NodeID, p LinkParams) error {
	if err := p.validate(); err != nil {
		return err
	}
	s.mu.Lock()
	if p.IsZero() {
		delete(s.links, id)
	} else {
		s.links[id] = p
	}
	peers := s.peersByIDLocked(id)
	s.mu.Unlock()
	for _, pr := range peers {
		pr.setLink(p)
	}
	s.announceTip(true) // what the old link lost is offered again
	return nil
}

// Links returns the current non-zero link emulation parameters by node id.
func (s *Server) Links() map[NodeID]LinkParams {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[NodeID]LinkParams, len(s.links))
	for id, p := range s.links {
		out[id] = p
	}
	return out
}

// SetPartition splits the network into groups of node ids: every message between nodes of
// different groups is dropped (sent or received by this node). Nil or empty heals. On a
// change the node re-announces its tip so the sides reconcile after a heal.
func (s *Server) SetPartition(groups [][]NodeID) {
	s.partition.Store(newPartition(groups))
	s.announceTip(true)
}

// Partition returns the current partition groups (nil when healed).
func (s *Server) Partition() [][]NodeID { return s.partition.Load().groups() }

func (s *Server) partitioned(id NodeID) bool {
	return s.partition.Load().blocked(s.cfg.NodeID, id)
}
