package p2p

import (
	"errors"
	"math"
	"time"

	"chainlab/chain"
)

// Misbehaviour points. A peer whose decayed score reaches Config.BanThreshold (100) is
// disconnected and banned for Config.BanDuration.
const (
	ScoreMalformed   = 100 // undecodable message, unknown type, text frame
	ScoreOversize    = 100 // body larger than its type's limit
	ScoreInvalidBlk  = 100 // block or header breaking a consensus rule
	ScoreInvalidTx   = 10  // tx breaking a context-free or signature rule
	ScoreInvalidVote = 10  // vote or evidence breaking a rule
	ScoreBadHeaders  = 20  // headers that do not connect to each other
	ScoreUnsolicited = 5   // unsolicited block/tx/headers beyond the flood allowance
	ScoreHandshake   = 100 // a second version, or traffic before verack
)

// ruleScore maps a chain rule error to misbehaviour points: the one place where kinds become
// scores. Storage failures (not a *chain.RuleError) never score. block says whether the
// error came from a block (where contextual tx failures are consensus failures) rather than
// a loose tx, vote or evidence message.
func ruleScore(err error, block bool) int {
	var re *chain.RuleError
	if !errors.As(err, &re) {
		return 0
	}
	switch re.Kind {
	case chain.ErrDuplicateBlock, chain.ErrOrphan, chain.ErrAlreadyHave, chain.ErrDuplicateVote,
		// clock skew, or a fork this node has finalized against
		chain.ErrTimeTooNew, chain.ErrFutureSlot, chain.ErrFinalizedConflict:
		return 0
	case chain.ErrMissingInput, chain.ErrDoubleSpend, chain.ErrImmatureSpend, chain.ErrLockTime,
		chain.ErrLockedOutput, chain.ErrMempoolConflict, chain.ErrMempoolFull, chain.ErrFeeTooLow,
		chain.ErrDust:
		// an honest peer relays these in races (a parent we lack yet, a double spend seen
		// first elsewhere, another tip) or under another mempool policy
		if block {
			return ScoreInvalidBlk
		}
		return 0
	case chain.ErrBadVote, chain.ErrBadEvidence, chain.ErrTooManyVotes:
		if block {
			return ScoreInvalidBlk
		}
		return ScoreInvalidVote
	}
	if block {
		return ScoreInvalidBlk
	}
	return ScoreInvalidTx
}

// banScore is a misbehaviour score decaying exponentially with a half-life. Guarded by its
// owner's lock.
type banScore struct {
	value float64
	at    time.Time
}

func (b *banScore) get(now time.Time, halfLife time.Duration) float64 {
	if b.value == 0 {
		return 0
	}
	dt := now.Sub(b.at)
	if dt <= 0 {
		return b.value
	}
	v := b.value * math.Exp2(-float64(dt)/float64(halfLife))
	if v < 0.01 {
		v = 0
	}
	return v
}

func (b *banScore) add(now time.Time, halfLife time.Duration, pts int) float64 {
	b.value = b.get(now, halfLife) + float64(pts)
	b.at = now
	return b.value
}

// floodBucket is a token bucket for unsolicited messages: each costs a token; with the bucket
// empty each one adds ScoreUnsolicited.
type floodBucket struct {
	tokens float64
	at     time.Time
}

const (
	floodBurst = 200.0
	floodRate  = 50.0 // tokens per second
)

func (f *floodBucket) take(now time.Time) bool {
	if f.at.IsZero() {
		f.tokens = floodBurst
	} else if dt := now.Sub(f.at).Seconds(); dt > 0 {
		f.tokens = min(floodBurst, f.tokens+dt*floodRate)
	}
	f.at = now
	if f.tokens >= 1 {
		f.tokens--
		return true
	}
	return false
}
