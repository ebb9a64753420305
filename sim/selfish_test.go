package sim

import "testing"

// TestSelfishMinerRule walks the states of Eyal & Sirer's Algorithm 1.
func TestSelfishMinerRule(t *testing.T) {
	check := func(what string, got, want Decision) {
		t.Helper()
		if got != want {
			t.Fatalf("%s: %+v, want %+v", what, got, want)
		}
	}
	var s SelfishMiner
	// Lead 1, honest finds a block: tie race, publish the one private block.
	check("mine h1", s.Mined(1), Decision{})
	check("honest h1", s.Public(1), Decision{Publish: 1, Race: true})
	// During the race the attacker mines on its branch: publish at once.
	check("mine h2 in race", s.Mined(2), Decision{Publish: 1})
	// Lead 2, honest finds one: publish both (the private branch wins).
	check("mine h3", s.Mined(3), Decision{})
	check("mine h4", s.Mined(4), Decision{})
	check("honest h3", s.Public(3), Decision{Publish: 2})
	// Lead 3: honest blocks make the attacker reveal one block at a time.
	for h := uint64(5); h <= 7; h++ {
		check("mine", s.Mined(h), Decision{})
	}
	check("honest h5", s.Public(5), Decision{Publish: 1})
	check("honest h6 (lead 1: publish both)", s.Public(6), Decision{Publish: 2})
	if s.Private() != 0 {
		t.Fatalf("%d private blocks left", s.Private())
	}
	// Lead 0 with nothing private: nothing to do; honest overtakes a private block: adopt.
	check("honest h8", s.Public(8), Decision{})
	check("mine h9", s.Mined(9), Decision{})
	check("honest h10", s.Public(10), Decision{Adopt: true})
	// A stale public block (not higher) changes nothing.
	check("old public", s.Public(4), Decision{})
}
