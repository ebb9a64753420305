package lab

import (
	"encoding/csv"
	"fmt"
	"html/template"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// WriteRunDir writes a run directory: metrics.json, trace.json, blocks.csv, forks.csv,
// finality.csv, txs.csv, resources.csv, PNG plots and report.html. The simulator calls it
// too, so a real and a simulated run look the same.
func WriteRunDir(dir string, t *Trace, m *Metrics) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := WriteMetrics(filepath.Join(dir, "metrics.json"), m); err != nil {
		return err
	}
	if err := WriteTrace(filepath.Join(dir, "trace.json"), t); err != nil {
		return err
	}
	if err := WriteCSVs(dir, t); err != nil {
		return err
	}
	return WriteReport(dir, "report.html", []Series{{Label: m.Name, Trace: t, Metrics: m}})
}

// WriteCSVs writes the per-event CSV files of a trace.
func WriteCSVs(dir string, t *Trace) error {
	canon := map[string]bool{}
	for _, h := range t.Canonical {
		canon[h] = true
	}
	name := func(i int) string {
		if i >= 0 && i < len(t.Nodes) {
			return t.Nodes[i].Name
		}
		return ""
	}
	f64 := func(x float64) string { return strconv.FormatFloat(x, 'f', 3, 64) }
	var rows [][]string
	rows = append(rows, []string{"hash", "parent", "height", "producer", "first_seen_s", "header_time", "size", "txs", "canonical", "seen_by"})
	seenBy := map[string]int{}
	for _, s := range t.Seen {
		seenBy[s.Hash]++
	}
	for _, b := range t.Blocks {
		rows = append(rows, []string{b.Hash, b.Parent, fmt.Sprint(b.Height), name(b.Producer), f64(b.Mined), fmt.Sprint(b.Time),
			fmt.Sprint(b.Size), fmt.Sprint(len(b.TxIDs)), fmt.Sprint(canon[b.Hash]), fmt.Sprint(seenBy[b.Hash])})
	}
	if err := writeCSV(filepath.Join(dir, "blocks.csv"), rows); err != nil {
		return err
	}
	rows = [][]string{{"node", "at_s", "depth", "old_tip", "new_tip"}}
	for _, r := range t.Reorgs {
		rows = append(rows, []string{name(r.Node), f64(r.At), fmt.Sprint(r.Depth), r.OldTip, r.NewTip})
	}
	if err := writeCSV(filepath.Join(dir, "forks.csv"), rows); err != nil {
		return err
	}
	rows = [][]string{{"node", "at_s", "height", "hash", "epoch"}}
	for _, f := range t.Finality {
		rows = append(rows, []string{name(f.Node), f64(f.At), fmt.Sprint(f.Height), f.Hash, fmt.Sprint(f.Epoch)})
	}
	if err := writeCSV(filepath.Join(dir, "finality.csv"), rows); err != nil {
		return err
	}
	incl := map[string]float64{}
	inCanon := map[string]uint64{}
	for _, b := range t.Blocks {
		for _, id := range b.TxIDs {
			if v, ok := incl[id]; !ok || b.Mined < v {
				incl[id] = b.Mined
			}
			if canon[b.Hash] {
				inCanon[id] = b.Height
			}
		}
	}
	rows = [][]string{{"txid", "submitted_s", "node", "first_included_s", "height", "error"}}
	for _, tx := range t.Txs {
		in, h := "", ""
		if v, ok := incl[tx.ID]; ok {
			in = f64(v)
		}
		if v, ok := inCanon[tx.ID]; ok {
			h = fmt.Sprint(v)
		}
		rows = append(rows, []string{tx.ID, f64(tx.At), name(tx.Node), in, h, tx.Err})
	}
	if err := writeCSV(filepath.Join(dir, "txs.csv"), rows); err != nil {
		return err
	}
	rows = [][]string{{"node", "at_s", "cpu_s", "rss_bytes", "bytes_sent", "bytes_recv"}}
	for _, r := range t.Resources {
		rows = append(rows, []string{name(r.Node), f64(r.At), f64(r.CPU), fmt.Sprint(r.RSS), fmt.Sprint(r.BytesSent), fmt.Sprint(r.BytesRecv)})
	}
	return writeCSV(filepath.Join(dir, "resources.csv"), rows)
}

