package staking

import (
	"encoding/binary"
	"errors"
	"fmt"

	"chainlab/chain"
)

const stateVersion = 1

// Limits on decoded lengths.
const (
	maxValidators = 1 << 20
	maxBitWords   = maxValidators / 64
)

// Encode returns the canonical encoding of s (version 1): header fields, validator
// records, FFG, checkpoint roots, the two epoch sets, four participation bitsets, mix and
// next seed, reward totals. All integers are little-endian fixed width except lengths
// (CompactSize varints).
func (s *State) Encode() []byte {
	n := s.vals.Len()
	b := make([]byte, 0, 256+n*(validatorSize+12*2))
	b = append(b, stateVersion)
	b = le64(b, s.Slot)
	b = le64(b, s.Epoch)
	b = chain.AppendVarint(b, uint64(n))
	for i := 0; i < n; i++ {
		b = appendValidator(b, s.vals.At(i))
	}
	for _, c := range []chain.Checkpoint{s.PrevJustified, s.CurJustified, s.Finalized} {
		b = le64(b, c.Epoch)
		b = append(b, c.Root[:]...)
	}
	b = append(b, s.Bits)
	b = append(b, s.PrevTargetRoot[:]...)
	b = append(b, s.CurTargetRoot[:]...)
	if s.prevInfo == nil {
		b = append(b, 0)
	} else {
		b = append(b, 1)
		b = appendInfo(b, s.prevInfo)
	}
	b = appendInfo(b, s.curInfo)
	for _, bs := range []bitset{s.prevVoted, s.curVoted, s.prevHit, s.curHit} {
		b = chain.AppendVarint(b, uint64(len(bs)))
		for _, w := range bs {
			b = le64(b, w)
		}
	}
	b = append(b, s.Mix[:]...)
	b = append(b, s.NextSeed[:]...)
	b = le64(b, s.LastRewards)
	return le64(b, s.LastPenalties)
}

const validatorSize = 32 + 32 + 36 + 8*4 + 1

func le64(b []byte, v uint64) []byte { return binary.LittleEndian.AppendUint64(b, v) }

func appendValidator(b []byte, v *Validator) []byte {
	b = append(b, v.Key[:]...)
	b = append(b, v.Owner[:]...)
	b = append(b, v.Stake.TxID[:]...)
	b = binary.LittleEndian.AppendUint32(b, v.Stake.Index)
	b = le64(b, v.Bonded)
	b = le64(b, v.Balance)
	b = le64(b, v.Activation)
	b = le64(b, v.Exit)
	var f byte
	if v.Slashed {
		f |= 1
	}
	if v.Unbonded {
		f |= 2
	}
	if v.Withdrawn {
		f |= 4
	}
	return append(b, f)
}

func appendInfo(b []byte, ei *EpochInfo) []byte {
	b = le64(b, ei.Epoch)
	b = append(b, ei.Seed[:]...)
	b = chain.AppendVarint(b, uint64(len(ei.Active)))
	for k, i := range ei.Active {
		b = binary.LittleEndian.AppendUint32(b, i)
		b = le64(b, ei.weightAt(k))
		b = binary.LittleEndian.AppendUint16(b, ei.Slots[k])
	}
	return b
}

// DecodeState decodes a state encoded by State.Encode (strict: trailing bytes, unknown
// versions, oversize lengths and inconsistent records are errors).
func (e *Engine) DecodeState(b []byte) (chain.EngineState, error) { return DecodeState(b) }

// ErrBadState is returned (wrapped) for an undecodable engine state.
var ErrBadState = errors.New("staking: bad encoded state")

type rd struct {
	b   []byte
	err error
}

func (r *rd) take(n int) []byte {
	if r.err != nil {
		return nil
	}
	if n < 0 || len(r.b) < n {
		r.err = fmt.Errorf("%w: truncated", ErrBadState)
		return nil
	}
	out := r.b[:n]
	r.b = r.b[n:]
	return out
}

func (r *rd) u8() byte {
	if p := r.take(1); p != nil {
		return p[0]
	}
	return 0
}
func (r *rd) u32() uint32 {
	if p := r.take(4); p != nil {
		return binary.LittleEndian.Uint32(p)
	}
	return 0
}
func (r *rd) u64() uint64 {
	if p := r.take(8); p != nil {
		return binary.LittleEndian.Uint64(p)
	}
	return 0
}
func (r *rd) hash() (h chain.Hash) {
	copy(h[:], r.take(32))
	return h
}

