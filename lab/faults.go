package lab

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"syscall"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"

	"chainlab/chain"
	"chainlab/genesis"
)

func jsonIndent(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	return append(b, '\n'), err
}

func (e *Experiment) names(idx []int) string {
	var s []string
	for _, i := range idx {
		s = append(s, e.net.State.Nodes[i].Name)
	}
	return strings.Join(s, ",")
}

// applyFault carries out one fault (or its undo) and records it.
func (e *Experiment) applyFault(ctx context.Context, f FaultSpec) {
	plan := e.net.Plan()
	nodes, _ := plan.ResolveNodes(f.Nodes)
	a, _ := plan.ResolveNodes(f.A)
	b, _ := plan.ResolveNodes(f.B)
	at := e.since()
	ev := FaultEvent{At: at, End: -1, Action: f.Action, Nodes: nodes}
	var err error
	cctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	switch f.Action {
	case FaultKill, FaultStop:
		ev.Label = f.Action + " " + e.names(nodes)
		for _, i := range nodes {
			e.setStopped(i, true)
			if f.Action == FaultKill {
				err = errors.Join(err, e.net.Signal(i, syscall.SIGKILL))
				e.net.Wait(i, 5*time.Second)
			} else {
				err = errors.Join(err, e.net.StopNode(i, 15*time.Second))
			}
		}
	case FaultRestart:
		e.restart(ctx, nodes, "restart "+e.names(nodes), true)
		return
	case FaultPause:
		ev.Label = "pause " + e.names(nodes)
		for _, i := range nodes {
			e.setStopped(i, true)
			err = errors.Join(err, e.net.Signal(i, syscall.SIGSTOP))
		}
	case FaultResume:
		ev.Label = "resume " + e.names(nodes)
		for _, i := range nodes {
			e.setStopped(i, false)
			err = errors.Join(err, e.net.Signal(i, syscall.SIGCONT))
		}
		e.closeOpen(at, func(o FaultEvent) bool { return o.Action == FaultPause && overlaps(o.Nodes, nodes) })
	case FaultPartition:
		if len(b) == 0 {
			b = complement(len(plan.Nodes), a)
		}
		ev.Nodes = a
		ev.Label = fmt.Sprintf("partition %s | %s", e.names(a), e.names(b))
		e.mu.Lock()
		for _, x := range a {
			for _, y := range b {
				e.cut[x][y], e.cut[y][x] = true, true
			}
		}
		e.mu.Unlock()
		err = e.pushCuts(cctx)
	case FaultDisconnect:
		if len(nodes) > 0 {
			a, b = nodes, complement(len(plan.Nodes), nodes)
			ev.Label = "disconnect " + e.names(nodes)
		} else {
			ev.Label = fmt.Sprintf("disconnect %s – %s", e.names(a), e.names(b))
		}
		e.mu.Lock()
		for _, x := range a {
			for _, y := range b {
				if x != y {
					e.cut[x][y], e.cut[y][x] = true, true
				}
			}
		}
		e.mu.Unlock()
		err = e.pushCuts(cctx)
	case FaultHeal, FaultReconnect:
		ev.Label = f.Action
		// Back to the topology's own cuts (for the nodes named, or everywhere).
		base := e.net.BaseCuts()
		e.mu.Lock()
		for i := range e.cut {
			if f.Action == FaultHeal || len(nodes) == 0 || contains(nodes, i) {
				e.cut[i] = base[i]
				continue
			}
			for j := range e.cut[i] {
				if contains(nodes, j) && !base[i][j] {
					delete(e.cut[i], j)
				}
			}
		}
		e.mu.Unlock()
		err = e.pushCuts(cctx)
		e.closeOpen(at, func(o FaultEvent) bool { return o.Action == FaultPartition || o.Action == FaultDisconnect })
	case FaultHashRate:
		ev.Label = fmt.Sprintf("hashrate %s → %.0f H/s", e.names(nodes), *f.HashRate)
		for _, i := range nodes {
			c, cerr := e.net.Client(i)
			if cerr == nil {
				cerr = c.SetHashRate(cctx, *f.HashRate)
			}
			err = errors.Join(err, cerr)
		}
	case FaultStake:
		ev.Label = fmt.Sprintf("bond %.0f more coins to %s", *f.Stake, e.names(nodes))
		err = e.bondStake(cctx, f.index-1)
	case FaultLink:
		if len(nodes) > 0 {
			a, b = nodes, complement(len(plan.Nodes), nodes)
		}
		ev.Label = fmt.Sprintf("link %s – %s: delay %v jitter %v loss %.3f bw %.0f kbit/s", e.names(a), e.names(b),
			f.Link.Delay, f.Link.Jitter, f.Link.Loss, f.Link.Bandwidth)
		for _, x := range a {
			for _, y := range b {
				if x == y {
					continue
				}
				for _, p := range [][2]int{{x, y}, {y, x}} {
					c, cerr := e.net.Client(p[0])
					if cerr == nil {
						cerr = c.SetLink(cctx, e.net.State.Nodes[p[1]].NodeID, f.Link.LinkParams, false)
					}
					err = errors.Join(err, cerr)
				}
			}
		}
	}
	if err != nil {
		ev.Err = err.Error()
		e.cfg.Logger.Warn("fault failed", "fault", ev.Label, "err", err)
	}
	fmt.Fprintf(e.cfg.Progress, "%s t=%5.1fs  fault: %s%s\n", e.m.Name, at, ev.Label, errSuffix(ev.Err))
	e.rec.addFault(ev)
}

