package sim

import (
	"math"
	"os"
	"testing"
)

// TestValidateQuick is the CI version of `chainlab sim validate --quick`: the simulator's
// numbers must agree with the literature within the run's confidence intervals (or a
// stated tolerance where the quick sample is small).
func TestValidateQuick(t *testing.T) {
	r, err := Validate(ValidateOptions{Quick: true, Vectors: "testdata/stale-rate"})
	if err != nil {
		t.Fatal(err)
	}
	if testing.Verbose() {
		os.Stdout.WriteString(r.Markdown())
	}
	for _, s := range r.Selfish {
		if math.Abs(s.Sim.Value-s.Theory) > 0.05 {
			t.Errorf("selfish α=%.2f γ=%.1f: simulated %.4f, Eyal-Sirer %.4f", s.Alpha, s.Gamma, s.Sim.Value, s.Theory)
		}
	}
	miss := 0
	for _, c := range r.CatchUp {
		if c.Exact < c.Sim.Lo-1e-9 || c.Exact > c.Sim.Hi+1e-9 {
			miss++
		}
	}
	if miss > 2 { // 95 % intervals: a couple of misses in 18 rows is chance
		t.Errorf("catch-up: exact value outside the simulated 95%% interval in %d of %d rows", miss, len(r.CatchUp))
	}
	// The one-delay model 1 − e^(−d/T) counts every block found within d of another as
	// stale: an upper bound that is tight for small d/T.
	for _, s := range r.Stale {
		if s.Sim.Lo > s.Analytic+0.02 || s.Sim.Hi < 0.6*s.Analytic {
			t.Errorf("stale d/T=%.3f: simulated %.4f [%.4f, %.4f], one-delay model %.4f", s.Ratio, s.Sim.Value, s.Sim.Lo, s.Sim.Hi, s.Analytic)
		}
	}
	if f := r.Finality.Epochs; f.N == 0 || math.Abs(f.Value-2) > 0.25 {
		t.Errorf("time to finality %.3f epochs over %d checkpoints, want 2 (Gasper)", f.Value, f.N)
	}
	if err := r.Plot(t.TempDir()); err != nil {
		t.Fatal(err)
	}
}

func TestClosedForms(t *testing.T) {
	// Eyal & Sirer: revenue equals α at the γ-dependent threshold: 1/3 for γ=0, 1/4 for γ=0.5.
	if d := SelfishRevenue(1.0/3, 0) - 1.0/3; math.Abs(d) > 1e-12 {
		t.Errorf("γ=0 threshold: R(1/3) − 1/3 = %g", d)
	}
	if d := SelfishRevenue(0.25, 0.5) - 0.25; math.Abs(d) > 1e-12 {
		t.Errorf("γ=0.5 threshold: R(1/4) − 1/4 = %g", d)
	}
	// Nakamoto's table: q=0.1, z=5 → 0.0009137; q=0.3, z=10 → 0.0416605.
	if v := NakamotoCatchUp(0.1, 5); math.Abs(v-0.0009137) > 1e-7 {
		t.Errorf("Nakamoto q=0.1 z=5 = %.7f, want 0.0009137", v)
	}
	if v := NakamotoCatchUp(0.3, 10); math.Abs(v-0.0416605) > 1e-7 {
		t.Errorf("Nakamoto q=0.3 z=10 = %.7f, want 0.0416605", v)
	}
	// Exact form: P(1) = q/p·... for z=1 it is 2q (attacker needs one block before two honest): 1-(p-q) = 2q.
	if v := ExactCatchUp(0.1, 1); math.Abs(v-0.2) > 1e-12 {
		t.Errorf("exact q=0.1 z=1 = %g, want 0.2", v)
	}
}