func (r *rd) varint(max uint64) uint64 {
	first := r.u8()
	var v uint64
	switch first {
	case 0xfd:
		p := r.take(2)
		if p != nil {
			v = uint64(binary.LittleEndian.Uint16(p))
			if v < 0xfd {
				r.err = fmt.Errorf("%w: non-minimal varint", ErrBadState)
			}
		}
	case 0xfe:
		v = uint64(r.u32())
		if r.err == nil && v <= 0xffff {
			r.err = fmt.Errorf("%w: non-minimal varint", ErrBadState)
		}
	case 0xff:
		v = r.u64()
		if r.err == nil && v <= 0xffffffff {
			r.err = fmt.Errorf("%w: non-minimal varint", ErrBadState)
		}
	default:
		v = uint64(first)
	}
	if r.err == nil && v > max {
		r.err = fmt.Errorf("%w: length %d over %d", ErrBadState, v, max)
	}
	return v
}

func (r *rd) info() *EpochInfo {
	ei := &EpochInfo{Epoch: r.u64(), Seed: r.hash()}
	n := r.varint(maxValidators)
	for k := uint64(0); k < n && r.err == nil; k++ {
		i, w := r.u32(), r.u64()
		var sl uint16
		if p := r.take(2); p != nil {
			sl = binary.LittleEndian.Uint16(p)
		}
		ei.Slots = append(ei.Slots, sl)
		if k > 0 && i <= ei.Active[k-1] {
			r.err = fmt.Errorf("%w: epoch set not ascending", ErrBadState)
		}
		ei.Total += w
		ei.Active = append(ei.Active, i)
		ei.Cum = append(ei.Cum, ei.Total)
	}
	return ei
}

// DecodeState decodes a state encoded by State.Encode.
func DecodeState(b []byte) (*State, error) {
	r := &rd{b: b}
	if v := r.u8(); r.err == nil && v != stateVersion {
		return nil, fmt.Errorf("%w: version %d", ErrBadState, v)
	}
	s := &State{Slot: r.u64(), Epoch: r.u64(), index: map[[32]byte]uint32{}}
	n := r.varint(maxValidators)
	var chunks []*valChunk
	for i := uint64(0); i < n && r.err == nil; i++ {
		var v Validator
		copy(v.Key[:], r.take(32))
		copy(v.Owner[:], r.take(32))
		v.Stake.TxID = r.hash()
		v.Stake.Index = r.u32()
		v.Bonded, v.Balance, v.Activation, v.Exit = r.u64(), r.u64(), r.u64(), r.u64()
		f := r.u8()
		v.Slashed, v.Unbonded, v.Withdrawn = f&1 != 0, f&2 != 0, f&4 != 0
		if f&^7 != 0 && r.err == nil {
			r.err = fmt.Errorf("%w: validator flags %x", ErrBadState, f)
		}
		if _, dup := s.index[v.Key]; dup && r.err == nil {
			r.err = fmt.Errorf("%w: duplicate validator key", ErrBadState)
		}
		s.index[v.Key] = uint32(i)
		if i%chunkSize == 0 {
			chunks = append(chunks, new(valChunk))
		}
		chunks[i>>chunkShift][i&(chunkSize-1)] = v
	}
	if r.err == nil {
		s.vals = valList{chunks: chunks, n: int(n)}
	}
	cps := []*chain.Checkpoint{&s.PrevJustified, &s.CurJustified, &s.Finalized}
	for _, c := range cps {
		c.Epoch, c.Root = r.u64(), r.hash()
	}
	s.Bits = r.u8()
	s.PrevTargetRoot, s.CurTargetRoot = r.hash(), r.hash()
	switch r.u8() {
	case 0:
	case 1:
		s.prevInfo = r.info()
	default:
		if r.err == nil {
			r.err = fmt.Errorf("%w: bad epoch-set flag", ErrBadState)
		}
	}
	s.curInfo = r.info()
	for _, bs := range []*bitset{&s.prevVoted, &s.curVoted, &s.prevHit, &s.curHit} {
		w := r.varint(maxBitWords)
		if w > 0 && r.err == nil {
			*bs = make(bitset, w)
			for i := range *bs {
				(*bs)[i] = r.u64()
			}
		}
	}
	s.Mix, s.NextSeed = r.hash(), r.hash()
	s.LastRewards, s.LastPenalties = r.u64(), r.u64()
	if r.err != nil {
		return nil, r.err
	}
	if len(r.b) != 0 {
		return nil, fmt.Errorf("%w: %d trailing bytes", ErrBadState, len(r.b))
	}
	for _, ei := range []*EpochInfo{s.prevInfo, s.curInfo} {
		if ei == nil {
			continue
		}
		for _, i := range ei.Active {
			if int(i) >= s.vals.Len() {
				return nil, fmt.Errorf("%w: epoch set names validator %d of %d", ErrBadState, i, s.vals.Len())
			}
		}
	}
	return s, nil
}
