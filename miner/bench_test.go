package miner

import (
	"crypto/sha256"
	"math/big"
	"runtime"
	"sync"
	"testing"
	"time"

	"chainlab/chain"
)

func benchWork() *work {
	var w work
	hd := chain.Header{Version: 1, Time: 1_700_000_000, Bits: 0x1d00ffff}
	w.setHeader(&hd, big.NewInt(1)) // never met: pure nonce loop
	return &w
}

// BenchmarkNonceLoop reports hashes/s per core of the miner's nonce loop (SHA-NI when
// available). One op is one nonce.
func BenchmarkNonceLoop(b *testing.B) {
	for _, hs := range testHashers() {
		b.Run(hs.name(), func(b *testing.B) {
			w := benchWork()
			b.ReportAllocs()
			b.ResetTimer()
			c0 := cpuTime()
			var start uint32
			for done := 0; done < b.N; {
				n := min(b.N-done, 1<<16)
				hs.scan(w, start, uint32(n))
				start += uint32(n)
				done += n
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds()/1e6, "MH/s")
			// Per CPU second: what one core delivers even when the machine is shared.
			b.ReportMetric(float64(b.N)/(cpuTime()-c0).Seconds()/1e6, "MH/cpu-s")
		})
	}
}

// BenchmarkNaiveDoubleSHA is the baseline: sha256.Sum256(sha256.Sum256(header)).
func BenchmarkNaiveDoubleSHA(b *testing.B) {
	var hdr [80]byte
	var sink [32]byte
	c0 := cpuTime()
	for i := 0; i < b.N; i++ {
		hdr[76] = byte(i)
		first := sha256.Sum256(hdr[:])
		sink = sha256.Sum256(first[:])
	}
	_ = sink
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds()/1e6, "MH/s")
	b.ReportMetric(float64(b.N)/(cpuTime()-c0).Seconds()/1e6, "MH/cpu-s")
}

// BenchmarkCompression is the raw single-stream speed of the SHA-256 compression in the
// standard library (its SHA-NI block function on this CPU): 4 KiB writes, so call overhead
// is amortised over 64 blocks. One op is one compression.
func BenchmarkCompression(b *testing.B) {
	h := sha256.New()
	var buf [4096]byte
	b.SetBytes(64)
	c0 := cpuTime()
	for done := 0; done < b.N; done += 64 {
		h.Write(buf[:])
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds()/1e6, "Mcompress/s")
	b.ReportMetric(float64(b.N)/(cpuTime()-c0).Seconds()/1e6, "Mcompress/cpu-s")
}

// BenchmarkNonceLoopThreads runs the nonce loop on 1 and GOMAXPROCS goroutines with
// per-worker counters and reports the total rate.
func BenchmarkNonceLoopThreads(b *testing.B) {
	hs := newHasher()
	for _, threads := range []int{1, runtime.GOMAXPROCS(0)} {
		b.Run(map[bool]string{true: "1", false: "N"}[threads == 1], func(b *testing.B) {
			per := b.N/threads + 1
			var wg sync.WaitGroup
			t0, c0 := time.Now(), cpuTime()
			for i := 0; i < threads; i++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					w := benchWork()
					var start uint32
					for done := 0; done < per; {
						n := min(per-done, 1<<16)
						hs.scan(w, start, uint32(n))
						start += uint32(n)
						done += n
					}
				}()
			}
			wg.Wait()
			b.ReportMetric(float64(per*threads)/time.Since(t0).Seconds()/1e6, "MH/s")
			// Equal per-CPU-second rates for 1 and N threads mean no contention between
			// workers: scaling is then bounded only by the cores the machine has free.
			b.ReportMetric(float64(per*threads)/(cpuTime()-c0).Seconds()/1e6, "MH/cpu-s")
		})
	}
}
