package sim

import "container/heap"

// event is one scheduled action. Events at the same virtual time run in the order they
// were scheduled (seq), so a run never depends on heap tie-breaking.
type event struct {
	at  int64 // virtual nanoseconds since the start of the run
	seq uint64
	fn  func()
}

type eventHeap []event

func (h eventHeap) Len() int { return len(h) }
func (h eventHeap) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}
func (h eventHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *eventHeap) Push(x any)   { *h = append(*h, x.(event)) }
func (h *eventHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = event{}
	*h = old[:len(old)-1]
	return e
}

// scheduler is the discrete-event loop: a heap of events and the virtual clock, which
// jumps to each event's time as it runs. Nothing in the simulator reads the wall clock.
type scheduler struct {
	h      eventHeap
	now    int64
	seq    uint64
	events uint64 // run so far
}

// at schedules fn at virtual time t (clamped to now).
func (s *scheduler) at(t int64, fn func()) {
	if t < s.now {
		t = s.now
	}
	s.seq++
	heap.Push(&s.h, event{at: t, seq: s.seq, fn: fn})
}

// after schedules fn d nanoseconds from now.
func (s *scheduler) after(d int64, fn func()) { s.at(s.now+d, fn) }

// run executes events until the heap is empty, the clock passes end, or stop returns true
// (checked after every event).
func (s *scheduler) run(end int64, stop func() bool) {
	for s.h.Len() > 0 {
		if s.h[0].at > end {
			s.now = end
			return
		}
		e := heap.Pop(&s.h).(event)
		s.now = e.at
		s.events++
		e.fn()
		if stop != nil && stop() {
			return
		}
	}
	if s.now < end {
		s.now = end
	}
}
