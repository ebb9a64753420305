package lab

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"sort"
)

// Estimate is a point estimate with a 95 % confidence interval. Method names how the
// interval was computed ("t", "wilson", "bootstrap", "batch-means", "exact" for a value
// with no sampling error, or "" when N is too small to say anything).
type Estimate struct {
	Value  float64 `json:"value"`
	Lo     float64 `json:"lo"`
	Hi     float64 `json:"hi"`
	N      int     `json:"n"`
	Method string  `json:"method,omitempty"`
}

// Valid reports whether the estimate has data.
func (e Estimate) Valid() bool { return e.N > 0 && !math.IsNaN(e.Value) }

// HalfWidth is half the width of the interval.
func (e Estimate) HalfWidth() float64 { return (e.Hi - e.Lo) / 2 }

// Scale multiplies value and bounds by k.
func (e Estimate) Scale(k float64) Estimate {
	e.Value *= k
	e.Lo *= k
	e.Hi *= k
	if e.Lo > e.Hi {
		e.Lo, e.Hi = e.Hi, e.Lo
	}
	return e
}

// Mean returns the arithmetic mean (NaN for no data).
func Mean(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	var s float64
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

// StdDev returns the sample standard deviation (n-1 denominator; 0 for n < 2).
func StdDev(xs []float64) float64 {
	if len(xs) < 2 {
		return 0
	}
	m := Mean(xs)
	var s float64
	for _, x := range xs {
		s += (x - m) * (x - m)
	}
	return math.Sqrt(s / float64(len(xs)-1))
}

// Percentile returns the p-th percentile (0..100) with linear interpolation between order
// statistics (R type 7, NumPy's default). It does not modify xs.
func Percentile(xs []float64, p float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	return percentileSorted(s, p)
}

func percentileSorted(s []float64, p float64) float64 {
	if len(s) == 1 {
		return s[0]
	}
	h := (p / 100) * float64(len(s)-1)
	if h <= 0 {
		return s[0]
	}
	if h >= float64(len(s)-1) {
		return s[len(s)-1]
	}
	lo := math.Floor(h)
	return s[int(lo)] + (h-lo)*(s[int(lo)+1]-s[int(lo)])
}

// MeanCI is the mean with a Student-t 95 % interval.
func MeanCI(xs []float64) Estimate {
	n := len(xs)
	if n == 0 {
		return Estimate{Value: math.NaN(), Lo: math.NaN(), Hi: math.NaN()}
	}
	m := Mean(xs)
	if n == 1 {
		return Estimate{Value: m, Lo: m, Hi: m, N: 1}
	}
	hw := TQuantile(0.975, float64(n-1)) * StdDev(xs) / math.Sqrt(float64(n))
	return Estimate{Value: m, Lo: m - hw, Hi: m + hw, N: n, Method: "t"}
}

// WilsonCI is the proportion k/n with the Wilson score 95 % interval.
func WilsonCI(k, n int) Estimate {
	if n <= 0 {
		return Estimate{Value: math.NaN(), Lo: math.NaN(), Hi: math.NaN()}
	}
	const z = 1.959963984540054
	p := float64(k) / float64(n)
	nf := float64(n)
	den := 1 + z*z/nf
	c := (p + z*z/(2*nf)) / den
	hw := z * math.Sqrt(p*(1-p)/nf+z*z/(4*nf*nf)) / den
	return Estimate{Value: p, Lo: math.Max(0, c-hw), Hi: math.Min(1, c+hw), N: n, Method: "wilson"}
}

// BootstrapCI is stat(xs) with a percentile-bootstrap 95 % interval from b resamples
// drawn from a generator seeded with seed (so reports are reproducible).
func BootstrapCI(xs []float64, stat func([]float64) float64, b int, seed uint64) Estimate {
	n := len(xs)
	if n == 0 {
		return Estimate{Value: math.NaN(), Lo: math.NaN(), Hi: math.NaN()}
	}
	v := stat(xs)
	if n == 1 {
		return Estimate{Value: v, Lo: v, Hi: v, N: 1}
	}
	rng := rand.New(rand.NewPCG(seed, 0x626f6f74))
	res := make([]float64, b)
	buf := make([]float64, n)
	for i := range res {
		for j := range buf {
			buf[j] = xs[rng.IntN(n)]
		}
		res[i] = stat(buf)
	}
	sort.Float64s(res)
	return Estimate{Value: v, Lo: percentileSorted(res, 2.5), Hi: percentileSorted(res, 97.5), N: n, Method: "bootstrap"}
}

// PercentileCI is the p-th percentile with a distribution-free 95 % interval from order
// statistics: the ranks n·q ± 1.96·sqrt(n·q·(1−q)) (the normal approximation to the
// binomial count of observations below the true quantile), rounded outwards and clamped
// to the sample. One sort, so it scales to the millions of sightings the simulator
// records. seed is unused (kept so callers need not care which method runs).
func PercentileCI(xs []float64, p float64, seed uint64) Estimate {
	n := len(xs)
	if n == 0 {
		return Estimate{Value: math.NaN(), Lo: math.NaN(), Hi: math.NaN()}
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	v := percentileSorted(s, p)
	if n == 1 {
		return Estimate{Value: v, Lo: v, Hi: v, N: 1}
	}
	const z = 1.959963984540054
	q := p / 100
	nf := float64(n)
	hw := z * math.Sqrt(nf*q*(1-q))
	lo := int(math.Floor(nf*q-hw)) - 1 // 0-based rank
	hi := int(math.Ceil(nf*q+hw)) - 1
	lo = min(max(lo, 0), n-1)
	hi = min(max(hi, 0), n-1)
	return Estimate{Value: v, Lo: math.Min(s[lo], v), Hi: math.Max(s[hi], v), N: n, Method: "order-statistic"}
}

// RateCI estimates a rate (events per second) from event times in [0, span) by batch
// means: the span is cut into windows (up to 10, each at least minWindow long) and the
// interval is the t interval of the per-window rates. Unlike a Poisson interval it stays
// honest when events come in bursts (transactions arrive a block at a time).
func RateCI(times []float64, span, minWindow float64) Estimate {
	if span <= 0 {
		return Estimate{Value: math.NaN(), Lo: math.NaN(), Hi: math.NaN()}
	}
	w := 10
	for w > 2 && span/float64(w) < minWindow {
		w--
	}
	counts := make([]float64, w)
	width := span / float64(w)
	for _, t := range times {
		if t < 0 || t >= span {
			continue
		}
		k := int(t / width)
		if k >= w {
			k = w - 1
		}
		counts[k]++
	}
	for i := range counts {
		counts[i] /= width
	}
	e := MeanCI(counts)
	e.Value = float64(countIn(times, span)) / span
	e.Lo = math.Max(0, e.Lo)
	e.N = countIn(times, span)
	e.Method = "batch-means"
	return e
}

func countIn(times []float64, span float64) int {
	n := 0
	for _, t := range times {
		if t >= 0 && t < span {
			n++
		}
	}
	return n
}

// RatioCI estimates sum(num)/sum(den) over paired observations (e.g. CPU seconds per
// block, per window) with a bootstrap interval over the pairs.
func RatioCI(num, den []float64, seed uint64) Estimate {
	n := len(num)
	if n == 0 || n != len(den) {
		return Estimate{Value: math.NaN(), Lo: math.NaN(), Hi: math.NaN()}
	}
	ratio := func(idx []int) float64 {
		var a, b float64
		for _, i := range idx {
			a += num[i]
			b += den[i]
		}
		if b == 0 {
			return math.NaN()
		}
		return a / b
	}
	all := make([]int, n)
	for i := range all {
		all[i] = i
	}
	v := ratio(all)
	if n == 1 {
		return Estimate{Value: v, Lo: v, Hi: v, N: 1}
	}
	rng := rand.New(rand.NewPCG(seed, 0x726174))
	var res []float64
	idx := make([]int, n)
	for r := 0; r < 1000; r++ {
		for j := range idx {
			idx[j] = rng.IntN(n)
		}
		if x := ratio(idx); !math.IsNaN(x) {
			res = append(res, x)
		}
	}
	if len(res) == 0 {
		return Estimate{Value: v, Lo: v, Hi: v, N: n}
	}
	sort.Float64s(res)
	return Estimate{Value: v, Lo: percentileSorted(res, 2.5), Hi: percentileSorted(res, 97.5), N: n, Method: "bootstrap"}
}

// JainIndex is Jain's fairness index (Σx)²/(n·Σx²): 1 when all xs are equal, 1/n when one
// takes everything. Applied to produced-share / resource-share ratios it is 1 when every
// node produces exactly in proportion to its hash rate or stake.
func JainIndex(xs []float64) float64 {
	if len(xs) == 0 {
		return math.NaN()
	}
	var s, s2 float64
	for _, x := range xs {
		s += x
		s2 += x * x
	}
	if s2 == 0 {
		return math.NaN()
	}
	return s * s / (float64(len(xs)) * s2)
}

// Gini is the Gini coefficient of non-negative xs (0 = equal, →1 = concentrated).
func Gini(xs []float64) float64 {
	n := len(xs)
	if n == 0 {
		return math.NaN()
	}
	s := append([]float64(nil), xs...)
	sort.Float64s(s)
	var cum, tot float64
	for i, x := range s {
		cum += float64(i+1) * x
		tot += x
	}
	if tot == 0 {
		return 0
	}
	return (2*cum)/(float64(n)*tot) - float64(n+1)/float64(n)
}

// TQuantile returns the p-quantile of Student's t distribution with df degrees of freedom.
func TQuantile(p, df float64) float64 {
	if p == 0.5 {
		return 0
	}
	if p < 0.5 {
		return -TQuantile(1-p, df)
	}
	// Bisection on the CDF; the CDF is monotone and cheap.
	lo, hi := 0.0, 1.0
	for TCDF(hi, df) < p {
		hi *= 2
		if hi > 1e6 {
			return math.Inf(1)
		}
	}
	for i := 0; i < 100; i++ {
		mid := (lo + hi) / 2
		if TCDF(mid, df) < p {
			lo = mid
		} else {
			hi = mid
		}
	}
	return (lo + hi) / 2
}

// TCDF is the CDF of Student's t distribution.
func TCDF(t, df float64) float64 {
	x := df / (df + t*t)
	ib := regIncBeta(df/2, 0.5, x)
	if t >= 0 {
		return 1 - ib/2
	}
	return ib / 2
}

// regIncBeta is the regularized incomplete beta function I_x(a, b) (Numerical Recipes'
// continued fraction).
func regIncBeta(a, b, x float64) float64 {
	if x <= 0 {
		return 0
	}
	if x >= 1 {
		return 1
	}
	lga, _ := math.Lgamma(a)
	lgb, _ := math.Lgamma(b)
	lgab, _ := math.Lgamma(a + b)
	bt := math.Exp(lgab - lga - lgb + a*math.Log(x) + b*math.Log(1-x))
	if x < (a+1)/(a+b+2) {
		return bt * betaCF(a, b, x) / a
	}
	return 1 - bt*betaCF(b, a, 1-x)/b
}

func betaCF(a, b, x float64) float64 {
	const eps, fpmin = 3e-14, 1e-300
	qab, qap, qam := a+b, a+1, a-1
	c, d := 1.0, 1-qab*x/qap
	if math.Abs(d) < fpmin {
		d = fpmin
	}
	d = 1 / d
	h := d
	for m := 1; m <= 300; m++ {
		mf := float64(m)
		m2 := 2 * mf
		aa := mf * (b - mf) * x / ((qam + m2) * (a + m2))
		d = 1 + aa*d
		if math.Abs(d) < fpmin {
			d = fpmin
		}
		c = 1 + aa/c
		if math.Abs(c) < fpmin {
			c = fpmin
		}
		d = 1 / d
		h *= d * c
		aa = -(a + mf) * (qab + mf) * x / ((a + m2) * (qap + m2))
		d = 1 + aa*d
		if math.Abs(d) < fpmin {
			d = fpmin
		}
		c = 1 + aa/c
		if math.Abs(c) < fpmin {
			c = fpmin
		}
		d = 1 / d
		del := d * c
		h *= del
		if math.Abs(del-1) < eps {
			break
		}
	}
	return h
}

// Histogram counts xs into bins of the given width starting at 0 (negative values go to
// bin 0). It returns the counts; bin i covers [i·width, (i+1)·width).
func Histogram(xs []float64, width float64, maxBins int) []int {
	if width <= 0 || len(xs) == 0 {
		return nil
	}
	var out []int
	for _, x := range xs {
		k := int(x / width)
		if k < 0 {
			k = 0
		}
		if k >= maxBins {
			k = maxBins - 1
		}
		for len(out) <= k {
			out = append(out, 0)
		}
		out[k]++
	}
	return out
}

type estimateJSON struct {
	Value  *float64 `json:"value"`
	Lo     *float64 `json:"lo"`
	Hi     *float64 `json:"hi"`
	N      int      `json:"n"`
	Method string   `json:"method,omitempty"`
}

func finitePtr(x float64) *float64 {
	if math.IsNaN(x) || math.IsInf(x, 0) {
		return nil
	}
	return &x
}

func fromPtr(p *float64) float64 {
	if p == nil {
		return math.NaN()
	}
	return *p
}

// MarshalJSON writes NaN and infinite bounds (no data) as null.
func (e Estimate) MarshalJSON() ([]byte, error) {
	return json.Marshal(estimateJSON{Value: finitePtr(e.Value), Lo: finitePtr(e.Lo), Hi: finitePtr(e.Hi), N: e.N, Method: e.Method})
}

// UnmarshalJSON reads null as NaN.
func (e *Estimate) UnmarshalJSON(b []byte) error {
	var j estimateJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*e = Estimate{Value: fromPtr(j.Value), Lo: fromPtr(j.Lo), Hi: fromPtr(j.Hi), N: j.N, Method: j.Method}
	return nil
}
