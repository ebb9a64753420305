package lab

import (
	"math"
	"math/rand/v2"
	"testing"
)

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

func TestTQuantileTable(t *testing.T) {
	// Two-sided 95 % critical values from any t table.
	for _, c := range []struct{ df, want float64 }{
		{1, 12.706}, {2, 4.303}, {5, 2.571}, {10, 2.228}, {30, 2.042}, {100, 1.984}, {1e6, 1.960},
	} {
		if got := TQuantile(0.975, c.df); !near(got, c.want, 0.001) {
			t.Errorf("t(0.975, %v) = %.4f, want %.3f", c.df, got, c.want)
		}
	}
	if got := TQuantile(0.025, 10); !near(got, -2.228, 0.001) {
		t.Errorf("lower tail %v", got)
	}
}

func TestMeanCI(t *testing.T) {
	xs := []float64{2, 4, 4, 4, 5, 5, 7, 9}
	e := MeanCI(xs)
	// mean 5, s = 2.138, t(7) = 2.3646: half-width 1.7875
	if !near(e.Value, 5, 1e-12) || !near(e.HalfWidth(), 2.3646*2.13809/math.Sqrt(8), 1e-3) {
		t.Fatalf("%+v", e)
	}
	if e := MeanCI(nil); !math.IsNaN(e.Value) || e.Valid() {
		t.Fatal("empty sample must be NaN")
	}
	// Coverage: about 95 % of intervals from normal samples contain the true mean.
	rng := rand.New(rand.NewPCG(1, 2))
	hit := 0
	const trials = 2000
	for i := 0; i < trials; i++ {
		s := make([]float64, 10)
		for j := range s {
			s[j] = 3 + rng.NormFloat64()
		}
		if e := MeanCI(s); e.Lo <= 3 && 3 <= e.Hi {
			hit++
		}
	}
	if cov := float64(hit) / trials; cov < 0.93 || cov > 0.97 {
		t.Fatalf("coverage %.3f, want ~0.95", cov)
	}
}

func TestWilson(t *testing.T) {
	// Known values: 5/10 → [0.2366, 0.7634]; 0/20 → [0, 0.1611].
	e := WilsonCI(5, 10)
	if !near(e.Lo, 0.2366, 1e-4) || !near(e.Hi, 0.7634, 1e-4) {
		t.Fatalf("%+v", e)
	}
	e = WilsonCI(0, 20)
	if e.Lo != 0 || !near(e.Hi, 0.1611, 1e-4) {
		t.Fatalf("%+v", e)
	}
}

func TestPercentile(t *testing.T) {
	xs := []float64{15, 20, 35, 40, 50}
	for _, c := range []struct{ p, want float64 }{{0, 15}, {25, 20}, {50, 35}, {75, 40}, {100, 50}, {40, 29}} {
		if got := Percentile(xs, c.p); !near(got, c.want, 1e-9) {
			t.Errorf("p%v = %v, want %v", c.p, got, c.want)
		}
	}
	if xs[0] != 15 || xs[4] != 50 {
		t.Fatal("input modified")
	}
}

func TestBootstrapDeterministicAndCovers(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	xs := make([]float64, 200)
	for i := range xs {
		xs[i] = rng.ExpFloat64()
	}
	a := PercentileCI(xs, 50, 7)
	b := PercentileCI(xs, 50, 7)
	if a != b {
		t.Fatal("bootstrap not deterministic for a seed")
	}
	// true median of Exp(1) is ln 2
	if !(a.Lo < math.Ln2 && math.Ln2 < a.Hi) || a.Lo > a.Value || a.Value > a.Hi {
		t.Fatalf("%+v does not cover ln2", a)
	}
}

func TestRateCI(t *testing.T) {
	// 10 events per second, evenly, for 100 s.
	var ts []float64
	for i := 0; i < 1000; i++ {
		ts = append(ts, float64(i)/10)
	}
	e := RateCI(ts, 100, 5)
	if !near(e.Value, 10, 1e-9) || e.HalfWidth() > 1e-6 {
		t.Fatalf("%+v", e)
	}
	// Bursty: all events in the first half → wide interval.
	e = RateCI(ts[:500], 100, 5)
	if !near(e.Value, 5, 1e-9) || e.HalfWidth() < 2 {
		t.Fatalf("bursty %+v", e)
	}
}

func TestFairnessIndices(t *testing.T) {
	if j := JainIndex([]float64{1, 1, 1, 1}); j != 1 {
		t.Fatal(j)
	}
	if j := JainIndex([]float64{4, 0, 0, 0}); !near(j, 0.25, 1e-12) {
		t.Fatal(j)
	}
	if g := Gini([]float64{1, 1, 1}); !near(g, 0, 1e-12) {
		t.Fatal(g)
	}
	if g := Gini([]float64{0, 0, 0, 1}); !near(g, 0.75, 1e-12) {
		t.Fatal(g)
	}
}

func TestRatioCI(t *testing.T) {
	num := []float64{2, 4, 6, 8}
	den := []float64{1, 2, 3, 4}
	e := RatioCI(num, den, 1)
	if e.Value != 2 || e.Lo != 2 || e.Hi != 2 {
		t.Fatalf("%+v", e)
	}
}

func TestEstimateJSONNaN(t *testing.T) {
	b, err := MeanCI(nil).MarshalJSON()
	if err != nil || string(b) != `{"value":null,"lo":null,"hi":null,"n":0}` {
		t.Fatalf("%s %v", b, err)
	}
	var e Estimate
	if err := e.UnmarshalJSON(b); err != nil || !math.IsNaN(e.Value) {
		t.Fatal(e, err)
	}
}

func TestPercentileCICoverage(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 9))
	hit := 0
	const trials = 1000
	for i := 0; i < trials; i++ {
		s := make([]float64, 60)
		for j := range s {
			s[j] = rng.ExpFloat64()
		}
		// true p90 of Exp(1) is ln 10
		if e := PercentileCI(s, 90, 0); e.Lo <= math.Ln10 && math.Ln10 <= e.Hi {
			hit++
		}
	}
	if cov := float64(hit) / trials; cov < 0.92 || cov > 0.99 {
		t.Fatalf("coverage %.3f, want ~0.95", cov)
	}
}
