package lab

import (
	"fmt"
	"io"
	"math"
	"strings"
	"text/tabwriter"
)

// Row is one line of the metrics table: a name, a unit, and one cell per run.
type Row struct {
	Name  string
	Unit  string
	Cells []string
	Help  string
}

func fmtNum(x float64) string {
	switch {
	case math.IsNaN(x) || math.IsInf(x, 0):
		return "–"
	case x == 0:
		return "0"
	case math.Abs(x) >= 1e6:
		return fmt.Sprintf("%.3g", x)
	case math.Abs(x) >= 100:
		return fmt.Sprintf("%.0f", x)
	case math.Abs(x) >= 10:
		return fmt.Sprintf("%.1f", x)
	case math.Abs(x) >= 1:
		return fmt.Sprintf("%.2f", x)
	case math.Abs(x) >= 0.01:
		return fmt.Sprintf("%.3f", x)
	default:
		return fmt.Sprintf("%.2g", x)
	}
}

// FormatEstimate renders "v [lo, hi]" (or "–" without data).
func FormatEstimate(e Estimate) string {
	if !e.Valid() {
		return "–"
	}
	if math.IsNaN(e.Lo) || e.Lo == e.Hi && e.N <= 1 {
		return fmtNum(e.Value)
	}
	return fmt.Sprintf("%s [%s, %s]", fmtNum(e.Value), fmtNum(e.Lo), fmtNum(e.Hi))
}

func pct(e Estimate) Estimate { return e.Scale(100) }

// TableRows builds the comparison table of runs (one column each).
func TableRows(ms []*Metrics) []Row {
	type def struct {
		name, unit, help string
		f                func(m *Metrics) string
	}
	est := func(f func(m *Metrics) Estimate) func(m *Metrics) string {
		return func(m *Metrics) string { return FormatEstimate(f(m)) }
	}
	defs := []def{
		{"blocks (canonical / all)", "", "blocks on the final main chain produced in the run / distinct blocks seen", func(m *Metrics) string {
			return fmt.Sprintf("%d / %d", m.MainBlocks, m.Blocks)
		}},
		{"block interval mean", "s", "", est(func(m *Metrics) Estimate { return m.BlockInterval.Mean })},
		{"block interval p95", "s", "", est(func(m *Metrics) Estimate { return m.BlockInterval.P95 })},
		{"stale rate", "%", "blocks off the final main chain", est(func(m *Metrics) Estimate { return pct(m.StaleRate) })},
		{"reorgs per node", "", "", est(func(m *Metrics) Estimate { return m.Reorgs.PerNode })},
		{"max reorg depth", "blocks", "", func(m *Metrics) string { return fmt.Sprint(m.Reorgs.MaxDepth) }},
		{"reorgs reverting 'final' blocks", "", "PoW: reorgs at least k deep (the k-deep rule is probabilistic); PoS must show 0", func(m *Metrics) string {
			return fmt.Sprint(m.Reorgs.DeepPoW)
		}},
		{"propagation to all p50", "s", "", est(func(m *Metrics) Estimate { return m.Propagation.ToAllP50 })},
		{"propagation to all p95", "s", "", est(func(m *Metrics) Estimate { return m.Propagation.ToAllP95 })},
		{"tx to inclusion mean", "s", "", est(func(m *Metrics) Estimate { return m.TxInclusion.Mean })},
		{"tx to inclusion p95", "s", "", est(func(m *Metrics) Estimate { return m.TxInclusion.P95 })},
		{"tx to finality mean", "s", "", est(func(m *Metrics) Estimate { return m.TxFinality.Mean })},
		{"tx to finality p95", "s", "", est(func(m *Metrics) Estimate { return m.TxFinality.P95 })},
		{"finality rule", "", "", func(m *Metrics) string { return m.Finality }},
		{"throughput", "tx/s", "confirmed on the main chain", est(func(m *Metrics) Estimate { return m.Throughput })},
		{"txs submitted / confirmed / final", "", "", func(m *Metrics) string {
			return fmt.Sprintf("%d / %d / %d", m.TxSubmitted, m.TxConfirmed, m.TxFinalized)
		}},
		{"fairness (Jain, 1 = proportional)", "", "", est(func(m *Metrics) Estimate { return m.Fairness.Jain })},
		{"CPU per block", "CPU-s", "all nodes", est(func(m *Metrics) Estimate { return m.Resources.CPUPerBlock })},
		{"CPU per final tx", "CPU-s", "all nodes", est(func(m *Metrics) Estimate { return m.Resources.CPUPerFinalizedTx })},
		{"bytes sent per block", "B", "all nodes", est(func(m *Metrics) Estimate { return m.Resources.BytesPerBlock })},
		{"finality stalls", "", "", func(m *Metrics) string {
			tot := 0.0
			for _, s := range m.FinalityStalls {
				tot += s.Duration
			}
			return fmt.Sprintf("%d (%.0f s)", len(m.FinalityStalls), tot)
		}},
	}
	rows := make([]Row, 0, len(defs))
	for _, d := range defs {
		r := Row{Name: d.name, Unit: d.unit, Help: d.help}
		for _, m := range ms {
			r.Cells = append(r.Cells, d.f(m))
		}
		rows = append(rows, r)
	}
	return rows
}

