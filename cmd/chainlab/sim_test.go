package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"
)

func runSim(t *testing.T, args ...string) (string, error) {
	t.Helper()
	app := newApp()
	var out bytes.Buffer
	app.Writer = &out
	app.ErrWriter = &bytes.Buffer{}
	app.ExitErrHandler = func(*cli.Context, error) {}
	err := app.Run(append([]string{"chainlab", "sim"}, args...))
	return out.String(), err
}

// TestSimCommand: `chainlab sim` writes the lab's run directory, and the same seed gives
// the same metrics.json bytes.
func TestSimCommand(t *testing.T) {
	dir := t.TempDir()
	manifest := filepath.Join("..", "..", "examples", "pow.toml")
	var metrics [2][]byte
	for i := range metrics {
		out := filepath.Join(dir, []string{"a", "b"}[i])
		stdout, err := runSim(t, "--seed", "3", "--out", out, manifest)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(stdout, "stale rate") || !strings.Contains(stdout, "virtual time") {
			t.Fatalf("output lacks the metrics table:\n%s", stdout)
		}
		for _, f := range []string{"metrics.json", "trace.json", "blocks.csv", "report.html"} {
			if _, err := os.Stat(filepath.Join(out, f)); err != nil {
				t.Fatalf("run dir: %v", err)
			}
		}
		metrics[i], err = os.ReadFile(filepath.Join(out, "metrics.json"))
		if err != nil {
			t.Fatal(err)
		}
	}
	if !bytes.Equal(metrics[0], metrics[1]) {
		t.Fatal("same manifest and seed gave different metrics.json")
	}
	if _, err := runSim(t, filepath.Join(dir, "missing.toml")); err == nil {
		t.Fatal("a missing manifest was accepted")
	}
}
