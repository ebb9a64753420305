package lab

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"chainlab/genesis"
)

// RunConfig configures one experiment on real processes.
type RunConfig struct {
	Manifest *Manifest // required
	Dir      string    // required: the run directory (created; the net lives in Dir/net)
	Binary   string    // chainlab executable (default os.Executable())
	Logger   *slog.Logger
	Progress io.Writer // live progress lines; nil = quiet
	// StartupTimeout bounds net up (default 60 s).
	StartupTimeout time.Duration
	// KeepData keeps the nodes' datadirs after the run (default: removed, the run
	// directory keeps logs, metrics and the report).
	KeepData bool
}

// RunResult is what an experiment produced.
type RunResult struct {
	Dir     string
	Trace   *Trace
	Metrics *Metrics
	// Live is computed from the websocket events alone; GroundTruth compares it with the
	// recount from the nodes' stores (Metrics).
	Live        *Metrics
	GroundTruth []Check
}

// Check is one live-vs-recount comparison.
type Check struct {
	Name      string  `json:"name"`
	Live      float64 `json:"live"`
	Recounted float64 `json:"recounted"`
	OK        bool    `json:"ok"`
	Note      string  `json:"note,omitempty"`
}

// Experiment is a running experiment.
type Experiment struct {
	cfg   RunConfig
	m     *Manifest
	net   *Net
	start time.Time
	rec   *recorder
	load  *LoadGen
	g     *genesis.Params

	mu      sync.Mutex
	cut     []map[int]bool // cut[i][j]: node i drops node j (partition/disconnect)
	open    []int          // indices into rec.faults of faults not yet ended
	stopped []bool         // node deliberately down (kill/stop) or paused
}

// Run runs an experiment to completion and writes its run directory.
func Run(ctx context.Context, cfg RunConfig) (*RunResult, error) {
	if cfg.Manifest == nil || cfg.Dir == "" {
		return nil, errors.New("lab: RunConfig.Manifest and Dir are required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.StartupTimeout == 0 {
		cfg.StartupTimeout = 60 * time.Second
	}
	if cfg.Progress == nil {
		cfg.Progress = io.Discard
	}
	m := cfg.Manifest
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, err
	}
	if b, err := m.Encode(); err == nil {
		_ = os.WriteFile(filepath.Join(cfg.Dir, "manifest.toml"), b, 0o644)
	}
	net, err := NewNet(NetConfig{Dir: filepath.Join(cfg.Dir, "net"), Manifest: m, Binary: cfg.Binary, Logger: cfg.Logger})
	if err != nil {
		return nil, err
	}
	e := &Experiment{cfg: cfg, m: m, net: net}
	n := len(net.Plan().Nodes)
	e.stopped = make([]bool, n)
	fmt.Fprintf(cfg.Progress, "%s: starting %d %s nodes in %s\n", m.Name, n, strings.ToUpper(m.Consensus), net.cfg.Dir)
	if err := net.Up(ctx, time.Now(), cfg.StartupTimeout); err != nil {
		return nil, err
	}
	e.cut = net.BaseCuts()
	defer func() {
		net.Down(15 * time.Second)
		if !cfg.KeepData {
			for _, ns := range net.State.Nodes {
				os.RemoveAll(ns.DataDir)
			}
		}
	}()
	g, err := genesis.Load(net.State.Genesis)
	if err != nil {
		return nil, err
	}
	e.g = g
	if e.load, err = NewLoadGen(m, g); err != nil {
		return nil, err
	}
	return e.run(ctx)
}

