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
}
