package lab

import (
	"fmt"
	"strings"
)

// nodeAdversaries are the strategies a real node runs itself (`chainlab node --adversary`,
// see node.Adversary); the others are simulator-only, except offline, which the lab plays
// with pause/resume.
var nodeAdversaries = map[string]bool{
	AdvDoubleVote:   true,
	AdvSurroundVote: true,
	AdvWithhold:     true,
}

// applyAdversaryFlags gives each node named by a node-run adversary its --adversary flag.
// A node runs at most one such strategy. The strategy is active for the node's whole life
// (restarts included): a real node has no start/stop window, so the manifest's start and
// stop are recorded in the fault log as not honoured (see adversaryEvent).
func applyAdversaryFlags(m *Manifest, p *Plan, st *NetState) error {
	given := map[int]string{}
	for i, a := range m.Adv {
		if !nodeAdversaries[a.Strategy] {
			continue
		}
		nodes, err := p.ResolveNodes(a.Nodes)
		if err != nil {
			return keyErr(fmt.Sprintf("adversary[%d].nodes", i), "%v", err)
		}
		for _, ni := range nodes {
			if prev, ok := given[ni]; ok {
				return keyErr(fmt.Sprintf("adversary[%d].nodes", i),
					"node %s already runs adversary %s; a real node runs one strategy", st.Nodes[ni].Name, prev)
			}
			given[ni] = a.Strategy
			st.Nodes[ni].ExtraFlags = append(st.Nodes[ni].ExtraFlags, "--adversary", a.Strategy)
		}
	}
	return nil
}

// adversaryEvent is the fault-log entry of adversary a on nodes at the start of a run.
// Node-run strategies carry no error (only caveats in the label); the others say that
// real nodes run honestly.
func adversaryEvent(a AdvSpec, nodes []int, at float64) FaultEvent {
	ev := FaultEvent{At: at, End: -1, Action: "adversary", Nodes: nodes,
		Label: fmt.Sprintf("adversary %s on %s", a.Strategy, strings.Join(a.Nodes, ","))}
	if !nodeAdversaries[a.Strategy] {
		ev.Err = "strategy " + a.Strategy + " needs the simulator's adversary hooks (chainlab sim); real nodes run honestly"
		return ev
	}
	ev.Label += " (chainlab node --adversary " + a.Strategy + ")"
	if a.Start.Duration > 0 || a.Stop.Duration > 0 {
		ev.Label += "; start/stop not honoured on real nodes: active from the node's start to the end"
	}
	if a.Every > 1 {
		ev.Label += "; every not honoured on real nodes: acts on every duty"
	}
	return ev
}
