package staking

import (
	"math"

	"chainlab/chain"
)

// FarFuture is the activation/exit epoch of a validator that has none scheduled.
const FarFuture = math.MaxUint64

// Validator is one validator record. Records are never removed: a validator's index is
// stable for the life of its branch.
type Validator struct {
	Key        [32]byte       // x-only validator key: signs blocks and votes
	Owner      [32]byte       // x-only owner key: may unbond and withdraw
	Stake      chain.OutPoint // the stake output that bonded it
	Bonded     uint64         // value of that stake output
	Balance    uint64         // bonded value plus rewards minus penalties
	Activation uint64         // first epoch in which it is active
	Exit       uint64         // first epoch in which it is no longer active (FarFuture: none)
	Slashed    bool
	Unbonded   bool // its stake output was spent (an unbonding output holds Balance)
	Withdrawn  bool // its unbonding output was spent
}

// ActiveAt reports whether v is active (may propose, vote and counts for FFG) in epoch e.
func (v *Validator) ActiveAt(e uint64) bool {
	return !v.Slashed && v.Activation <= e && e < v.Exit
}

// ---- copy-on-write validator list ----

const (
	chunkShift = 6
	chunkSize  = 1 << chunkShift
)

type valChunk [chunkSize]Validator

// valList is a persistent list of validators in chunks of 64: a modified state copies the
// chunk pointer slice (n/64 words) and the one chunk it changes; everything else is shared
// with the parent state.
type valList struct {
	chunks []*valChunk
	n      int
}

func (l valList) Len() int { return l.n }

// At returns a pointer into shared storage: callers must not modify it.
func (l valList) At(i int) *Validator { return &l.chunks[i>>chunkShift][i&(chunkSize-1)] }

// set returns a list with v at index i, sharing all other chunks.
func (l valList) set(i int, v Validator) valList {
	chunks := make([]*valChunk, len(l.chunks))
	copy(chunks, l.chunks)
	c := *chunks[i>>chunkShift]
	c[i&(chunkSize-1)] = v
	chunks[i>>chunkShift] = &c
	return valList{chunks: chunks, n: l.n}
}

// valBuilder modifies a valList, copying each touched chunk once.
type valBuilder struct {
	l     valList
	owned map[int]bool
}

func (l valList) builder() *valBuilder {
	chunks := make([]*valChunk, len(l.chunks))
	copy(chunks, l.chunks)
	return &valBuilder{l: valList{chunks: chunks, n: l.n}, owned: map[int]bool{}}
}

// Mut returns a writable pointer to record i.
func (b *valBuilder) Mut(i int) *Validator {
	c := i >> chunkShift
	if !b.owned[c] {
		cp := *b.l.chunks[c]
		b.l.chunks[c] = &cp
		b.owned[c] = true
	}
	return &b.l.chunks[c][i&(chunkSize-1)]
}

func (b *valBuilder) list() valList { return b.l }

// appendVal returns a list with v appended.
func (l valList) appendVal(v Validator) valList {
	chunks := make([]*valChunk, len(l.chunks), len(l.chunks)+1)
	copy(chunks, l.chunks)
	i := l.n
	if i>>chunkShift == len(chunks) {
		chunks = append(chunks, new(valChunk))
	} else {
		c := *chunks[i>>chunkShift]
		chunks[i>>chunkShift] = &c
	}
	chunks[i>>chunkShift][i&(chunkSize-1)] = v
	return valList{chunks: chunks, n: l.n + 1}
}

// ---- bitsets ----

// bitset is an immutable-by-convention bit vector indexed by validator index.
type bitset []uint64

func (b bitset) Has(i int) bool {
	w := i >> 6
	return w < len(b) && b[w]&(1<<(uint(i)&63)) != 0
}

// set sets bit i in place (only on a bitset the caller owns and sized to hold i).
func (b bitset) set(i int) { b[i>>6] |= 1 << (uint(i) & 63) }

// with returns a copy of b with bit i set.
func (b bitset) with(i int) bitset {
	n := len(b)
	if i>>6 >= n {
		n = i>>6 + 1
	}
	c := make(bitset, n)
	copy(c, b)
	c[i>>6] |= 1 << (uint(i) & 63)
	return c
}

// ---- epoch snapshot ----

// EpochInfo is the validator set of one epoch, fixed when the state enters the epoch: the
// active validators in index order with their weights (balances at that moment) and the
// epoch's seed. It is shared by every state of that epoch on a branch.
type EpochInfo struct {
	Epoch  uint64
	Seed   chain.Hash
	Active []uint32 // validator indices, ascending
	Cum    []uint64 // Cum[i] = sum of the weights of Active[0..i]
	Total  uint64
	Slots  []uint16 // Slots[i]: vote slot of Active[i], as an offset in the epoch
}

