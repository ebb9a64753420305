package lab

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestWriteRunDirAndCompareReport(t *testing.T) {
	dir := t.TempDir()
	if os.Getenv("LAB_REPORT_DIR") != "" { // keep the output to look at the plots
		dir = os.Getenv("LAB_REPORT_DIR")
	}
	pow := synthTrace(60)
	pow.Faults = []FaultEvent{{At: 20, End: 30, Action: FaultPartition, Nodes: []int{0, 1}, Label: "partition n0,n1 | n2,n3"}}
	pow.Reorgs = append(pow.Reorgs, ReorgEvent{Node: 2, At: 30.2, Depth: 3})
	pm := Compute(pow, LocalHost("lab"))
	pow.Name, pm.Name = "pow", "pow"
	if err := WriteRunDir(filepath.Join(dir, "pow"), pow, pm); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"metrics.json", "trace.json", "blocks.csv", "forks.csv", "finality.csv", "txs.csv", "resources.csv", "report.html", "growth.png", "intervals.png", "latency.png", "fairness.png", "reorgs.png", "resources.png"} {
		st, err := os.Stat(filepath.Join(dir, "pow", f))
		if err != nil || st.Size() == 0 {
			t.Errorf("%s missing or empty: %v", f, err)
		}
	}
	b, _ := os.ReadFile(filepath.Join(dir, "pow", "growth.png"))
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil || img.Bounds().Dx() < 400 {
		t.Fatalf("growth.png is not a proper PNG: %v", err)
	}
	html, _ := os.ReadFile(filepath.Join(dir, "pow", "report.html"))
	for _, want := range []string{"cores", "share", "stale rate", "partition n0,n1 | n2,n3", `<img src="growth.png"`} {
		if !strings.Contains(string(html), want) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	back, err := ReadMetrics(filepath.Join(dir, "pow", "metrics.json"))
	if err != nil || back.MainBlocks != pm.MainBlocks {
		t.Fatalf("metrics.json round trip: %v", err)
	}

	pos := synthTrace(60)
	pos.Engine, pos.EpochSlots, pos.Name = "pos", 4, "pos"
	for at := 4.0; at <= 60; at += 4 {
		pos.Finality = append(pos.Finality, FinalityEvent{Node: 0, At: at, Height: uint64(at) - 4})
	}
	sm := Compute(pos, LocalHost("lab"))
	sm.Name = "pos"
	cdir := filepath.Join(dir, "compare")
	os.MkdirAll(cdir, 0o755)
	if err := WriteReport(cdir, "report.html", []Series{{Label: "PoW", Trace: pow, Metrics: pm}, {Label: "PoS", Trace: pos, Metrics: sm}}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteTable(&buf, []*Metrics{pm, sm}); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.Contains(out, "block interval mean") || !strings.Contains(out, "[") || !strings.Contains(out, "cores") {
		t.Fatalf("table:\n%s", out)
	}
	t.Logf("\n%s", out)
}