func writeCSV(path string, rows [][]string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	if err := w.WriteAll(rows); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

type reportData struct {
	Findings  []string
	Links     []runLink
	Title     string
	Generated string
	Runs      []*Metrics
	Host      HostInfo
	Rows      []Row
	Plots     []Plot
	Faults    []faultRow
	Nodes     []nodeRow
	Labels    []string
}

type runLink struct{ Label, Href string }

type faultRow struct {
	Run, At, End, Action, Label, Recover, Reorgs, Finality, Err string
}

type nodeRow struct {
	Run, Name, Share, Produced, Stale, Observed, Measured string
}

// WriteReport renders the plots of the series into dir and writes an HTML report named
// file that shows them with the metrics table, the faults and the per-node production.
func WriteReport(dir, file string, ss []Series) error {
	plots, err := RenderPlots(dir, ss)
	if err != nil {
		return err
	}
	d := reportData{Generated: time.Now().UTC().Format(time.RFC3339), Plots: plots}
	var names []string
	for _, s := range ss {
		d.Runs = append(d.Runs, s.Metrics)
		d.Labels = append(d.Labels, s.Label)
		names = append(names, s.Label)
	}
	if len(ss) > 0 {
		d.Host = ss[0].Metrics.Host
	}
	d.Title = "chainlab report: " + strings.Join(names, " vs. ")
	d.Rows = TableRows(d.Runs)
	d.Findings = Findings(d.Runs)
	for _, s := range ss {
		if s.Link != "" {
			d.Links = append(d.Links, runLink{Label: s.Label, Href: s.Link})
		}
	}
	for _, s := range ss {
		m := s.Metrics
		for _, f := range m.Faults {
			fr := faultRow{Run: s.Label, At: fmt.Sprintf("%.1f s", f.At), Action: f.Action, Label: f.Label, Err: f.Err,
				Reorgs: fmt.Sprintf("%d (%d blocks reverted, max depth %d)", f.ReorgsAfter, f.BlocksReverted, f.MaxReorgDepth)}
			fr.End = "–"
			if f.End >= 0 {
				fr.End = fmt.Sprintf("%.1f s", f.End)
			}
			fr.Recover = "never"
			if f.RecoverSeconds >= 0 {
				fr.Recover = fmt.Sprintf("%.1f s", f.RecoverSeconds)
			}
			adv := "advanced"
			if !f.FinalityAdvanced {
				adv = "stalled"
			}
			res := "did not resume"
			if f.FinalityResumed >= 0 {
				res = fmt.Sprintf("resumed %.1f s after the end", f.FinalityResumed)
			}
			fr.Finality = fmt.Sprintf("%s during (height %d → %d); longest gap %.1f s; %s", adv, f.HeightAtStart, f.HeightAtEnd, f.FinalityStall, res)
			d.Faults = append(d.Faults, fr)
		}
		for _, n := range m.Fairness.Nodes {
			nr := nodeRow{Run: s.Label, Name: n.Name, Share: fmt.Sprintf("%.1f %%", 100*n.Share),
				Produced: fmt.Sprint(n.Produced), Stale: fmt.Sprint(n.Stale), Observed: FormatEstimate(pct(n.Observed)) + " %", Measured: "–"}
			if n.MeasuredHashRate > 0 {
				nr.Measured = fmt.Sprintf("%.0f H/s", n.MeasuredHashRate)
			}
			d.Nodes = append(d.Nodes, nr)
		}
	}
	f, err := os.Create(filepath.Join(dir, file))
	if err != nil {
		return err
	}
	if err := reportTmpl.Execute(f, d); err != nil {
		f.Close()
		return fmt.Errorf("report: %w", err)
	}
	return f.Close()
}

var reportTmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"upper": strings.ToUpper,
	"secs":  func(x float64) string { return strconv.FormatFloat(math.Round(x), 'f', 0, 64) },
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{{.Title}}</title>
<style>
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
h1{font-size:1.6em;margin-bottom:.2em} h2{margin-top:1.6em;border-bottom:1px solid #ddd;padding-bottom:.2em}
table{border-collapse:collapse;margin:.6em 0;font-size:.93em} th,td{padding:.3em .7em;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
th{background:#f5f5f5} td.num{font-variant-numeric:tabular-nums;white-space:nowrap}
.host{background:#fff8e1;border-left:4px solid #f0b400;padding:.6em 1em;margin:1em 0}
figure{margin:1.2em 0} figure img{max-width:100%;border:1px solid #eee} figcaption{color:#555;font-size:.92em}
.small{color:#666;font-size:.85em}
</style></head><body>
<h1>{{.Title}}</h1>
<p class="small">Generated {{.Generated}}. Every mean and rate is shown as <b>value [95 % confidence interval]</b>; when two intervals do not overlap the difference is unlikely to be noise.</p>
<div class="host"><b>Machine.</b> {{.Host.Hostname}}: {{.Host.Cores}} cores{{if .Host.CPUModel}} ({{.Host.CPUModel}}){{end}}, {{.Host.OS}}/{{.Host.Arch}}, {{.Host.GoVersion}}.
{{.Host.Note}}.{{if .Host.Shared}} CPU, latency and throughput numbers are for nodes competing for these cores, not for separate machines.{{end}}</div>
<h2>Runs</h2>
<table><tr><th>run</th><th>engine</th><th>nodes</th><th>length</th><th>target interval</th><th>finality</th><th>seed</th><th>source</th></tr>
{{range .Runs}}<tr><td>{{.Name}}</td><td>{{upper .Engine}}</td><td>{{.Nodes}}</td><td>{{secs .Span}} s</td><td>{{.Target}} s</td><td>{{.Finality}}</td><td>{{.Seed}}</td><td>{{.Source}}</td></tr>
{{end}}</table>
{{if .Findings}}<h2>Differences beyond noise</h2>
<ul>{{range .Findings}}<li>{{.}}</li>{{end}}</ul>
<p class="small">Listed when the two runs' 95 % intervals do not overlap.</p>{{end}}
{{if .Links}}<p>Each run's own report: {{range .Links}}<a href="{{.Href}}">{{.Label}}</a> {{end}}</p>{{end}}
<h2>Key numbers</h2>
<table><tr><th>metric</th><th>unit</th>{{range .Labels}}<th>{{.}}</th>{{end}}</tr>
{{range .Rows}}<tr><td title="{{.Help}}">{{.Name}}</td><td>{{.Unit}}</td>{{range .Cells}}<td class="num">{{.}}</td>{{end}}</tr>
{{end}}</table>
{{range .Plots}}<figure><img src="{{.File}}" alt="{{.Title}}"><figcaption><b>{{.Title}}.</b> {{.Caption}}</figcaption></figure>
{{end}}
{{if .Faults}}<h2>Faults</h2>
<table><tr><th>run</th><th>at</th><th>end</th><th>fault</th><th>all tips agree again</th><th>reorgs after the end</th><th>finality</th></tr>
{{range .Faults}}<tr><td>{{.Run}}</td><td class="num">{{.At}}</td><td class="num">{{.End}}</td><td>{{.Label}}{{if .Err}} <b>failed: {{.Err}}</b>{{end}}</td><td class="num">{{.Recover}}</td><td>{{.Reorgs}}</td><td>{{.Finality}}</td></tr>
{{end}}</table>{{end}}
<h2>Block production per node</h2>
<table><tr><th>run</th><th>node</th><th>hash rate / stake share</th><th>measured hash rate</th><th>canonical blocks</th><th>observed share [95 % CI]</th><th>stale blocks</th></tr>
{{range .Nodes}}<tr><td>{{.Run}}</td><td>{{.Name}}</td><td class="num">{{.Share}}</td><td class="num">{{.Measured}}</td><td class="num">{{.Produced}}</td><td class="num">{{.Observed}}</td><td class="num">{{.Stale}}</td></tr>
{{end}}</table>
<h2>Files</h2>
<p>metrics.json (this table, machine-readable), trace.json (every recorded event), blocks.csv, forks.csv, finality.csv, txs.csv, resources.csv. docs/lab.md explains every number.</p>
</body></html>
`))
