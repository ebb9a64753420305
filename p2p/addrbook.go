package p2p

import (
	"context"
	"errors"
	"sort"
	"sync"
	"time"
)

const maxBookEntries = 1_000

// addrEntry is one known address. Static entries are always redialled; learned ones fill
// the outbound target.
type addrEntry struct {
	addr     string
	id       NodeID // zero until a handshake or an addr message names it
	seen     time.Time
	static   bool
	self     bool
	failures int
	next     time.Time // earliest next dial
	dialing  bool
}

// addrBook holds known addresses and the dial backoff state.
type addrBook struct {
	s  *Server
	mu sync.Mutex
	m  map[string]*addrEntry
}

func newAddrBook(s *Server) *addrBook { return &addrBook{s: s, m: make(map[string]*addrEntry)} }

func (b *addrBook) addStatic(addr string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if e := b.m[addr]; e != nil {
		e.static = true
		return
	}
	b.m[addr] = &addrEntry{addr: addr, static: true}
}

// learned records a connected peer's advertised address.
func (b *addrBook) learned(addr string, id NodeID, now time.Time) {
	addr = normalizeAddr(addr)
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.m[addr]
	if e == nil {
		if len(b.m) >= maxBookEntries {
			return
		}
		e = &addrEntry{addr: addr}
		b.m[addr] = e
	}
	e.id, e.seen = id, now
}

// add merges an addr message (bounded; our own id and address are skipped).
func (b *addrBook) add(as []AddrEntry, from NodeID) {
	self := b.s.cfg.NodeID
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, a := range as {
		addr := normalizeAddr(a.Addr)
		if a.NodeID == self || addr == "" || addr == b.s.cfg.AdvertiseAddr {
			continue
		}
		seen := time.Unix(a.Seen, 0)
		if e := b.m[addr]; e != nil {
			if seen.After(e.seen) {
				e.seen = seen
			}
			if e.id == (NodeID{}) {
				e.id = a.NodeID
			}
			continue
		}
		if len(b.m) >= maxBookEntries {
			b.evictOldestLocked()
		}
		b.m[addr] = &addrEntry{addr: addr, id: a.NodeID, seen: seen}
	}
}

func (b *addrBook) evictOldestLocked() {
	var old *addrEntry
	for _, e := range b.m {
		if !e.static && !e.dialing && (old == nil || e.seen.Before(old.seen)) {
			old = e
		}
	}
	if old != nil {
		delete(b.m, old.addr)
	}
}

// sample returns up to n addresses for a getaddr answer, freshest first, not the asker's.
func (b *addrBook) sample(n int, asker NodeID) []AddrEntry {
	b.mu.Lock()
	var out []AddrEntry
	for _, e := range b.m {
		if e.self || e.id == asker || e.id == (NodeID{}) || e.seen.IsZero() {
			continue
		}
		out = append(out, AddrEntry{NodeID: e.id, Seen: e.seen.Unix(), Addr: e.addr})
	}
	b.mu.Unlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Seen > out[j].Seen })
	if len(out) > n {
		out = out[:n]
	}
	return out
}

// disconnected updates the backoff of a dialled address: a connection that never completed
// its handshake backs off exponentially; one that ran is redialled after ReconnectMin.
func (b *addrBook) disconnected(addr string, id NodeID, registered bool, err error) {
	now := b.s.cfg.Now()
	b.mu.Lock()
	defer b.mu.Unlock()
	e := b.m[addr]
	if e == nil {
		return
	}
	e.dialing = false
	if id != (NodeID{}) {
		e.id = id
	}
	if errors.Is(err, ErrSelfConnection) {
		e.self = true
		return
	}
	if registered {
		e.failures = 0
		e.seen = now
	} else {
		e.failures++
	}
	d := b.s.cfg.ReconnectMin << min(e.failures, 16)
	if d > b.s.cfg.ReconnectMax || d <= 0 {
		d = b.s.cfg.ReconnectMax
	}
	// +-25% jitter from the seeded source so nodes do not redial in lockstep
	d += time.Duration(b.s.rng.Int64N(int64(d)/2+1)) - d/4
	e.next = now.Add(d)
}

// candidates returns the addresses to dial now and marks them dialling.
func (b *addrBook) candidates(now time.Time, outbound int) []string {
	s := b.s
	s.mu.Lock()
	connected := make(map[NodeID]bool, len(s.byID))
	for id := range s.byID {
		connected[id] = true
	}
	s.mu.Unlock()
	b.mu.Lock()
	defer b.mu.Unlock()
	var statics, others []*addrEntry
	for _, e := range b.m {
		if e.dialing || e.self || now.Before(e.next) || e.addr == s.cfg.AdvertiseAddr ||
			(e.id != (NodeID{}) && connected[e.id]) {
			continue
		}
		if e.static {
			statics = append(statics, e)
		} else {
			others = append(others, e)
		}
	}
	var out []string
	for _, e := range statics {
		e.dialing = true
		out = append(out, e.addr)
	}
	need := s.cfg.TargetOutbound - outbound - len(statics)
	for need > 0 && len(others) > 0 {
		i := s.rng.IntN(len(others))
		e := others[i]
		others[i] = others[len(others)-1]
		others = others[:len(others)-1]
		e.dialing = true
		out = append(out, e.addr)
		need--
	}
	return out
}

// dialLoop keeps the static peers connected and the outbound count at its target.
func (s *Server) dialLoop(ctx context.Context) {
	t := time.NewTicker(min(max(s.cfg.ReconnectMin/2, 20*time.Millisecond), time.Second))
	defer t.Stop()
	for {
		outbound := 0
		for _, p := range s.peerList() {
			if !p.inbound {
				outbound++
			}
		}
		for _, addr := range s.book.candidates(s.cfg.Now(), outbound) {
			if s.isAddrBanned(addr) {
				s.book.disconnected(addr, NodeID{}, false, ErrBanned)
				continue
			}
			if !s.track() {
				return
			}
			go func(addr string) {
				defer s.wg.Done()
				dctx, cancel := context.WithTimeout(ctx, s.cfg.HandshakeTimeout)
				defer cancel()
				_, _ = s.dial(dctx, addr)
			}(addr)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		case <-s.wakeDial:
		}
	}
}
