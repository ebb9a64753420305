package staking

import (
	"encoding/binary"
	"runtime"
	"syscall"
	"testing"
	"time"

	"chainlab/chain"
	"chainlab/genesis"
)

func benchVotes(b *testing.B, n int) []chain.Vote {
	b.Helper()
	votes := make([]chain.Vote, n)
	for i := range votes {
		k := genesis.DevKey("validator", i)
		votes[i] = chain.Vote{Validator: genesis.XOnly(k), Slot: uint64(i % 8), Head: chain.Hash{byte(i)}, Target: chain.Checkpoint{Epoch: 0}}
		votes[i].Sig, _ = chain.SignHash(k, votes[i].SigningHash())
	}
	return votes
}

// BenchmarkVerifyVotes measures BIP-340 vote verification (btcec/v2 has no batch
// verification for BIP-340, so the engine verifies in parallel). Reports votes/s.
func BenchmarkVerifyVotes(b *testing.B) {
	votes := benchVotes(b, 1024)
	keys := &pubKeys{}
	for _, c := range []struct {
		name    string
		workers int
		keys    *pubKeys
	}{{"serial/parse", 1, nil}, {"serial/cachedkeys", 1, keys}, {"parallel/cachedkeys", runtime.GOMAXPROCS(0), keys}} {
		w := c.workers
		b.Run(c.name+"/workers="+itoa(w), func(b *testing.B) {
			cpu0 := cpuTime()
			for i := 0; i < b.N; i++ {
				if bad := verifyVotes(votes, w, nil, c.keys); bad >= 0 {
					b.Fatal("bad vote", bad)
				}
			}
			n := float64(len(votes) * b.N)
			b.ReportMetric(n/b.Elapsed().Seconds(), "votes/s")
			// Per CPU-second: stable on a machine shared with other work.
			if d := (cpuTime() - cpu0).Seconds(); d > 0 {
				b.ReportMetric(n/d, "votes/cpu-s")
			}
		})
	}
}

// cpuTime is this process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func itoa(i int) string {
	var b [20]byte
	n := len(b)
	for {
		n--
		b[n] = byte('0' + i%10)
		i /= 10
		if i == 0 {
			return string(b[n:])
		}
	}
}

// BenchmarkChooseHead1000x10000: LMD-GHOST over a 10,000-block tree (a main chain with a
// 3-block side branch every 50 blocks) with 1,000 validators' latest votes spread over
// the last 200 blocks.
func BenchmarkChooseHead1000x10000(b *testing.B) {
	p := genesis.PosDev(1000)
	e, err := NewEngine(p)
	if err != nil {
		b.Fatal(err)
	}
	t := newMemTree(e)
	h := func(i int) chain.Hash {
		var x chain.Hash
		binary.LittleEndian.PutUint64(x[:], uint64(i)+1)
		x[31] = 0xbb
		return x
	}
	hdr := &chain.Header{Version: 1}
	parent := e.gHash
	var main []chain.Hash
	id := 0
	for len(t.headers) < 10_000 {
		id++
		x := h(id)
		t.add(x, hdr, parent, e.gState)
		main = append(main, x)
		if id%50 == 0 {
			sp := parent
			for j := 0; j < 3; j++ {
				id++
				s := h(id)
				t.add(s, hdr, sp, e.gState)
				sp = s
			}
		}
		parent = x
	}
	t.tip = parent
	for i := 0; i < 1000; i++ {
		key := genesis.XOnly(genesis.DevKey("validator", i))
		e.fc.latest[key] = latestMsg{epoch: 1, root: main[len(main)-1-(i%200)]}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		head, err := e.ChooseHead(t)
		if err != nil || head != t.tip {
			b.Fatalf("head %s err %v", head, err)
		}
	}
	b.ReportMetric(float64(len(t.headers)), "blocks")
}

// BenchmarkEpochTransition: end-of-epoch processing (FFG, rewards for 1,000 voters, the
// next validator set and committees) on a 1,000-validator state.
func BenchmarkEpochTransition(b *testing.B) {
	e, err := NewEngine(genesis.PosDev(1000))
	if err != nil {
		b.Fatal(err)
	}
	s := e.gState.advance(e.pos, 1, e.gHash, e.gHash)
	var hit bitset
	for i := 0; i < 1000; i++ {
		hit = hit.with(i)
	}
	s.curHit, s.prevHit = hit, hit
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		s.advance(e.pos, 2, e.gHash, e.gHash)
	}
}

// BenchmarkStateEncode: the per-block persisted encoding of a 1,000-validator state.
func BenchmarkStateEncode(b *testing.B) {
	e, err := NewEngine(genesis.PosDev(1000))
	if err != nil {
		b.Fatal(err)
	}
	s := e.gState.advance(e.pos, 2, e.gHash, e.gHash)
	b.ResetTimer()
	var n int
	for i := 0; i < b.N; i++ {
		n = len(s.Encode())
	}
	b.ReportMetric(float64(n), "bytes")
}