// bondStake sends, for each node of stake fault fi, a transaction that spends the fault's
// genesis funding into a stake output bonding a new validator key the node already holds
// (a key bonds once, so more stake means another validator of the same node; it becomes
// active after the activation delay).
func (e *Experiment) bondStake(ctx context.Context, fi int) error {
	blk, err := chain.GenesisBlock(e.g)
	if err != nil {
		return err
	}
	cb := blk.Txs[0]
	var errs error
	for _, sf := range stakeFunds(e.m, e.net.Plan()) {
		if sf.Fault != fi {
			continue
		}
		spent := cb.Outputs[sf.Output]
		tx := &chain.Tx{Version: 1,
			Inputs: []chain.TxIn{{Prev: chain.OutPoint{TxID: cb.TxID(), Index: sf.Output}}},
			Outputs: []chain.TxOut{{Value: sf.Amount, Lock: chain.Lock{Kind: chain.LockStake,
				Key: genesis.XOnly(sf.Validator), Owner: genesis.XOnly(RunKey(e.m.Seed, "owner", sf.Node))}}},
		}
		if err := chain.SignTx(tx, []chain.TxOut{spent}, []*btcec.PrivateKey{sf.Funder}); err != nil {
			errs = errors.Join(errs, err)
			continue
		}
		c, err := e.net.Client(sf.Node)
		if err == nil {
			_, err = c.SendTx(ctx, tx)
		}
		if err != nil {
			errs = errors.Join(errs, fmt.Errorf("%s: %w", e.net.State.Nodes[sf.Node].Name, err))
		}
	}
	return errs
}

func errSuffix(s string) string {
	if s == "" {
		return ""
	}
	return " (failed: " + s + ")"
}

func (e *Experiment) setStopped(i int, v bool) {
	e.mu.Lock()
	e.stopped[i] = v
	e.mu.Unlock()
}

// restart starts nodes again on their datadirs, re-applies their links and cuts.
func (e *Experiment) restart(ctx context.Context, nodes []int, label string, closeKills bool) {
	at := e.since()
	var err error
	for _, i := range nodes {
		if e.net.Alive(i) {
			continue
		}
		e.net.dropClient(i)
		if serr := e.net.Start(i); serr != nil {
			err = errors.Join(err, serr)
			continue
		}
		if werr := e.net.WaitReady(ctx, i, 30*time.Second); werr != nil {
			err = errors.Join(err, werr)
			continue
		}
		e.setStopped(i, false)
		cctx, cancel := context.WithTimeout(ctx, 20*time.Second)
		err = errors.Join(err, e.net.ApplyLinks(cctx, i), e.pushCuts(cctx))
		cancel()
	}
	if closeKills {
		e.closeOpen(at, func(o FaultEvent) bool {
			return (o.Action == FaultKill || o.Action == FaultStop) && overlaps(o.Nodes, nodes)
		})
	}
	ev := FaultEvent{At: at, End: -1, Action: FaultRestart, Nodes: nodes, Label: label}
	if err != nil {
		ev.Err = err.Error()
	}
	fmt.Fprintf(e.cfg.Progress, "%s t=%5.1fs  fault: %s%s\n", e.m.Name, at, label, errSuffix(ev.Err))
	e.rec.addFault(ev)
}