// WriteTable prints runs side by side as an aligned text table with 95 % intervals.
func WriteTable(w io.Writer, ms []*Metrics) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	head := []string{"metric (95% CI)", "unit"}
	for _, m := range ms {
		head = append(head, fmt.Sprintf("%s (%s, %d nodes, %.0f s)", m.Name, strings.ToUpper(m.Engine), m.Nodes, m.Span))
	}
	fmt.Fprintln(tw, strings.Join(head, "\t"))
	for _, r := range TableRows(ms) {
		fmt.Fprintln(tw, strings.Join(append([]string{r.Name, r.Unit}, r.Cells...), "\t"))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(ms) > 0 {
		h := ms[0].Host
		_, err := fmt.Fprintf(w, "host %s: %d cores (%s), %s/%s; %s\n", h.Hostname, h.Cores, h.CPUModel, h.OS, h.Arch, h.Note)
		return err
	}
	return nil
}

// Findings states, in words, the differences between the first two runs whose 95 %
// intervals do not overlap (nothing when there is one run).
func Findings(ms []*Metrics) []string {
	if len(ms) < 2 {
		return nil
	}
	a, b := ms[0], ms[1]
	type cmp struct {
		what, unit string
		lower      string // what a lower value means
		f          func(*Metrics) Estimate
		scale      float64
	}
	cs := []cmp{
		{"mean block interval", "s", "faster blocks", func(m *Metrics) Estimate { return m.BlockInterval.Mean }, 1},
		{"p95 block interval", "s", "more regular blocks", func(m *Metrics) Estimate { return m.BlockInterval.P95 }, 1},
		{"stale rate", "%", "fewer wasted blocks", func(m *Metrics) Estimate { return m.StaleRate }, 100},
		{"block propagation p50", "s", "faster propagation", func(m *Metrics) Estimate { return m.Propagation.ToAllP50 }, 1},
		{"mean time to inclusion", "s", "faster inclusion", func(m *Metrics) Estimate { return m.TxInclusion.Mean }, 1},
		{"mean time to finality", "s", "faster finality", func(m *Metrics) Estimate { return m.TxFinality.Mean }, 1},
		{"p95 time to finality", "s", "more predictable finality", func(m *Metrics) Estimate { return m.TxFinality.P95 }, 1},
		{"throughput", "tx/s", "lower throughput", func(m *Metrics) Estimate { return m.Throughput }, 1},
		{"CPU per block", "CPU-s", "cheaper blocks", func(m *Metrics) Estimate { return m.Resources.CPUPerBlock }, 1},
		{"bytes sent per block", "B", "less traffic per block", func(m *Metrics) Estimate { return m.Resources.BytesPerBlock }, 1},
	}
	var out []string
	for _, c := range cs {
		ea, eb := c.f(a).Scale(c.scale), c.f(b).Scale(c.scale)
		if !ea.Valid() || !eb.Valid() || ea.Lo <= eb.Hi && eb.Lo <= ea.Hi {
			continue
		}
		lo, hi := a, b
		elo, ehi := ea, eb
		if eb.Value < ea.Value {
			lo, hi, elo, ehi = b, a, eb, ea
		}
		out = append(out, fmt.Sprintf("%s: %s %s %s vs. %s %s %s (%s for %s)", c.what,
			lo.Name, FormatEstimate(elo), c.unit, hi.Name, FormatEstimate(ehi), c.unit, c.lower, lo.Name))
	}
	return out
}
