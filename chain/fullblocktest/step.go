package fullblocktest

import (
	"errors"
	"fmt"
	"time"

	"chainlab/chain"
)

// Op is what a Step does and expects.
type Op int

// Step operations.
const (
	OpAcceptMain Op = iota + 1 // ProcessBlock succeeds and the block is the new tip
	OpAcceptSide               // ProcessBlock succeeds, the block is on a side chain, tip unchanged
	OpOrphan                   // ProcessBlock reports ErrOrphan with StatusOrphan
	OpReject                   // ProcessBlock fails with Kind; the block does not become the tip
	OpRejectRaw                // DecodeBlock(Raw) then ProcessBlock fail with Kind (the wire path)
	OpExpectTip                // the chain's tip is the named block
	OpFinalize                 // the engine finalizes the block at Height of the tip's branch
)

func (o Op) String() string {
	switch o {
	case OpAcceptMain:
		return "accept-main"
	case OpAcceptSide:
		return "accept-side"
	case OpOrphan:
		return "orphan"
	case OpReject:
		return "reject"
	case OpRejectRaw:
		return "reject-raw"
	case OpExpectTip:
		return "expect-tip"
	case OpFinalize:
		return "finalize"
	}
	return "unknown"
}

// Step is one instruction of a generated test: a block to submit and what must happen, a
// tip check, or a finality action.
type Step struct {
	Case  string // the named case this step belongs to
	Op    Op
	Name  string       // block name
	Block *chain.Block // the block (OpAccept*, OpOrphan, OpReject, OpExpectTip)
	Raw   []byte       // OpRejectRaw
	Kind  chain.ErrorKind
	// ReorgDepth, when positive, is the number of blocks an OpAcceptMain must disconnect.
	ReorgDepth int
	// Tip, when set, is the block an OpAcceptMain must leave as the tip (a block that
	// connects waiting orphans moves the tip past itself).
	Tip    *chain.Block
	Height uint64 // OpFinalize
}

func (s Step) String() string {
	switch s.Op {
	case OpReject, OpRejectRaw:
		return fmt.Sprintf("%s: %s %s (%s)", s.Case, s.Op, s.Name, s.Kind)
	case OpFinalize:
		return fmt.Sprintf("%s: finalize height %d", s.Case, s.Height)
	}
	return fmt.Sprintf("%s: %s %s", s.Case, s.Op, s.Name)
}

// Finalizer is the engine capability OpFinalize needs (chaintest.Engine has it).
type Finalizer interface {
	SetFinalized(height uint64)
}

// Processor is what Run drives (a *chain.Chain).
type Processor interface {
	ProcessBlock(b *chain.Block, now time.Time) (*chain.Result, error)
	Tip() (chain.Hash, uint64)
	IsMainChain(h chain.Hash) bool
}

// Check runs one step against c and returns a description of any mismatch.
func (s Step) Check(c Processor, fin Finalizer, now time.Time) error {
	switch s.Op {
	case OpFinalize:
		if fin == nil {
			return errors.New("engine cannot finalize")
		}
		fin.SetFinalized(s.Height)
		return nil
	case OpExpectTip:
		if tip, h := c.Tip(); tip != s.Block.Hash() {
			return fmt.Errorf("tip is %s at %d, want %s", tip, h, s.Block.Hash())
		}
		return nil
	}
	blk := s.Block
	if s.Op == OpRejectRaw {
		var err error
		blk, err = chain.DecodeBlock(s.Raw)
		if err != nil {
			return matchKind(err, s.Kind)
		}
	}
	oldTip, _ := c.Tip()
	wasMain := c.IsMainChain(blk.Hash())
	res, err := c.ProcessBlock(blk, now)
	hash := blk.Hash()
	switch s.Op {
	case OpAcceptMain:
		if err != nil {
			return fmt.Errorf("rejected: %w", err)
		}
		if res.Status != chain.StatusMainChain {
			return fmt.Errorf("status %s, want main", res.Status)
		}
		want := hash
		if s.Tip != nil {
			want = s.Tip.Hash()
		}
		if tip, _ := c.Tip(); tip != want {
			return fmt.Errorf("tip is %s, want %s", tip, want)
		}
		if !c.IsMainChain(hash) {
			return errors.New("block is not on the main chain")
		}
		if s.ReorgDepth > 0 && res.ReorgDepth != s.ReorgDepth {
			return fmt.Errorf("reorg depth %d, want %d", res.ReorgDepth, s.ReorgDepth)
		}
		if s.ReorgDepth == 0 && res.ReorgDepth != 0 {
			return fmt.Errorf("unexpected reorg of depth %d", res.ReorgDepth)
		}
	case OpAcceptSide:
		if err != nil {
			return fmt.Errorf("rejected: %w", err)
		}
		if res.Status != chain.StatusSideChain {
			return fmt.Errorf("status %s, want side", res.Status)
		}
		if tip, _ := c.Tip(); tip != oldTip {
			return fmt.Errorf("tip moved to %s", tip)
		}
	case OpOrphan:
		if err := matchKind(err, chain.ErrOrphan); err != nil {
			return err
		}
		if res == nil || res.Status != chain.StatusOrphan {
			return fmt.Errorf("result %+v, want orphan status", res)
		}
	case OpReject, OpRejectRaw:
		if err := matchKind(err, s.Kind); err != nil {
			return err
		}
		if tip, _ := c.Tip(); tip != oldTip {
			return fmt.Errorf("tip moved from %s to %s", oldTip, tip)
		}
		if !wasMain && c.IsMainChain(hash) {
			return errors.New("rejected block is on the main chain")
		}
	default:
		return fmt.Errorf("unknown op %d", s.Op)
	}
	return nil
}

// matchKind checks that err is a RuleError of exactly kind.
func matchKind(err error, kind chain.ErrorKind) error {
	if err == nil {
		return fmt.Errorf("accepted, want %s", kind)
	}
	var re *chain.RuleError
	if !errors.As(err, &re) {
		return fmt.Errorf("error %v is not a RuleError (want %s)", err, kind)
	}
	if re.Kind != kind || !errors.Is(err, kind) {
		return fmt.Errorf("got %v, want %s", err, kind)
	}
	return nil
}
