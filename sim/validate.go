package sim

import (
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"chainlab/lab"
)

// ValidateOptions configures Validate.
type ValidateOptions struct {
	Quick    bool      // reduced grid and sample sizes (CI: well under a minute)
	Vectors  string    // directory of the Gervais stale-rate CSVs (default sim/testdata/stale-rate)
	Progress io.Writer // optional progress lines
}

// Report is the comparison of the simulator with published results.
type Report struct {
	Quick    bool
	Selfish  []SelfishRow
	CatchUp  []CatchUpRow
	Stale    []StaleRow
	Finality FinalityRow
}

// SelfishRow is the selfish miner's relative revenue (its share of main-chain blocks) at
// hash share Alpha and tie share Gamma, simulated and by Eyal & Sirer's closed form.
type SelfishRow struct {
	Alpha, Gamma float64
	Theory       float64
	Sim          lab.Estimate // mean over runs, t interval
	Runs, Blocks int
}

// CatchUpRow is the probability that an attacker with hash share Q ever catches up from
// z confirmations behind, simulated (Wilson interval) and by Nakamoto §11 and the exact
// negative-binomial form (Grunspan & Pérez-Marco 2017; Rosenfeld 2014's model).
type CatchUpRow struct {
	Q        float64
	Z        int
	Nakamoto float64
	Exact    float64
	Sim      lab.Estimate
}

// StaleRow compares the stale rate at one propagation-delay/interval ratio with the
// Gervais et al. simulator's published result and the one-delay model 1 − e^(−d/T).
type StaleRow struct {
	Mode      string
	IntervalS float64
	DelayS    float64 // Gervais median propagation delay
	Ratio     float64 // DelayS / IntervalS
	Gervais   float64 // published stale rate (fraction)
	Analytic  float64
	Sim       lab.Estimate
}

// FinalityRow is the PoS time from an epoch's start to its checkpoint's finalization,
// in epochs, with full participation (Gasper: 2).
type FinalityRow struct {
	Epochs lab.Estimate
	Gasper float64
	Runs   int
}

func (o *ValidateOptions) logf(format string, a ...any) {
	if o.Progress != nil {
		fmt.Fprintf(o.Progress, format+"\n", a...)
	}
}

// Validate runs the comparisons.
func Validate(opts ValidateOptions) (*Report, error) {
	r := &Report{Quick: opts.Quick}
	var err error
	if r.Selfish, err = validateSelfish(&opts); err != nil {
		return nil, fmt.Errorf("selfish mining: %w", err)
	}
	if r.CatchUp, err = validateCatchUp(&opts); err != nil {
		return nil, fmt.Errorf("catch-up: %w", err)
	}
	if r.Stale, err = validateStale(&opts); err != nil {
		return nil, fmt.Errorf("stale rate: %w", err)
	}
	if r.Finality, err = validateFinality(&opts); err != nil {
		return nil, fmt.Errorf("finality: %w", err)
	}
	return r, nil
}

// SelfishRevenue is Eyal & Sirer's relative revenue of a selfish pool (eq. 8).
func SelfishRevenue(a, g float64) float64 {
	return (a*(1-a)*(1-a)*(4*a+g*(1-2*a)) - a*a*a) / (1 - a*(1+(2-a)*a))
}

// NakamotoCatchUp is the whitepaper's §11 probability (Poisson approximation).
func NakamotoCatchUp(q float64, z int) float64 {
	p := 1 - q
	lambda := float64(z) * q / p
	sum := 1.0
	for k := 0; k <= z; k++ {
		poisson := math.Exp(-lambda)
		for i := 1; i <= k; i++ {
			poisson *= lambda / float64(i)
		}
		sum -= poisson * (1 - math.Pow(q/p, float64(z-k)))
	}
	return sum
}

// ExactCatchUp is the exact probability with the attacker's progress while the honest
// chain mines z blocks negative-binomial (Grunspan & Pérez-Marco 2017, eq. 1):
// P(z) = 1 − Σ_{k<z} (p^z q^k − q^z p^k) C(k+z−1, k).
func ExactCatchUp(q float64, z int) float64 {
	if z == 0 {
		return 1
	}
	p := 1 - q
	sum := 0.0
	for k := 0; k < z; k++ {
		sum += (math.Pow(p, float64(z))*math.Pow(q, float64(k)) - math.Pow(q, float64(z))*math.Pow(p, float64(k))) * binom(k+z-1, k)
	}
	return 1 - sum
}

func binom(n, k int) float64 {
	r := 1.0
	for i := 1; i <= k; i++ {
		r *= float64(n-k+i) / float64(i)
	}
	return r
}

func manifestOf(s string) (*lab.Manifest, error) { return lab.ParseManifest([]byte(s)) }

