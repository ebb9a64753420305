package staking

import (
	"encoding/json"
	"os"
	"testing"

	"chainlab/chain"
)

type ffgVectors struct {
	Cases []struct {
		Name         string `json:"name"`
		Note         string `json:"note"`
		CurrentEpoch uint64 `json:"current_epoch"`
		Pre          *struct {
			PrevJustified uint64 `json:"previous_justified"`
			CurJustified  uint64 `json:"current_justified"`
			Finalized     uint64 `json:"finalized"`
			PreBits       []int  `json:"pre_bits"`
		} `json:"pre"`
		Votes []struct {
			TargetEpoch uint64 `json:"target_epoch"`
			SourceEpoch uint64 `json:"source_epoch"`
			Support     string `json:"support"`
			TargetRoot  string `json:"target_root"`
		} `json:"votes"`
		Expect struct {
			PrevJustified uint64 `json:"previous_justified"`
			CurJustified  uint64 `json:"current_justified"`
			Finalized     uint64 `json:"finalized"`
			PostBits      []int  `json:"post_bits"`
		} `json:"expect"`
	} `json:"cases"`
}

func rootOf(e uint64) chain.Hash { return chain.Hash{byte(e), byte(e >> 8), 0xcc} }

func cp(e uint64) chain.Checkpoint { return chain.Checkpoint{Epoch: e, Root: rootOf(e)} }

func bitsOf(b []int) uint8 {
	var out uint8
	for i, v := range b {
		if v != 0 {
			out |= 1 << i
		}
	}
	return out
}

// TestFFGVectors runs the consensus-specs justification/finalization cases (reduced to
// epochs, testdata/justification_finalization.json) against the FFG function.
func TestFFGVectors(t *testing.T) {
	data, err := os.ReadFile("testdata/justification_finalization.json")
	if err != nil {
		t.Fatal(err)
	}
	var vec ffgVectors
	if err := json.Unmarshal(data, &vec); err != nil {
		t.Fatal(err)
	}
	const total = 300
	ran := 0
	for _, c := range vec.Cases {
		if c.Pre == nil {
			continue // descriptive case, covered by TestFFGExitedValidatorsNotCounted
		}
		ran++
		t.Run(c.Name, func(t *testing.T) {
			f := FFG{PrevJustified: cp(c.Pre.PrevJustified), CurJustified: cp(c.Pre.CurJustified), Finalized: cp(c.Pre.Finalized), Bits: bitsOf(c.Pre.PreBits)}
			var prevT, curT uint64
			for _, v := range c.Votes {
				s := uint64(200) // exactly 2/3
				if v.Support == "poor" {
					s = 199
				}
				if v.TargetRoot != "" {
					s = 0 // votes for a wrong target root do not count
				}
				switch v.TargetEpoch {
				case c.CurrentEpoch:
					curT += s
				case c.CurrentEpoch - 1:
					prevT += s
				default:
					t.Fatalf("vote target %d outside current %d", v.TargetEpoch, c.CurrentEpoch)
				}
			}
			got := ProcessJustificationAndFinalization(f, c.CurrentEpoch, total, prevT, curT, rootOf(c.CurrentEpoch-1), rootOf(c.CurrentEpoch))
			want := FFG{PrevJustified: cp(c.Expect.PrevJustified), CurJustified: cp(c.Expect.CurJustified), Finalized: cp(c.Expect.Finalized), Bits: bitsOf(c.Expect.PostBits)}
			if got != want {
				t.Fatalf("got prev %d cur %d fin %d bits %04b; want prev %d cur %d fin %d bits %04b",
					got.PrevJustified.Epoch, got.CurJustified.Epoch, got.Finalized.Epoch, got.Bits,
					want.PrevJustified.Epoch, want.CurJustified.Epoch, want.Finalized.Epoch, want.Bits)
			}
		})
	}
	if ran != 9 {
		t.Fatalf("ran %d vector cases, want 9", ran)
	}
}

