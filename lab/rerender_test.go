package lab

import (
	"os"
	"path/filepath"
	"testing"
)

// TestRerender re-renders a report from saved traces (LAB_RERENDER=dir1,dir2 → LAB_RERENDER_OUT).
func TestRerender(t *testing.T) {
	dirs := os.Getenv("LAB_RERENDER")
	if dirs == "" {
		t.Skip("set LAB_RERENDER")
	}
	var ss []Series
	for _, d := range filepath.SplitList(dirs) {
		tr, err := ReadTrace(filepath.Join(d, "trace.json"))
		if err != nil {
			t.Fatal(err)
		}
		m := Compute(tr, LocalHost("lab"))
		ss = append(ss, Series{Label: m.Name, Trace: tr, Metrics: m})
	}
	out := os.Getenv("LAB_RERENDER_OUT")
	os.MkdirAll(out, 0o755)
	if err := WriteReport(out, "report.html", ss); err != nil {
		t.Fatal(err)
	}
	var ms []*Metrics
	for _, s := range ss {
		ms = append(ms, s.Metrics)
	}
	f, err := os.Create(filepath.Join(out, "table.txt"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := WriteTable(f, ms); err != nil {
		t.Fatal(err)
	}
	for _, l := range Findings(ms) {
		f.WriteString("  - " + l + "\n")
	}
}