// selfishManifest: one attacker with share alpha, ten honest nodes, fixed difficulty,
// honest links 50 ms against a 60 s interval (natural stale rate < 0.1 %), the attacker's
// links instantaneous (it hears every honest block at once, as the model assumes).
func selfishManifest(alpha, gamma float64, blocks int) (*lab.Manifest, error) {
	var b strings.Builder
	fmt.Fprintf(&b, "name = \"selfish-a%.2f-g%.1f\"\nconsensus = \"pow\"\nseed = 1\nblocks = %d\n", alpha, gamma, blocks)
	b.WriteString("[pow]\ntarget_spacing = \"60s\"\nalgorithm = \"fixed\"\n[network]\ndelay = \"50ms\"\n")
	fmt.Fprintf(&b, "[[node]]\nname = \"att\"\nhashrate = %g\n", alpha*1000)
	for i := 0; i < 10; i++ {
		fmt.Fprintf(&b, "[[node]]\nname = \"h%d\"\nhashrate = %g\n", i, (1-alpha)*100)
		fmt.Fprintf(&b, "[[link]]\na = \"att\"\nb = \"h%d\"\ndelay = \"0s\"\n", i)
	}
	fmt.Fprintf(&b, "[[adversary]]\nnodes = [\"att\"]\nstrategy = \"selfish\"\ngamma = %g\n", gamma)
	return manifestOf(b.String())
}

func validateSelfish(o *ValidateOptions) ([]SelfishRow, error) {
	alphas := []float64{0.1, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45}
	runs, blocks := 8, 1000
	if o.Quick {
		alphas, runs, blocks = []float64{0.2, 0.35}, 4, 200
	}
	var rows []SelfishRow
	for _, g := range []float64{0, 0.5} {
		for _, a := range alphas {
			m, err := selfishManifest(a, g, blocks)
			if err != nil {
				return nil, err
			}
			var shares []float64
			for s := 1; s <= runs; s++ {
				res, err := Run(m, uint64(s), Options{Lean: true})
				if err != nil {
					return nil, err
				}
				main := res.Metrics.MainBlocks
				att := res.Metrics.Fairness.Nodes[0].Produced
				if main > 0 {
					shares = append(shares, float64(att)/float64(main))
				}
			}
			row := SelfishRow{Alpha: a, Gamma: g, Theory: SelfishRevenue(a, g), Sim: lab.MeanCI(shares), Runs: runs, Blocks: blocks}
			o.logf("selfish α=%.2f γ=%.1f: sim %.4f [%.4f, %.4f], Eyal-Sirer %.4f", a, g, row.Sim.Value, row.Sim.Lo, row.Sim.Hi, row.Theory)
			rows = append(rows, row)
		}
	}
	return rows, nil
}

// validateCatchUp races a private attacker branch against the honest chain on two real
// chains that never hear of each other. One race gives the outcome for every z: the
// attacker catches up from z confirmations if, at some point after the honest branch is
// z blocks long, the attacker's branch is at least as long.
func validateCatchUp(o *ValidateOptions) ([]CatchUpRow, error) {
	trials := 2000
	if o.Quick {
		trials = 150
	}
	var rows []CatchUpRow
	for _, q := range []float64{0.1, 0.3} {
		zmax := 10
		if q == 0.1 {
			zmax = 6
		}
		succ := make([]int, zmax+1)
		m, err := manifestOf(fmt.Sprintf("name = \"catchup\"\nconsensus = \"pow\"\nseed = 1\nduration = \"1000000s\"\n[pow]\ntarget_spacing = \"60s\"\nalgorithm = \"fixed\"\n[[node]]\nname = \"att\"\nhashrate = %g\n[[node]]\nname = \"hon\"\nhashrate = %g\n", q*100, (1-q)*100))
		if err != nil {
			return nil, err
		}
		for t := 0; t < trials; t++ {
			w, err := newWorld(m, uint64(t+1), Options{Lean: true, GCEvery: -1})
			if err != nil {
				return nil, err
			}
			w.net.group[0] = 1 // the attacker mines alone from genesis (the fork point)
			att, hon := w.nodes[0], w.nodes[1]
			caught := make([]bool, zmax+1)
			caught[0] = true // z = 0: both branches are empty, the attacker is level
			for _, n := range w.nodes {
				w.startNode(n)
			}
			w.s.run(math.MaxInt64, func() bool {
				_, a := att.c.Tip()
				_, h := hon.c.Tip()
				if a >= h {
					for z := 0; z <= zmax && uint64(z) <= h; z++ {
						caught[z] = true
					}
				}
				return (h >= uint64(zmax) && (a >= h || h-a >= 25)) || h > 5000
			})
			w.close()
			for z, c := range caught {
				if c {
					succ[z]++
				}
			}
		}
		for z := 0; z <= zmax; z++ {
			row := CatchUpRow{Q: q, Z: z, Nakamoto: NakamotoCatchUp(q, z), Exact: ExactCatchUp(q, z), Sim: lab.WilsonCI(succ[z], trials)}
			o.logf("catch-up q=%.1f z=%d: sim %.4f [%.4f, %.4f], Nakamoto %.4f, exact %.4f", q, z, row.Sim.Value, row.Sim.Lo, row.Sim.Hi, row.Nakamoto, row.Exact)
			rows = append(rows, row)
		}
	}
	return rows, nil
}

