package lab

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sync"
	"time"
)

//go:embed manifests/*.toml
var builtinFS embed.FS

// BuiltinManifests returns the manifests `chainlab compare` runs without arguments: PoW
// and PoS with the same node count (4), links, load and target block time (1 s), and at
// least 100 blocks each.
func BuiltinManifests() ([]*Manifest, error) {
	var out []*Manifest
	for _, f := range []string{"manifests/compare-pow.toml", "manifests/compare-pos.toml"} {
		b, err := builtinFS.ReadFile(f)
		if err != nil {
			return nil, err
		}
		m, err := ParseManifest(b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		out = append(out, m)
	}
	return out, nil
}

// CompareConfig configures Compare.
type CompareConfig struct {
	Manifests  []*Manifest // required, at least one
	Dir        string      // required: each run goes to Dir/<name>, the combined report to Dir
	Binary     string
	Logger     *slog.Logger
	Progress   io.Writer
	Sequential bool // run one network after the other (default: concurrently)
}

// CompareResult holds every run.
type CompareResult struct {
	Dir  string
	Runs []*RunResult
}

// Compare runs the manifests (concurrently unless Sequential), then writes the combined
// report (Dir/report.html with overlaid plots, Dir/compare.json) and prints the
// side-by-side table to Progress.
func Compare(ctx context.Context, cfg CompareConfig) (*CompareResult, error) {
	if len(cfg.Manifests) == 0 || cfg.Dir == "" {
		return nil, errors.New("lab: CompareConfig needs manifests and a directory")
	}
	if cfg.Progress == nil {
		cfg.Progress = io.Discard
	}
	if err := os.MkdirAll(cfg.Dir, 0o755); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	for _, m := range cfg.Manifests {
		if seen[m.Name] {
			return nil, fmt.Errorf("lab: two manifests are named %q; names pick the run directories", m.Name)
		}
		seen[m.Name] = true
	}
	res := &CompareResult{Dir: cfg.Dir, Runs: make([]*RunResult, len(cfg.Manifests))}
	errs := make([]error, len(cfg.Manifests))
	pw := &lockedWriter{w: cfg.Progress}
	run := func(i int) {
		m := cfg.Manifests[i]
		res.Runs[i], errs[i] = Run(ctx, RunConfig{Manifest: m, Dir: filepath.Join(cfg.Dir, m.Name), Binary: cfg.Binary,
			Logger: cfg.Logger, Progress: pw})
	}
	start := time.Now()
	if cfg.Sequential {
		for i := range cfg.Manifests {
			run(i)
		}
	} else {
		var wg sync.WaitGroup
		for i := range cfg.Manifests {
			wg.Add(1)
			go func(i int) { defer wg.Done(); run(i) }(i)
		}
		wg.Wait()
	}
	if err := errors.Join(errs...); err != nil {
		return res, err
	}
	var ss []Series
	var ms []*Metrics
	for _, r := range res.Runs {
		ss = append(ss, Series{Label: r.Metrics.Name, Trace: r.Trace, Metrics: r.Metrics, Link: r.Metrics.Name + "/report.html"})
		ms = append(ms, r.Metrics)
	}
	if err := WriteReport(cfg.Dir, "report.html", ss); err != nil {
		return res, err
	}
	if err := writeJSON(filepath.Join(cfg.Dir, "compare.json"), ms); err != nil {
		return res, err
	}
	fmt.Fprintf(cfg.Progress, "\n%d runs in %.0f s", len(ms), time.Since(start).Seconds())
	if !cfg.Sequential && len(ms) > 1 {
		fmt.Fprint(cfg.Progress, " (concurrently: the networks shared the machine)")
	}
	fmt.Fprintln(cfg.Progress)
	fmt.Fprintln(cfg.Progress)
	if err := WriteTable(cfg.Progress, ms); err != nil {
		return res, err
	}
	if fs := Findings(ms); len(fs) > 0 {
		fmt.Fprintln(cfg.Progress, "\ndifferences beyond noise (95 % intervals do not overlap):")
		for _, f := range fs {
			fmt.Fprintln(cfg.Progress, "  - "+f)
		}
	}
	for _, r := range res.Runs {
		bad := 0
		for _, c := range r.GroundTruth {
			if !c.OK {
				bad++
			}
		}
		fmt.Fprintf(cfg.Progress, "ground truth %s: %d of %d live-vs-recount checks agree (groundtruth.json)\n", r.Metrics.Name, len(r.GroundTruth)-bad, len(r.GroundTruth))
	}
	fmt.Fprintf(cfg.Progress, "report: %s\n", filepath.Join(cfg.Dir, "report.html"))
	return res, nil
}

type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
