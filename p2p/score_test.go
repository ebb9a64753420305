package p2p

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"chainlab/chain"
)

func TestRuleScoreTable(t *testing.T) {
	rule := func(k chain.ErrorKind) error { return fmt.Errorf("wrapped: %w", chain.NewRuleError(k, "x")) }
	cases := []struct {
		err          error
		block, loose int
	}{
		{rule(chain.ErrBadMerkleRoot), ScoreInvalidBlk, ScoreInvalidTx},
		{rule(chain.ErrHighHash), ScoreInvalidBlk, ScoreInvalidTx},
		{rule(chain.ErrBadSignature), ScoreInvalidBlk, ScoreInvalidTx},
		{rule(chain.ErrMissingInput), ScoreInvalidBlk, 0},
		{rule(chain.ErrDoubleSpend), ScoreInvalidBlk, 0},
		{rule(chain.ErrFeeTooLow), ScoreInvalidBlk, 0},
		{rule(chain.ErrDuplicateBlock), 0, 0},
		{rule(chain.ErrOrphan), 0, 0},
		{rule(chain.ErrTimeTooNew), 0, 0},
		{rule(chain.ErrFinalizedConflict), 0, 0},
		{rule(chain.ErrBadVote), ScoreInvalidBlk, ScoreInvalidVote},
		{errors.New("leveldb: disk full"), 0, 0}, // storage failures never blame the peer
	}
	for _, c := range cases {
		if got := ruleScore(c.err, true); got != c.block {
			t.Errorf("%v in a block: %d, want %d", c.err, got, c.block)
		}
		if got := ruleScore(c.err, false); got != c.loose {
			t.Errorf("%v loose: %d, want %d", c.err, got, c.loose)
		}
	}
}

func TestBanListBounded(t *testing.T) {
	s, err := New(Config{Chain: newFakeChain(1000), GenesisHash: newFakeChain(1000).GenesisHash(), NodeID: NodeID{1}})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1_000_000, 0)
	for i := 0; i < maxBans; i++ {
		id := NodeID{byte(i), byte(i >> 8), 0x77}
		until := now.Add(time.Duration(i+1) * time.Second)
		if i%2 == 0 {
			until = now.Add(-time.Second) // expired
		}
		s.bans[id] = until
	}
	s.pruneBansLocked(now)
	if len(s.bans) != maxBans/2 {
		t.Fatalf("%d bans after pruning the expired half", len(s.bans))
	}
	for i := 0; len(s.bans) < maxBans; i++ {
		s.bans[NodeID{byte(i), byte(i >> 8), 0x78}] = now.Add(time.Hour)
	}
	s.pruneBansLocked(now)
	if len(s.bans) >= maxBans {
		t.Fatalf("ban list not bounded: %d", len(s.bans))
	}
	if _, ok := s.bans[NodeID{1, 0, 0x77}]; ok {
		t.Fatal("the ban ending first survived")
	}
}