// alignedStart is the run's time zero. PoW: now. PoS: the next epoch boundary of the slot
// clock (genesis time + k·epoch), waited for, so that a fault at t = k·slot hits the start
// of a slot and faults can be placed relative to epochs (a cut half a slot before an epoch
// boundary leaves no epoch straddling it).
func (e *Experiment) alignedStart(ctx context.Context) time.Time {
	now := time.Now()
	if e.m.Consensus != "pos" || e.g == nil || e.g.PoS == nil {
		return now
	}
	epoch := time.Duration(e.g.PoS.EpochSlots) * e.g.PoS.SlotDuration()
	gen := e.g.GenesisTime()
	k := (now.Sub(gen) + epoch - 1) / epoch
	start := gen.Add(k * epoch)
	select {
	case <-ctx.Done():
	case <-time.After(time.Until(start)):
	}
	return start
}

func (e *Experiment) since() float64 { return time.Since(e.start).Seconds() }

func (e *Experiment) run(ctx context.Context) (*RunResult, error) {
	m, net := e.m, e.net
	e.start = e.alignedStart(ctx)
	e.rec = newRecorder(e)
	runCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for i := range net.State.Nodes {
		wg.Add(1)
		go func(i int) { defer wg.Done(); e.rec.follow(runCtx, i) }(i)
	}
	wg.Add(2)
	go func() { defer wg.Done(); e.sampleResources(runCtx) }()
	go func() { defer wg.Done(); e.driveLoad(runCtx) }()
	sched := e.schedule()
	limit := m.Duration.Duration
	if limit == 0 {
		limit = m.MaxDuration.Duration
	}
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	lastProgress := time.Now()
	k := 0
	var runErr error
loop:
	for {
		select {
		case <-ctx.Done():
			runErr = ctx.Err()
			break loop
		case <-tick.C:
		}
		el := time.Since(e.start)
		for k < len(sched) && sched[k].at <= el {
			sched[k].fn(runCtx)
			k++
		}
		best := e.rec.bestHeight()
		if el >= limit || (m.Blocks > 0 && best >= m.Blocks) {
			break
		}
		if time.Since(lastProgress) >= 5*time.Second {
			lastProgress = time.Now()
			fmt.Fprintln(e.cfg.Progress, e.rec.progressLine(el, limit))
		}
	}
	span := e.since()
	fmt.Fprintln(e.cfg.Progress, e.rec.progressLine(time.Since(e.start), limit))
	cancel()
	wg.Wait()
	// Bring every deliberately stopped node back for the recount? No: a killed node's
	// store is intact but it is not running; the recount reads the nodes that run.
	for i := range net.State.Nodes {
		if net.Alive(i) {
			_ = net.Signal(i, syscall.SIGCONT) // a paused node must answer the recount
		}
	}
	fmt.Fprintf(e.cfg.Progress, "%s: recounting the chains from the nodes\n", m.Name)
	// An interrupted run (Ctrl-C) still recounts and reports what it recorded.
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Minute)
	gt, err := e.recount(rctx, e.rec.announced())
	rcancel()
	if err != nil {
		return nil, fmt.Errorf("lab: recount: %w", err)
	}
	live := e.rec.liveTrace(span)
	tr := e.rec.finalTrace(span, gt)
	host := LocalHost("lab")
	res := &RunResult{Dir: e.cfg.Dir, Trace: tr, Metrics: Compute(tr, host), Live: Compute(live, host)}
	res.GroundTruth = groundTruth(res.Live, res.Metrics, duringRun(live), duringRun(tr))
	if err := WriteRunDir(e.cfg.Dir, tr, res.Metrics); err != nil {
		return nil, err
	}
	if err := writeJSON(filepath.Join(e.cfg.Dir, "groundtruth.json"), res.GroundTruth); err != nil {
		return nil, err
	}
	return res, runErr
}