// Weight returns the weight of the k-th active validator.
func (ei *EpochInfo) weightAt(k int) uint64 {
	if k == 0 {
		return ei.Cum[0]
	}
	return ei.Cum[k] - ei.Cum[k-1]
}

// find returns the position of validator index i in Active, or -1.
func (ei *EpochInfo) find(i uint32) int {
	lo, hi := 0, len(ei.Active)
	for lo < hi {
		m := (lo + hi) / 2
		if ei.Active[m] < i {
			lo = m + 1
		} else {
			hi = m
		}
	}
	if lo < len(ei.Active) && ei.Active[lo] == i {
		return lo
	}
	return -1
}

// WeightOf returns the weight of validator index i in this epoch (0 if not active).
func (ei *EpochInfo) WeightOf(i uint32) uint64 {
	if k := ei.find(i); k >= 0 {
		return ei.weightAt(k)
	}
	return 0
}

// ---- state ----

// State is the PoS engine state after a block. It is immutable once returned by the
// engine: every change builds a new State that shares unchanged parts with its parent.
//
// Layout (see doc.go): slot and epoch of the last block; the validator records (chunked,
// copy-on-write) and a key → index map (copied only when a validator is added); the FFG
// checkpoints and 4-bit justification history; the checkpoint roots of the current and
// previous epoch on this branch; the validator sets (EpochInfo) of both epochs; per-epoch
// participation bitsets (a vote was included / it had the correct target); the running
// randomness mix and the seed of the next epoch; and the previous epoch's reward totals.
type State struct {
	Slot  uint64 // slot of the block this state follows (0 at genesis)
	Epoch uint64 // epoch this state is in (epoch processing done up to here)

	vals  valList
	index map[[32]byte]uint32

	PrevJustified chain.Checkpoint
	CurJustified  chain.Checkpoint
	Finalized     chain.Checkpoint
	Bits          uint8 // justification bits: bit i set means epoch Epoch-1-i is justified

	PrevTargetRoot chain.Hash // checkpoint root of epoch Epoch-1 on this branch
	CurTargetRoot  chain.Hash // checkpoint root of epoch Epoch on this branch

	prevInfo, curInfo *EpochInfo

	prevVoted, curVoted bitset // a vote for that epoch's target was included
	prevHit, curHit     bitset // ... and its target root was this branch's checkpoint

	Mix      chain.Hash // running mix of proposer signatures
	NextSeed chain.Hash // seed of epoch Epoch+1 (fixed at the start of Epoch)

	// Totals of the last reward pass (informational).
	LastRewards   uint64
	LastPenalties uint64
}

func (s *State) clone() *State { c := *s; return &c }

// NumValidators returns the number of validator records.
func (s *State) NumValidators() int { return s.vals.Len() }

// Validator returns a copy of validator record i.
func (s *State) Validator(i int) Validator { return *s.vals.At(i) }

// ValidatorByKey returns the index and record of the validator with key.
func (s *State) ValidatorByKey(key [32]byte) (int, Validator, bool) {
	i, ok := s.index[key]
	if !ok {
		return 0, Validator{}, false
	}
	return int(i), *s.vals.At(int(i)), true
}

// EpochInfo returns the validator set of epoch e if e is the state's current or previous epoch.
func (s *State) EpochInfo(e uint64) (*EpochInfo, bool) {
	switch {
	case s.curInfo != nil && s.curInfo.Epoch == e:
		return s.curInfo, true
	case s.prevInfo != nil && s.prevInfo.Epoch == e:
		return s.prevInfo, true
	}
	return nil, false
}

// TargetStake returns the stake of validators whose included votes for epoch e (the
// current or previous epoch) had this branch's target, and the epoch's total active stake.
func (s *State) TargetStake(e uint64) (voted, total uint64) {
	ei, ok := s.EpochInfo(e)
	if !ok {
		return 0, 0
	}
	hit := s.curHit
	if e != s.Epoch {
		hit = s.prevHit
	}
	return s.attestingStake(ei, hit), ei.Total
}

// attestingStake sums the weights (in ei) of the unslashed validators set in hit.
func (s *State) attestingStake(ei *EpochInfo, hit bitset) uint64 {
	var sum uint64
	for k, i := range ei.Active {
		if hit.Has(int(i)) && !s.vals.At(int(i)).Slashed {
			sum += ei.weightAt(k)
		}
	}
	return sum
}

// HasVoted reports whether a vote of validator i for target epoch e is already included.
func (s *State) HasVoted(i int, e uint64) bool {
	switch e {
	case s.Epoch:
		return s.curVoted.Has(i)
	case s.Epoch - 1:
		return s.Epoch > 0 && s.prevVoted.Has(i)
	}
	return false
}

// TotalStake returns the active stake of the state's current epoch.
func (s *State) TotalStake() uint64 { return s.curInfo.Total }
