package sim

import (
	"fmt"
	"testing"

	"chainlab/lab"
)

// partitionManifest is the lab's e2e PoS partition run (lab/e2e_test.go): four equal
// validators split 2|2 half a slot before an epoch boundary, healed 12 s later.
func partitionManifest(t testing.TB, seed int, epochSlots int, at float64) *lab.Manifest {
	t.Helper()
	m, err := lab.ParseManifest([]byte(fmt.Sprintf(`
name = "pos-partition-heal"
consensus = "pos"
seed = %d
duration = "42s"
[pos]
slot = "1s"
epoch_slots = %d
inactivity_leak = false
[nodes]
count = 4
stake = 1000
[network]
topology = "full"
delay = "10ms"
[load]
rate = 3
[[fault]]
at = "%gs"
action = "partition"
a = ["n0", "n1"]
b = ["n2", "n3"]
[[fault]]
at = "%gs"
action = "heal"
`, seed, epochSlots, at, at+12)))
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// TestPoSPartitionHealReconverges: after a 2|2 partition heals, every node ends on one
// tip and finality resumes. The cases are seeds and cut times that did not reconverge
// before the fork choice learned side branches' justification (staking/sidebranch.go):
// one side's branch had justified a later checkpoint (votes cast just before the cut
// reached only it), the other side's nodes never connected it (its latest messages
// weighed 2:2 and lost the hash tie-break), so they never saw its justification, and the
// first side found their branch non-viable: two chains for good, no finality.
func TestPoSPartitionHealReconverges(t *testing.T) {
	cases := []struct {
		seed, epochSlots int
		at               float64
	}{
		{5, 2, 9.5}, {1, 2, 9.5}, {8, 2, 10}, {6, 2, 10.5}, {4, 2, 11}, {8, 2, 19.5}, {3, 4, 10.5},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("seed%d-E%d-at%g", c.seed, c.epochSlots, c.at), func(t *testing.T) {
			res, err := Run(partitionManifest(t, c.seed, c.epochSlots, c.at), 1, Options{})
			if err != nil {
				t.Fatal(err)
			}
			// One chain: every node's tip is on the canonical chain (a node may lack the
			// block produced in the last 10 ms, so tips need not be equal).
			canon := map[string]bool{}
			for _, h := range res.Trace.Canonical {
				canon[h] = true
			}
			for i, tip := range res.Tips {
				if !canon[tip.String()] {
					t.Errorf("node %d ends on %s, off the canonical chain (tip %s)", i, tip,
						res.Trace.Canonical[len(res.Trace.Canonical)-1])
				}
			}
			heal := c.at + 12
			for i := range res.Tips {
				resumed := false
				for _, f := range res.Trace.Finality {
					resumed = resumed || (f.Node == i && f.At > heal)
				}
				if !resumed {
					t.Errorf("node %d finalized nothing after the heal", i)
				}
			}
			var p *lab.FaultOutcome
			for i := range res.Metrics.Faults {
				if res.Metrics.Faults[i].Action == lab.FaultPartition {
					p = &res.Metrics.Faults[i]
				}
			}
			if p == nil {
				t.Fatal("no partition outcome")
			}
			if p.FinalityAdvanced {
				t.Errorf("finality advanced during a 2|2 partition: %+v", p)
			}
			if p.FinalityResumed < 0 {
				t.Errorf("finality did not resume after the heal: %+v", p)
			}
		})
	}
}