// groundTruth compares the metrics from live websocket events with those recounted from
// the nodes' stores and their own receive timestamps.
//
// liveBlocks and rcBlocks count the blocks first seen during the run (a PoS run starts at
// an epoch boundary, after the first blocks; no subscription saw those).
func groundTruth(live, rc *Metrics, liveBlocks, rcBlocks int) []Check {
	within := func(name string, a, b, tol float64, note string) Check {
		d := a - b
		if d < 0 {
			d = -d
		}
		return Check{Name: name, Live: a, Recounted: b, OK: d <= tol, Note: note}
	}
	return []Check{
		within("main-chain height", float64(live.Height), float64(rc.Height), 1, "the last block may arrive after the final event"),
		within("blocks seen during the run", float64(liveBlocks), float64(rcBlocks), float64(rc.Blocks-rc.MainBlocks)+2,
			"the recount also finds side-chain blocks no event announced"),
		within("block interval mean (s)", live.BlockInterval.Mean.Value, rc.BlockInterval.Mean.Value, 0.1*rc.BlockInterval.Mean.Value+0.05, ""),
		within("propagation to all p50 (s)", live.Propagation.ToAllP50.Value, rc.Propagation.ToAllP50.Value, 0.25,
			"live adds websocket delivery delay; the recount uses each node's own receive time"),
	}
}

// duringRun counts the blocks of t first seen at or after time zero.
func duringRun(t *Trace) int {
	n := 0
	for _, b := range t.Blocks {
		if b.Mined >= 0 {
			n++
		}
	}
	return n
}

// tevent is a timed action of the schedule.
type tevent struct {
	at time.Duration
	fn func(ctx context.Context)
}

// schedule turns the manifest's faults, adversaries and late starts into timed actions.
func (e *Experiment) schedule() []tevent {
	var out []tevent
	for i, ns := range e.net.State.Nodes {
		if ns.StartLate > 0 {
			i := i
			out = append(out, tevent{at: time.Duration(ns.StartLate * float64(time.Second)), fn: func(ctx context.Context) {
				e.restart(ctx, []int{i}, "late start "+e.net.State.Nodes[i].Name, false)
			}})
		}
	}
	for fi := range e.m.Faults {
		f := e.m.Faults[fi]
		f.index = fi + 1
		out = append(out, tevent{at: f.At.Duration, fn: func(ctx context.Context) { e.applyFault(ctx, f) }})
		if f.For.Duration > 0 {
			if inv, ok := inverse(f); ok {
				out = append(out, tevent{at: f.At.Duration + f.For.Duration, fn: func(ctx context.Context) { e.applyFault(ctx, inv) }})
			}
		}
	}
	for _, a := range e.m.Adv {
		a := a
		nodes, _ := e.net.Plan().ResolveNodes(a.Nodes)
		switch a.Strategy {
		case AdvOffline:
			out = append(out, tevent{at: a.Start.Duration, fn: func(ctx context.Context) {
				e.applyFault(ctx, FaultSpec{Action: FaultPause, Nodes: a.Nodes})
			}})
			if a.Stop.Duration > 0 {
				out = append(out, tevent{at: a.Stop.Duration, fn: func(ctx context.Context) {
					e.applyFault(ctx, FaultSpec{Action: FaultResume, Nodes: a.Nodes})
				}})
			}
		default:
			at := a.Start.Duration
			if nodeAdversaries[a.Strategy] {
				at = 0 // the nodes run it from their start (--adversary)
			}
			out = append(out, tevent{at: at, fn: func(ctx context.Context) {
				e.rec.addFault(adversaryEvent(a, nodes, e.since()))
			}})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].at < out[j].at })
	return out
}

// inverse is the action that undoes f after its `for` duration.
func inverse(f FaultSpec) (FaultSpec, bool) {
	g := FaultSpec{Nodes: f.Nodes, A: f.A, B: f.B}
	switch f.Action {
	case FaultKill, FaultStop:
		g.Action = FaultRestart
	case FaultPause:
		g.Action = FaultResume
	case FaultPartition:
		g.Action = FaultHeal
	case FaultDisconnect:
		g.Action = FaultReconnect
	default:
		return g, false
	}
	return g, true
}

func writeJSON(path string, v any) error {
	b, err := jsonIndent(v)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, b)
}