// TestFFGSteadyState checks the derived steady states: full participation finalizes E-1 at
// the end of epoch E; previous-epoch-only votes finalize E-3; 199/300 never justifies.
func TestFFGSteadyState(t *testing.T) {
	run := func(prevOnly bool, support uint64) FFG {
		f := FFG{PrevJustified: cp(0), CurJustified: cp(0), Finalized: cp(0)}
		for e := uint64(0); e <= 10; e++ {
			var prevT, curT uint64
			if prevOnly {
				prevT = support
			} else {
				prevT, curT = support, support
			}
			f = ProcessJustificationAndFinalization(f, e, 300, prevT, curT, rootOf(e-1), rootOf(e))
			if e >= 3 && support >= 200 {
				wantJ, wantF := e, e-1
				if prevOnly {
					wantJ, wantF = e-1, e-3
				}
				if f.CurJustified.Epoch != wantJ || f.Finalized.Epoch != wantF {
					t.Fatalf("prevOnly=%v epoch %d: justified %d finalized %d, want %d %d", prevOnly, e, f.CurJustified.Epoch, f.Finalized.Epoch, wantJ, wantF)
				}
			}
		}
		return f
	}
	run(false, 300)
	run(true, 300)
	run(false, 200)
	if f := run(false, 199); f.CurJustified.Epoch != 0 || f.Finalized.Epoch != 0 {
		t.Fatalf("199/300 justified %d finalized %d", f.CurJustified.Epoch, f.Finalized.Epoch)
	}
}

// TestFFGExitedValidatorsNotCounted is the spec's test_balance_threshold_with_exited_validators:
// validators that exit in the current epoch are outside the total and their votes do not
// count, so 3 of 5 active (60%) does not justify, though 7 of 9 would have.
func TestFFGExitedValidatorsNotCounted(t *testing.T) {
	var l valList
	s := &State{index: map[[32]byte]uint32{}}
	const c = 5
	for i := 0; i < 9; i++ {
		v := Validator{Key: [32]byte{byte(i + 1)}, Balance: 100, Bonded: 100, Exit: FarFuture}
		if i >= 5 {
			v.Exit = c // exits at the current epoch: not active in it
		}
		l = l.appendVal(v)
	}
	s.vals = l
	s.curInfo = snapshot(l, c, chain.Hash{}, 8)
	if s.curInfo.Total != 500 || len(s.curInfo.Active) != 5 {
		t.Fatalf("active total %d of %d validators, want 500 of 5", s.curInfo.Total, len(s.curInfo.Active))
	}
	var hit bitset
	for _, i := range []int{0, 1, 2, 5, 6, 7, 8} {
		hit = hit.with(i)
	}
	got := s.attestingStake(s.curInfo, hit)
	if got != 300 {
		t.Fatalf("attesting stake %d, want 300 (exited votes excluded)", got)
	}
	f := ProcessJustificationAndFinalization(FFG{PrevJustified: cp(3), CurJustified: cp(4), Finalized: cp(3), Bits: 1}, c, s.curInfo.Total, 0, got, rootOf(c-1), rootOf(c))
	if f.CurJustified.Epoch == c {
		t.Fatal("current epoch justified with 60% of active stake")
	}
}

func TestSupermajority(t *testing.T) {
	cases := []struct {
		s, tot uint64
		want   bool
	}{{200, 300, true}, {199, 300, false}, {2, 3, true}, {0, 0, true}, {1 << 63, 1<<63 + 1<<62, true}, {^uint64(0)/3*2 - 5, ^uint64(0) / 3 * 3, false}}
	for _, c := range cases {
		if got := Supermajority(c.s, c.tot); got != c.want {
			t.Errorf("Supermajority(%d, %d) = %v", c.s, c.tot, got)
		}
	}
}

func TestFFGNoActiveStakeJustifiesNothing(t *testing.T) {
	f := ProcessJustificationAndFinalization(FFG{PrevJustified: cp(1), CurJustified: cp(2), Bits: 3}, 3, 0, 0, 0, rootOf(2), rootOf(3))
	if f.CurJustified.Epoch != 2 || f.Bits != 6 {
		t.Fatalf("zero stake: justified %d bits %04b", f.CurJustified.Epoch, f.Bits)
	}
}
