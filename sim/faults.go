package sim

import (
	"fmt"
	"time"

	"chainlab/lab"
)

// scheduleFaults puts the manifest's faults (and their automatic undo after `for`) on
// the event heap.
func (w *world) scheduleFaults() {
	for i, f := range w.m.Faults {
		f, i := f, i
		w.s.at(int64(f.At.Duration), func() { w.applyFault(i, f, -1) })
	}
}

func (w *world) resolveNodes(names []string) []int {
	if len(names) == 0 {
		return nil
	}
	for _, nm := range names {
		if nm == "all" {
			all := make([]int, len(w.nodes))
			for i := range all {
				all[i] = i
			}
			return all
		}
	}
	out, err := w.plan.ResolveNodes(names)
	if err != nil {
		w.log.Warn("fault nodes", "err", err)
	}
	return out
}

func (w *world) applyFault(i int, f lab.FaultSpec, undoOf int) {
	nodes := w.resolveNodes(f.Nodes)
	ev := lab.FaultEvent{At: w.secs(), End: -1, Action: f.Action, Nodes: nodes, Label: fmt.Sprintf("%s %v", f.Action, f.Nodes)}
	w.linkGen++
	switch f.Action {
	case lab.FaultKill, lab.FaultStop, lab.FaultPause:
		for _, x := range nodes {
			w.setOnline(w.nodes[x], false)
		}
	case lab.FaultRestart, lab.FaultResume:
		for _, x := range nodes {
			w.setOnline(w.nodes[x], true)
		}
	case lab.FaultPartition:
		a := w.resolveNodes(f.A)
		inA := make([]bool, len(w.nodes))
		for _, x := range a {
			inA[x] = true
		}
		b := w.resolveNodes(f.B)
		if len(b) == 0 {
			for x := range w.nodes {
				if !inA[x] {
					b = append(b, x)
				}
			}
		}
		for x := range w.net.group {
			w.net.group[x] = 0
		}
		for _, x := range a {
			w.net.group[x] = 1
		}
		for _, x := range b {
			w.net.group[x] = 2
		}
		ev.Label = fmt.Sprintf("partition %v | %v", f.A, f.B)
	case lab.FaultHeal:
		for x := range w.net.group {
			w.net.group[x] = 0
		}
		for _, l := range w.net.links {
			l.cut = false
		}
		for _, n := range w.nodes {
			w.announce(n)
		}
	case lab.FaultDisconnect, lab.FaultReconnect:
		cut := f.Action == lab.FaultDisconnect
		set := map[int]bool{}
		for _, x := range append(nodes, w.resolveNodes(f.A)...) {
			set[x] = true
		}
		for _, l := range w.net.links {
			if set[l.a] || set[l.b] {
				l.cut = cut
			}
		}
		if !cut {
			for _, n := range w.nodes {
				if set[n.id] {
					w.announce(n)
				}
			}
		}
	case lab.FaultHashRate:
		for _, x := range nodes {
			w.nodes[x].hashRate = *f.HashRate
			w.scheduleMining(w.nodes[x])
		}
	case lab.FaultLink:
		set := map[int]bool{}
		for _, x := range nodes {
			set[x] = true
		}
		for _, l := range w.net.links {
			if len(set) == 0 || set[l.a] || set[l.b] {
				l.p = f.Link.LinkParams
			}
		}
	}
	// An undo closes the open faults it ends (as the lab records them).
	switch f.Action {
	case lab.FaultHeal:
		w.closeOpen(func(o lab.FaultEvent) bool { return o.Action == lab.FaultPartition || o.Action == lab.FaultDisconnect })
	case lab.FaultReconnect:
		w.closeOpen(func(o lab.FaultEvent) bool { return o.Action == lab.FaultDisconnect })
	case lab.FaultResume:
		w.closeOpen(func(o lab.FaultEvent) bool { return o.Action == lab.FaultPause && overlaps(o.Nodes, nodes) })
	case lab.FaultRestart:
		w.closeOpen(func(o lab.FaultEvent) bool {
			return (o.Action == lab.FaultKill || o.Action == lab.FaultStop) && overlaps(o.Nodes, nodes)
		})
	}
	if undoOf < 0 {
		w.tr.Faults = append(w.tr.Faults, ev)
		if f.For.Duration > 0 {
			if inv, ok := inverse(f); ok {
				w.s.after(int64(f.For.Duration), func() { w.applyFault(i, inv, i) })
			}
		}
	}
}

// closeOpen sets End on recorded faults that match and are still open.
func (w *world) closeOpen(match func(lab.FaultEvent) bool) {
	for k := range w.tr.Faults {
		if f := w.tr.Faults[k]; f.End < 0 && match(f) {
			w.tr.Faults[k].End = w.secs()
		}
	}
}

func overlaps(a, b []int) bool {
	for _, x := range a {
		for _, y := range b {
			if x == y {
				return true
			}
		}
	}
	return false
}

func inverse(f lab.FaultSpec) (lab.FaultSpec, bool) {
	g := lab.FaultSpec{Nodes: f.Nodes, A: f.A, B: f.B, At: lab.D(time.Duration(0))}
	switch f.Action {
	case lab.FaultKill, lab.FaultStop:
		g.Action = lab.FaultRestart
	case lab.FaultPause:
		g.Action = lab.FaultResume
	case lab.FaultPartition:
		g.Action = lab.FaultHeal
	case lab.FaultDisconnect:
		g.Action = lab.FaultReconnect
	default:
		return g, false
	}
	return g, true
}
