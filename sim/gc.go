package sim

import (
	"runtime"
	"runtime/metrics"
)

// gcPacer paces garbage collection for runs with many nodes. Each node's goleveldb
// memory table reserves its 16 MiB write buffer up front (chain's store options); the
// reservations are never touched, so they cost no RSS, but they count as live heap, and
// Go's default pacing (collect when the heap has grown by GOGC % of the live heap) would
// let gigabytes of real garbage pile up before collecting at a thousand nodes. The pacer
// measures the live heap right after setup (mostly those reservations) as a baseline and
// collects whenever the bytes allocated since the last collection exceed a quarter of the
// live heap above that baseline (at least 256 MiB): GOGC=25 on the heap really used.
// Collection work then stays proportional to allocation, and RSS near the live data.
type gcPacer struct {
	off          bool
	base         uint64 // live heap after setup
	allocsAtLast uint64
	budget       uint64
	samples      []metrics.Sample
	count        int
}

func newGCPacer(every int) *gcPacer {
	p := &gcPacer{off: every < 0}
	if p.off {
		return p
	}
	p.samples = []metrics.Sample{{Name: "/gc/heap/allocs:bytes"}, {Name: "/gc/heap/live:bytes"}}
	p.collect()
	p.base = p.samples[1].Value.Uint64()
	p.budget = 256 << 20
	return p
}

func (p *gcPacer) collect() {
	p.count++
	runtime.GC()
	metrics.Read(p.samples)
	p.allocsAtLast = p.samples[0].Value.Uint64()
	live := p.samples[1].Value.Uint64()
	p.budget = 256 << 20
	if live > p.base && (live-p.base)/4 > p.budget {
		p.budget = (live - p.base) / 4
	}
}

// maybe is called every 4096 events.
func (p *gcPacer) maybe() {
	if p.off {
		return
	}
	metrics.Read(p.samples[:1])
	if p.samples[0].Value.Uint64()-p.allocsAtLast > p.budget {
		p.collect()
	}
}
