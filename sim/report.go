package sim

import (
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// Markdown renders the comparison tables.
func (r *Report) Markdown() string {
	var b strings.Builder
	est := func(v, lo, hi float64) string { return fmt.Sprintf("%.4f [%.4f, %.4f]", v, lo, hi) }
	mode := "full"
	if r.Quick {
		mode = "quick"
	}
	fmt.Fprintf(&b, "Produced by `chainlab sim validate` (%s mode). Intervals are 95 %%.\n\n", mode)
	b.WriteString("### Selfish mining: relative revenue vs α (Eyal & Sirer 2014, eq. 8)\n\n")
	b.WriteString("| γ | α | Eyal & Sirer | simulated (mean of runs, t CI) | runs × blocks | within CI |\n|---|---|---|---|---|---|\n")
	for _, s := range r.Selfish {
		fmt.Fprintf(&b, "| %.1f | %.2f | %.4f | %s | %d × %d | %s |\n", s.Gamma, s.Alpha, s.Theory, est(s.Sim.Value, s.Sim.Lo, s.Sim.Hi), s.Runs, s.Blocks, yes(s.Theory >= s.Sim.Lo-1e-9 && s.Theory <= s.Sim.Hi+1e-9))
	}
	b.WriteString("\n### Double spend: attacker catch-up probability vs confirmations z\n\n")
	b.WriteString("| q | z | Nakamoto §11 | exact (Grunspan & Pérez-Marco) | simulated (Wilson CI) | trials | exact within CI |\n|---|---|---|---|---|---|---|\n")
	for _, c := range r.CatchUp {
		fmt.Fprintf(&b, "| %.1f | %d | %.4f | %.4f | %s | %d | %s |\n", c.Q, c.Z, c.Nakamoto, c.Exact, est(c.Sim.Value, c.Sim.Lo, c.Sim.Hi), c.Sim.N, yes(c.Exact >= c.Sim.Lo-1e-9 && c.Exact <= c.Sim.Hi+1e-9))
	}
	b.WriteString("\n### Stale rate vs propagation delay / block interval\n\n")
	b.WriteString("| Gervais mode | interval (s) | median delay (s) | d/T | Gervais et al. | 1 − e^(−d/T) | simulated (Wilson CI) |\n|---|---|---|---|---|---|---|\n")
	for _, s := range r.Stale {
		fmt.Fprintf(&b, "| %s | %g | %g | %.4f | %.4f | %.4f | %s |\n", s.Mode, s.IntervalS, s.DelayS, s.Ratio, s.Gervais, s.Analytic, est(s.Sim.Value, s.Sim.Lo, s.Sim.Hi))
	}
	f := r.Finality
	b.WriteString("\n### PoS time to finality with full participation\n\n")
	b.WriteString("| quantity | Gasper | simulated (t CI) | checkpoints |\n|---|---|---|---|\n")
	fmt.Fprintf(&b, "| epoch start → checkpoint finalized (epochs) | %.0f | %s | %d |\n", f.Gasper, est(f.Epochs.Value, f.Epochs.Lo, f.Epochs.Hi), f.Epochs.N)
	return b.String()
}

func yes(ok bool) string {
	if ok {
		return "yes"
	}
	return "no"
}

var colors = []color.NRGBA{{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}, {R: 0xd6, G: 0x27, B: 0x28, A: 0xff}, {R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}}

type errPoints struct {
	plotter.XYs
	plotter.YErrors
}

func withErr(xs, ys, lo, hi []float64) errPoints {
	var e errPoints
	for i := range xs {
		e.XYs = append(e.XYs, plotter.XY{X: xs[i], Y: ys[i]})
		e.YErrors = append(e.YErrors, struct{ Low, High float64 }{ys[i] - lo[i], hi[i] - ys[i]})
	}
	return e
}

func addPoints(p *plot.Plot, label string, c color.NRGBA, pts errPoints) error {
	sc, err := plotter.NewScatter(pts)
	if err != nil {
		return err
	}
	sc.Color = c
	eb, err := plotter.NewYErrorBars(pts)
	if err != nil {
		return err
	}
	eb.Color = c
	p.Add(sc, eb)
	p.Legend.Add(label, sc)
	return nil
}

func addLine(p *plot.Plot, label string, c color.NRGBA, dashed bool, f func(float64) float64, x0, x1 float64) error {
	var xy plotter.XYs
	for i := 0; i <= 100; i++ {
		x := x0 + (x1-x0)*float64(i)/100
		xy = append(xy, plotter.XY{X: x, Y: f(x)})
	}
	l, err := plotter.NewLine(xy)
	if err != nil {
		return err
	}
	l.Color = c
	if dashed {
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
	}
	p.Add(l)
	p.Legend.Add(label, l)
	return nil
}

// Plot writes sim-selfish.png, sim-catchup.png and sim-stale.png into dir.
func (r *Report) Plot(dir string) error {
	// Selfish mining.
	p := plot.New()
	p.Title.Text = "Selfish mining: relative revenue (lines: Eyal & Sirer; points: simulated, 95% CI)"
	p.X.Label.Text = "attacker hash share α"
	p.Y.Label.Text = "attacker share of main-chain blocks"
	p.Add(plotter.NewGrid())
	p.Legend.Top, p.Legend.Left = true, true
	for gi, g := range []float64{0, 0.5} {
		g := g
		if err := addLine(p, fmt.Sprintf("theory γ=%.1f", g), colors[gi], false, func(a float64) float64 { return SelfishRevenue(a, g) }, 0.05, 0.5); err != nil {
			return err
		}
		var xs, ys, lo, hi []float64
		for _, s := range r.Selfish {
			if s.Gamma == g && s.Sim.N > 1 {
				xs, ys, lo, hi = append(xs, s.Alpha), append(ys, s.Sim.Value), append(lo, s.Sim.Lo), append(hi, s.Sim.Hi)
			}
		}
		if len(xs) > 0 {
			if err := addPoints(p, fmt.Sprintf("sim γ=%.1f", g), colors[gi], withErr(xs, ys, lo, hi)); err != nil {
				return err
			}
		}
	}
	if err := addLine(p, "honest (revenue = α)", colors[2], true, func(a float64) float64 { return a }, 0.05, 0.5); err != nil {
		return err
	}
	if err := p.Save(7*vg.Inch, 4*vg.Inch, filepath.Join(dir, "sim-selfish.png")); err != nil {
		return err
	}

	// Catch-up probability (log scale).
	p = plot.New()
	p.Title.Text = "Attacker catch-up probability (lines: exact; dashed: Nakamoto §11; points: simulated)"
	p.X.Label.Text = "confirmations z"
	p.Y.Label.Text = "P(catch up)"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = plot.LogTicks{Prec: -1}
	p.Add(plotter.NewGrid())
	for qi, q := range []float64{0.1, 0.3} {
		q := q
		zmax := 0.0
		var xs, ys, lo, hi []float64
		for _, c := range r.CatchUp {
			if c.Q == q {
				zmax = math.Max(zmax, float64(c.Z))
				if c.Sim.Value > 0 && c.Z > 0 {
					xs, ys, lo, hi = append(xs, float64(c.Z)), append(ys, c.Sim.Value), append(lo, math.Max(c.Sim.Lo, 1e-5)), append(hi, c.Sim.Hi)
				}
			}
		}
		if err := addLine(p, fmt.Sprintf("exact q=%.1f", q), colors[qi], false, func(z float64) float64 { return interpZ(ExactCatchUp, q, z) }, 1, zmax); err != nil {
			return err
		}
		if err := addLine(p, fmt.Sprintf("Nakamoto q=%.1f", q), colors[qi], true, func(z float64) float64 { return interpZ(NakamotoCatchUp, q, z) }, 1, zmax); err != nil {
			return err
		}
		if len(xs) > 0 {
			if err := addPoints(p, fmt.Sprintf("sim q=%.1f", q), colors[qi], withErr(xs, ys, lo, hi)); err != nil {
				return err
			}
		}
	}
	if err := p.Save(7*vg.Inch, 4*vg.Inch, filepath.Join(dir, "sim-catchup.png")); err != nil {
		return err
	}

	// Stale rate.
	p = plot.New()
	p.Title.Text = "Stale rate vs propagation delay / block interval"
	p.X.Label.Text = "median propagation delay / block interval"
	p.Y.Label.Text = "stale rate"
	p.Add(plotter.NewGrid())
	p.Legend.Top, p.Legend.Left = true, true
	var xs, ys, lo, hi []float64
	var gx plotter.XYs
	maxR := 0.0
	for _, s := range r.Stale {
		xs, ys, lo, hi = append(xs, s.Ratio), append(ys, s.Sim.Value), append(lo, s.Sim.Lo), append(hi, s.Sim.Hi)
		gx = append(gx, plotter.XY{X: s.Ratio, Y: s.Gervais})
		maxR = math.Max(maxR, s.Ratio)
	}
	if err := addLine(p, "1 − e^(−d/T)", colors[2], true, func(x float64) float64 { return 1 - math.Exp(-x) }, 0, maxR); err != nil {
		return err
	}
	if len(xs) > 0 {
		if err := addPoints(p, "simulated", colors[0], withErr(xs, ys, lo, hi)); err != nil {
			return err
		}
		sc, err := plotter.NewScatter(gx)
		if err != nil {
			return err
		}
		sc.Color = colors[1]
		p.Add(sc)
		p.Legend.Add("Gervais et al. 2016", sc)
	}
	return p.Save(7*vg.Inch, 4*vg.Inch, filepath.Join(dir, "sim-stale.png"))
}

// interpZ evaluates an integer-z formula at real z by linear interpolation (for lines).
func interpZ(f func(float64, int) float64, q, z float64) float64 {
	z0 := int(math.Floor(z))
	fr := z - float64(z0)
	a := f(q, z0)
	if fr == 0 {
		return a
	}
	return a + (f(q, z0+1)-a)*fr
}
