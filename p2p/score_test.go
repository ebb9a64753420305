package p2p

import (
	"errors"
	"fmt"
	"testing"

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