type gervaisRow struct {
	mode                       string
	interval, median, t10, t90 float64
	stale                      float64
}

func readGervais(dir string) ([]gervaisRow, error) {
	f, err := os.Open(filepath.Join(dir, "gervais_bitcoinsim_block_interval.csv"))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	r.Comment = '#'
	recs, err := r.ReadAll()
	if err != nil {
		return nil, err
	}
	var out []gervaisRow
	for _, rec := range recs[1:] {
		num := func(i int) float64 { v, _ := strconv.ParseFloat(rec[i], 64); return v }
		out = append(out, gervaisRow{mode: rec[0], interval: num(2), median: num(4), t10: num(5), t90: num(8), stale: num(9) / 100})
	}
	return out, nil
}

// validateStale runs 20 fully meshed nodes with link delay = the Gervais median
// propagation delay scaled to a 30 s interval (only the ratio matters for staleness), and
// compares the stale rates.
func validateStale(o *ValidateOptions) ([]StaleRow, error) {
	dir := o.Vectors
	if dir == "" {
		dir = filepath.Join("sim", "testdata", "stale-rate")
	}
	rows, err := readGervais(dir)
	if err != nil {
		return nil, err
	}
	blocks := 1500
	var out []StaleRow
	for ri, g := range rows {
		if g.mode != "Standard" && g.mode != "Relay Network" {
			continue
		}
		if o.Quick && !(g.mode == "Standard" && (g.interval == 10 || g.interval == 2)) {
			continue
		}
		if o.Quick {
			blocks = 300
		}
		const T = 30.0 // keeps the largest scaled delay (0.82 s per 0.5 s) under the lab's 1 min link limit
		scale := T / g.interval
		delay := g.median * scale
		// No jitter: per-message jitter on a full mesh shortens the effective delay (the
		// first of many independently delayed copies arrives early), and the Gervais
		// figures are end-to-end delays already.
		jitter := 0.0
		m, err := manifestOf(fmt.Sprintf("name = \"stale\"\nconsensus = \"pow\"\nseed = 1\nblocks = %d\n[pow]\ntarget_spacing = \"30s\"\nalgorithm = \"fixed\"\n[nodes]\ncount = 20\n[network]\ndelay = \"%dms\"\njitter = \"%dms\"\n",
			blocks, int64(delay*1000), int64(jitter*1000)))
		if err != nil {
			return nil, err
		}
		res, err := Run(m, uint64(ri+1), Options{Lean: true}) // one seed per row: independent samples
		if err != nil {
			return nil, err
		}
		row := StaleRow{Mode: g.mode, IntervalS: g.interval, DelayS: g.median, Ratio: g.median / g.interval, Gervais: g.stale,
			Analytic: 1 - math.Exp(-g.median/g.interval), Sim: res.Metrics.StaleRate}
		o.logf("stale %s %gs: d/T %.3f sim %.4f [%.4f, %.4f], Gervais %.4f, 1-e^-d/T %.4f", g.mode, g.interval, row.Ratio, row.Sim.Value, row.Sim.Lo, row.Sim.Hi, row.Gervais, row.Analytic)
		out = append(out, row)
	}
	return out, nil
}

// validateFinality runs 8 validators with full participation and measures, for every
// finalized epoch e, the time from e's first slot until the first node finalized it.
func validateFinality(o *ValidateOptions) (FinalityRow, error) {
	runs, epochs := 5, 10
	if o.Quick {
		runs, epochs = 2, 6
	}
	var xs []float64
	for s := 1; s <= runs; s++ {
		m, err := manifestOf(fmt.Sprintf("name = \"finality\"\nconsensus = \"pos\"\nseed = %d\nduration = \"%ds\"\n[pos]\nslot = \"1s\"\nepoch_slots = 8\n[nodes]\ncount = 8\n[network]\ndelay = \"50ms\"\njitter = \"20ms\"\n", s, epochs*8))
		if err != nil {
			return FinalityRow{}, err
		}
		res, err := Run(m, uint64(s), Options{})
		if err != nil {
			return FinalityRow{}, err
		}
		first := map[uint64]float64{}
		for _, f := range res.Trace.Finality {
			if _, ok := first[f.Epoch]; !ok && f.Epoch > 0 {
				first[f.Epoch] = f.At
			}
		}
		for e := uint64(1); e < uint64(epochs); e++ {
			if at, ok := first[e]; ok {
				xs = append(xs, (at-float64(e*8))/8)
			}
		}
	}
	row := FinalityRow{Epochs: lab.MeanCI(xs), Gasper: 2, Runs: runs}
	o.logf("finality: %.3f epochs [%.3f, %.3f] over %d checkpoints (Gasper: 2)", row.Epochs.Value, row.Epochs.Lo, row.Epochs.Hi, len(xs))
	return row, nil
}
