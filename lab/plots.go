package lab

import (
	"fmt"
	"image/color"
	"math"
	"path/filepath"
	"sort"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// Series is one engine's data in a plot (a run's trace and its metrics).
type Series struct {
	Label   string
	Trace   *Trace
	Metrics *Metrics
	Link    string // optional: the run's own report, linked from a combined report
}

var palette = []color.NRGBA{
	{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}, {R: 0xd6, G: 0x27, B: 0x28, A: 0xff}, {R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff},
	{R: 0xff, G: 0x7f, B: 0x0e, A: 0xff}, {R: 0x94, G: 0x67, B: 0xbd, A: 0xff}, {R: 0x8c, G: 0x56, B: 0x4b, A: 0xff},
	{R: 0xe3, G: 0x77, B: 0xc2, A: 0xff}, {R: 0x7f, G: 0x7f, B: 0x7f, A: 0xff}, {R: 0xbc, G: 0xbd, B: 0x22, A: 0xff},
	{R: 0x17, G: 0xbe, B: 0xcf, A: 0xff},
}

func col(i int) color.NRGBA { return palette[i%len(palette)] }

// fade returns c with alpha a (NRGBA is not premultiplied, so this is just transparency).
func fade(c color.NRGBA, a uint8) color.NRGBA { c.A = a; return c }

// Plot is a rendered image in a run directory.
type Plot struct {
	File    string // base name (PNG)
	Title   string
	Caption string
}

func newPlot(title, x, y string) *plot.Plot {
	p := plot.New()
	p.Title.Text = title
	p.X.Label.Text = x
	p.Y.Label.Text = y
	p.Add(plotter.NewGrid())
	p.Legend.Top = true
	return p
}

func save(p *plot.Plot, dir, name string) error {
	return p.Save(7*vg.Inch, 3.6*vg.Inch, filepath.Join(dir, name))
}

// RenderPlots draws the plots of one or more runs (one colour per series) into dir and
// returns them in display order. With several series (compare) the plots overlay them.
func RenderPlots(dir string, ss []Series) ([]Plot, error) {
	var out []Plot
	add := func(name, title, caption string, p *plot.Plot) error {
		if p == nil {
			return nil
		}
		if err := save(p, dir, name); err != nil {
			return fmt.Errorf("plot %s: %w", name, err)
		}
		out = append(out, Plot{File: name, Title: title, Caption: caption})
		return nil
	}
	steps := []struct {
		name, title, caption string
		fn                   func([]Series) (*plot.Plot, error)
	}{
		{"growth.png", "Chain growth and finality", "Best height of every node over time (thin lines), the finalized height (thick dashed), and fault windows (shaded). Flat finalized lines are finality stalls; height steps backwards are reorgs.", plotGrowth},
		{"intervals.png", "Block interval distribution", "Time between consecutive canonical blocks (first sighting), with the target interval marked. PoW gives an exponential spread; PoS snaps to multiples of the slot (gaps are missed slots).", plotIntervals},
		{"latency.png", "Latency CDFs", "Cumulative distribution of block propagation to all nodes, transaction inclusion and transaction finality. Further left is faster; the 50 % and 95 % crossings are the p50 and p95 in the table.", plotLatency},
		{"fairness.png", "Production share vs. resource share", "Share of canonical blocks each node produced (bars, with 95 % Wilson intervals) against its share of hash rate or stake (black diamonds). Fair means the bars reach the diamonds.", plotFairness},
		{"reorgs.png", "Reorganisation depths", "How many reorgs of each depth the nodes went through.", plotReorgs},
		{"resources.png", "CPU use", "CPU use of all node processes together (percent of one core) over time. Every node shares this one machine.", plotCPU},
	}
	for _, s := range steps {
		p, err := s.fn(ss)
		if err != nil {
			return nil, fmt.Errorf("plot %s: %w", s.name, err)
		}
		if err := add(s.name, s.title, s.caption, p); err != nil {
			return nil, err
		}
	}
	return out, nil
}

func plotGrowth(ss []Series) (*plot.Plot, error) {
	p := newPlot("Chain growth and finality", "time (s)", "height")
	for si, s := range ss {
		t := s.Trace
		c := col(si)
		// Fault windows.
		for _, f := range t.Faults {
			end := f.End
			if end < 0 {
				if oneShot[f.Action] {
					end = f.At + t.Span/200
				} else {
					end = t.Span
				}
			}
			ymax := float64(len(t.Canonical)) + 1
			poly, err := plotter.NewPolygon(plotter.XYs{{X: f.At, Y: 0}, {X: end, Y: 0}, {X: end, Y: ymax}, {X: f.At, Y: ymax}})
			if err != nil {
				return nil, err
			}
			poly.Color = fade(c, 0x22)
			poly.LineStyle.Width = 0
			p.Add(poly)
		}
		byNode := map[int]plotter.XYs{}
		for _, e := range t.Tips {
			byNode[e.Node] = append(byNode[e.Node], plotter.XY{X: e.At, Y: float64(e.Height)})
		}
		nodes := make([]int, 0, len(byNode))
		for n := range byNode {
			nodes = append(nodes, n)
		}
		sort.Ints(nodes)
		for k, n := range nodes {
			l, err := plotter.NewLine(byNode[n])
			if err != nil {
				return nil, err
			}
			l.StepStyle = plotter.PostStep
			l.Color = fade(c, 0x90)
			l.Width = vg.Points(0.8)
			p.Add(l)
			if k == 0 {
				p.Legend.Add(s.Label+" best height", l)
			}
		}
		fin := finalizedSeries(t)
		if len(fin) > 0 {
			l, err := plotter.NewLine(fin)
			if err != nil {
				return nil, err
			}
			l.StepStyle = plotter.PostStep
			l.Color = c
			l.Width = vg.Points(2)
			l.Dashes = []vg.Length{vg.Points(6), vg.Points(3)}
			p.Add(l)
			p.Legend.Add(s.Label+" finalized", l)
		}
	}
	p.Legend.Left = true
	return p, nil
}

// finalizedSeries is the network's finalized height over time (PoW: k below the canonical
// chain as it was first seen; PoS: the max over nodes' finality events).
func finalizedSeries(t *Trace) plotter.XYs {
	var xy plotter.XYs
	if t.Engine == "pow" {
		seen := map[string]float64{}
		for _, b := range t.Blocks {
			seen[b.Hash] = b.Mined
		}
		k := int(t.FinalityDepth)
		for h := 1; h+k < len(t.Canonical); h++ {
			if at, ok := seen[t.Canonical[h+k]]; ok {
				xy = append(xy, plotter.XY{X: at, Y: float64(h)})
			}
		}
		return xy
	}
	var top uint64
	for _, f := range t.Finality {
		if f.Height > top {
			top = f.Height
			xy = append(xy, plotter.XY{X: f.At, Y: float64(top)})
		}
	}
	if len(xy) > 0 {
		xy = append(xy, plotter.XY{X: t.Span, Y: float64(top)})
	}
	return xy
}

func plotIntervals(ss []Series) (*plot.Plot, error) {
	p := newPlot("Block interval", "seconds between consecutive blocks", "fraction of blocks")
	var target float64
	any := false
	for si, s := range ss {
		d := s.Metrics.BlockInterval
		if d.N == 0 {
			continue
		}
		any = true
		target = s.Trace.TargetInterval
		h := &plotter.Histogram{Width: d.BinWidth, FillColor: fade(col(si), 0x70)}
		h.LineStyle = draw.LineStyle{Color: col(si), Width: vg.Points(0.8)}
		for i, c := range d.Histogram {
			h.Bins = append(h.Bins, plotter.HistogramBin{Min: float64(i) * d.BinWidth, Max: float64(i+1) * d.BinWidth, Weight: float64(c) / float64(d.N)})
		}
		p.Add(h)
		p.Legend.Add(fmt.Sprintf("%s (mean %.2f s, n=%d)", s.Label, d.Mean.Value, d.N), h)
	}
	if !any {
		return nil, nil
	}
	if target > 0 {
		l, err := plotter.NewLine(plotter.XYs{{X: target, Y: 0}, {X: target, Y: maxHistFrac(ss)}})
		if err != nil {
			return nil, err
		}
		l.Color = color.Black
		l.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
		p.Add(l)
		p.Legend.Add("target interval", l)
	}
	p.X.Min = 0
	return p, nil
}

func maxHistFrac(ss []Series) float64 {
	m := 0.0
	for _, s := range ss {
		d := s.Metrics.BlockInterval
		for _, c := range d.Histogram {
			m = math.Max(m, float64(c)/float64(max(d.N, 1)))
		}
	}
	return m
}

func cdf(xs []float64) plotter.XYs {
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	out := make(plotter.XYs, 0, len(s)+1)
	if len(s) > 0 {
		out = append(out, plotter.XY{X: s[0], Y: 0})
	}
	for i, x := range s {
		out = append(out, plotter.XY{X: x, Y: float64(i+1) / float64(len(s))})
	}
	return out
}

func plotLatency(ss []Series) (*plot.Plot, error) {
	p := newPlot("Latency", "seconds (log scale)", "cumulative fraction")
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = plot.LogTicks{Prec: -1}
	dashes := [][]vg.Length{nil, {vg.Points(5), vg.Points(3)}, {vg.Points(1.5), vg.Points(2)}}
	any := false
	for si, s := range ss {
		m := s.Metrics
		for k, d := range []struct {
			name string
			xs   []float64
		}{{"block to all nodes", m.Propagation.ToAll}, {"tx inclusion", m.TxInclusion.Values}, {"tx finality", m.TxFinality.Values}} {
			xs := positive(d.xs)
			if len(xs) == 0 {
				continue
			}
			l, err := plotter.NewLine(cdf(xs))
			if err != nil {
				return nil, err
			}
			l.StepStyle = plotter.PostStep
			l.Color = col(si)
			l.Width = vg.Points(1.6)
			l.Dashes = dashes[k]
			p.Add(l)
			p.Legend.Add(s.Label+" "+d.name, l)
			any = true
		}
	}
	if !any {
		return nil, nil
	}
	// Leave about a decade and a half of empty log axis on the left for the legend, so
	// it never covers the steep propagation curves.
	p.Legend.Left = true
	if lo := minPositive(ss); lo > 0 {
		p.X.Min = lo / 40
	}
	return p, nil
}

func minPositive(ss []Series) float64 {
	lo := math.Inf(1)
	for _, s := range ss {
		m := s.Metrics
		for _, xs := range [][]float64{m.Propagation.ToAll, m.TxInclusion.Values, m.TxFinality.Values} {
			for _, x := range positive(xs) {
				lo = math.Min(lo, x)
			}
		}
	}
	if math.IsInf(lo, 1) {
		return 0
	}
	return lo
}

func positive(xs []float64) []float64 {
	var out []float64
	for _, x := range xs {
		if x > 0 && !math.IsInf(x, 0) && !math.IsNaN(x) {
			out = append(out, math.Max(x, 1e-3))
		}
	}
	return out
}

type errXY struct {
	plotter.XYs
	lo, hi []float64
}

func (e errXY) YError(i int) (float64, float64) { return e.lo[i], e.hi[i] }

func plotFairness(ss []Series) (*plot.Plot, error) {
	p := newPlot("Who produced the blocks", "node", "share of canonical blocks")
	n := 0
	for _, s := range ss {
		n = max(n, len(s.Metrics.Fairness.Nodes))
	}
	if n == 0 {
		return nil, nil
	}
	const bw = 0.7 // total width of a node's group of bars, in node units
	var names []string
	for si, s := range ss {
		fn := s.Metrics.Fairness.Nodes
		exp := make(plotter.XYs, len(fn))
		e := errXY{XYs: make(plotter.XYs, len(fn)), lo: make([]float64, len(fn)), hi: make([]float64, len(fn))}
		w := bw / float64(len(ss))
		off := -bw/2 + w*(float64(si)+0.5)
		bars := &plotter.Histogram{Width: w, FillColor: fade(col(si), 0xb0)}
		bars.LineStyle = draw.LineStyle{Color: col(si), Width: vg.Points(0.5)}
		for i, ns := range fn {
			v := ns.Observed.Value
			if math.IsNaN(v) {
				v = 0
			}
			x := float64(i) + off
			bars.Bins = append(bars.Bins, plotter.HistogramBin{Min: x - w/2 + 0.02, Max: x + w/2 - 0.02, Weight: v})
			exp[i] = plotter.XY{X: x, Y: ns.Share}
			e.XYs[i] = plotter.XY{X: x, Y: v}
			if ns.Observed.Valid() {
				e.lo[i], e.hi[i] = v-ns.Observed.Lo, ns.Observed.Hi-v
			}
			if si == 0 {
				names = append(names, ns.Name)
			}
		}
		p.Add(bars)
		p.Legend.Add(fmt.Sprintf("%s (Jain %.3f)", s.Label, s.Metrics.Fairness.Jain.Value), bars)
		eb, err := plotter.NewYErrorBars(e)
		if err != nil {
			return nil, err
		}
		p.Add(eb)
		sc, err := plotter.NewScatter(exp)
		if err != nil {
			return nil, err
		}
		sc.GlyphStyle.Shape = draw.PyramidGlyph{}
		sc.GlyphStyle.Color = color.Black
		sc.GlyphStyle.Radius = vg.Points(3.5)
		p.Add(sc)
		if si == 0 {
			p.Legend.Add("hash rate / stake share", sc)
		}
	}
	p.NominalX(names...)
	p.X.Min, p.X.Max = -0.6, float64(n)-0.4
	p.Y.Min = 0
	top := 0.0
	for _, s := range ss {
		for _, ns := range s.Metrics.Fairness.Nodes {
			top = math.Max(top, math.Max(ns.Share, ns.Observed.Hi))
		}
	}
	if top > 0 && !math.IsNaN(top) {
		p.Y.Max = top * 1.4 // head room for the legend
	}
	return p, nil
}

func plotReorgs(ss []Series) (*plot.Plot, error) {
	p := newPlot("Reorganisations", "depth (blocks disconnected)", "count (all nodes)")
	any := false
	for si, s := range ss {
		h := s.Metrics.Reorgs.DepthHist
		if s.Metrics.Reorgs.Count == 0 {
			continue
		}
		any = true
		hist := &plotter.Histogram{Width: 1, FillColor: fade(col(si), 0x90)}
		hist.LineStyle = draw.LineStyle{Color: col(si), Width: vg.Points(0.8)}
		for d, c := range h {
			if d == 0 {
				continue
			}
			hist.Bins = append(hist.Bins, plotter.HistogramBin{Min: float64(d) - 0.4, Max: float64(d) + 0.4, Weight: float64(c)})
		}
		p.Add(hist)
		p.Legend.Add(fmt.Sprintf("%s (%d reorgs)", s.Label, s.Metrics.Reorgs.Count), hist)
	}
	if !any {
		return nil, nil
	}
	p.X.Min = 0
	return p, nil
}

func plotCPU(ss []Series) (*plot.Plot, error) {
	p := newPlot("CPU use of the nodes", "time (s)", "% of one core (all nodes)")
	any := false
	for si, s := range ss {
		xy := cpuSeries(s.Trace)
		if len(xy) < 2 {
			continue
		}
		any = true
		l, err := plotter.NewLine(xy)
		if err != nil {
			return nil, err
		}
		l.Color = col(si)
		l.Width = vg.Points(1.4)
		p.Add(l)
		p.Legend.Add(fmt.Sprintf("%s (%.1f CPU-s total)", s.Label, s.Metrics.Resources.CPUSeconds), l)
	}
	if !any {
		return nil, nil
	}
	p.Y.Min = 0
	return p, nil
}

// cpuSeries sums the nodes' CPU rate per poll round.
func cpuSeries(t *Trace) plotter.XYs {
	last := map[int]ResourceSample{}
	rounds := map[float64]float64{}
	var times []float64
	for _, s := range t.Resources {
		if prev, ok := last[s.Node]; ok && s.At > prev.At {
			d := s.CPU - prev.CPU
			if d < 0 {
				d = s.CPU
			}
			key := math.Round(s.At)
			if _, seen := rounds[key]; !seen {
				times = append(times, key)
			}
			rounds[key] += 100 * d / (s.At - prev.At)
		}
		last[s.Node] = s
	}
	sort.Float64s(times)
	xy := make(plotter.XYs, 0, len(times))
	for _, tm := range times {
		xy = append(xy, plotter.XY{X: tm, Y: rounds[tm]})
	}
	return xy
}