// pushCuts sends every running node its current cut list (topology plus faults).
func (e *Experiment) pushCuts(ctx context.Context) error {
	e.mu.Lock()
	cuts := make([]map[int]bool, len(e.cut))
	for i, m := range e.cut {
		cuts[i] = make(map[int]bool, len(m))
		for j := range m {
			cuts[i][j] = true
		}
	}
	e.mu.Unlock()
	return e.net.PushCuts(ctx, cuts)
}

// closeOpen sets End on recorded faults that match and are still open.
func (e *Experiment) closeOpen(at float64, match func(FaultEvent) bool) {
	e.rec.mu.Lock()
	defer e.rec.mu.Unlock()
	for k := range e.rec.faults {
		if f := e.rec.faults[k]; f.End < 0 && f.Err == "" && match(f) {
			e.rec.faults[k].End = at
		}
	}
}

func complement(n int, xs []int) []int {
	var out []int
	for i := 0; i < n; i++ {
		if !contains(xs, i) {
			out = append(out, i)
		}
	}
	return out
}

func contains(xs []int, x int) bool {
	for _, v := range xs {
		if v == x {
			return true
		}
	}
	return false
}

func overlaps(a, b []int) bool {
	for _, x := range a {
		if contains(b, x) {
			return true
		}
	}
	return false
}

// driveLoad submits load transactions on the manifest's schedule, round robin over the
// running load nodes.
func (e *Experiment) driveLoad(ctx context.Context) {
	end := e.m.Duration.Duration
	if end == 0 {
		end = e.m.MaxDuration.Duration
	}
	times := LoadSchedule(e.m.Load, end, e.m.Seed)
	targets, _ := e.net.Plan().ResolveNodes(e.m.Load.Nodes)
	if len(targets) == 0 {
		for i := range e.net.State.Nodes {
			targets = append(targets, i)
		}
	}
	rr := 0
	for _, at := range times {
		if d := at - time.Since(e.start); d > 0 {
			select {
			case <-ctx.Done():
				return
			case <-time.After(d):
			}
		}
		if ctx.Err() != nil {
			return
		}
		tx, err := e.load.Next()
		if err != nil || tx == nil {
			return // allocations used up
		}
		// Pick the next running, unpaused node.
		node := -1
		for k := 0; k < len(targets); k++ {
			i := targets[(rr+k)%len(targets)]
			e.mu.Lock()
			down := e.stopped[i]
			e.mu.Unlock()
			if !down && e.net.Alive(i) {
				node = i
				rr = (rr + k + 1) % len(targets)
				break
			}
		}
		ev := TxEvent{ID: tx.TxID().String(), At: e.since(), Node: node}
		if node < 0 {
			ev.Err = "no running node to submit to"
		} else if c, err := e.net.Client(node); err != nil {
			ev.Err = err.Error()
		} else {
			cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			if _, err := c.SendTx(cctx, tx); err != nil {
				ev.Err = err.Error()
			}
			cancel()
		}
		e.rec.addTx(ev)
	}
}

// sampleResources polls every running node's CPU, memory and bytes once a second.
func (e *Experiment) sampleResources(ctx context.Context) {
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		for i, ns := range e.net.State.Nodes {
			if !e.net.Alive(i) {
				continue
			}
			e.mu.Lock()
			paused := e.stopped[i]
			e.mu.Unlock()
			if paused { // a stopped process uses no CPU and cannot answer getpeerinfo
				continue
			}
			ps, err := ReadProcStat(ns.PID)
			if err != nil {
				continue
			}
			s := ResourceSample{Node: i, At: e.since(), CPU: ps.CPUSeconds, RSS: ps.RSS}
			if c, err := e.net.Client(i); err == nil {
				cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
				peers, err := c.Peers(cctx)
				cancel()
				if err != nil {
					continue
				}
				for _, p := range peers {
					s.BytesSent += p.BytesSent
					s.BytesRecv += p.BytesRecv
				}
				if ns.HashRate > 0 {
					cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
					s.HashRate, _ = c.HashRate(cctx)
					cancel()
				}
			}
			e.rec.addResource(s)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
