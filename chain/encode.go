package chain

import (
	"encoding/binary"
	"fmt"
	"math"
)

// Encoding limits. Every length read from the wire is checked against one of these before
// anything is allocated.
const (
	MaxTxInputs        = 20_000
	MaxTxOutputs       = 20_000
	MaxCoinbaseData    = 100
	WitnessSize        = 64
	MaxBlockTxs        = 200_000
	MaxBlockVotes      = 16_384
	MaxBlockSlashings  = 256
	MaxEncodedBlock    = 32 << 20
	voteEncodedSize    = 32 + 8 + 32 + 40 + 40 + 64
	headerFlagNoSeal   = 0
	headerFlagWithSeal = 1
)

// VoteSize is the encoded size of a Vote.
const VoteSize = voteEncodedSize

// ---- writer ----

// AppendVarint appends Bitcoin's CompactSize encoding of v.
func AppendVarint(b []byte, v uint64) []byte {
	switch {
	case v < 0xfd:
		return append(b, byte(v))
	case v <= math.MaxUint16:
		return binary.LittleEndian.AppendUint16(append(b, 0xfd), uint16(v))
	case v <= math.MaxUint32:
		return binary.LittleEndian.AppendUint32(append(b, 0xfe), uint32(v))
	default:
		return binary.LittleEndian.AppendUint64(append(b, 0xff), v)
	}
}

// VarintSize returns the encoded size of v.
func VarintSize(v uint64) int {
	switch {
	case v < 0xfd:
		return 1
	case v <= math.MaxUint16:
		return 3
	case v <= math.MaxUint32:
		return 5
	}
	return 9
}

// AppendHeader80 appends the 80-byte Bitcoin layout of h (no seal).
func (h *Header) AppendHeader80(b []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, h.Version)
	b = append(b, h.Prev[:]...)
	b = append(b, h.MerkleRoot[:]...)
	b = binary.LittleEndian.AppendUint32(b, h.Time)
	b = binary.LittleEndian.AppendUint32(b, h.Bits)
	return binary.LittleEndian.AppendUint32(b, h.Nonce)
}

func (s *Seal) appendUnsigned(b []byte) []byte {
	b = binary.LittleEndian.AppendUint64(b, s.Slot)
	b = append(b, s.Proposer[:]...)
	return append(b, s.VoteRoot[:]...)
}

// AppendTo appends the canonical encoding of h: 80 bytes, a seal flag byte, and the seal.
func (h *Header) AppendTo(b []byte) []byte {
	b = h.AppendHeader80(b)
	if h.Seal == nil {
		return append(b, headerFlagNoSeal)
	}
	b = append(b, headerFlagWithSeal)
	b = h.Seal.appendUnsigned(b)
	return append(b, h.Seal.Sig[:]...)
}

// Bytes returns the canonical encoding of h.
func (h *Header) Bytes() []byte { return h.AppendTo(make([]byte, 0, HeaderSize+1+SealSize)) }

// Hash returns the block hash: SHA256d of the 80-byte header, followed (PoS) by the full seal.
func (h *Header) Hash() Hash {
	var buf [HeaderSize + SealSize]byte
	b := h.AppendHeader80(buf[:0])
	if h.Seal != nil {
		b = h.Seal.appendUnsigned(b)
		b = append(b, h.Seal.Sig[:]...)
	}
	return DoubleSHA256(b)
}

// SigningHash is the message a PoS proposer signs: a tagged hash of the header and the seal
// without its signature.
func (h *Header) SigningHash() Hash {
	var buf [HeaderSize + SealSize]byte
	b := h.AppendHeader80(buf[:0])
	if h.Seal != nil {
		b = h.Seal.appendUnsigned(b)
	}
	return TaggedHash("chainlab/block", b)
}

// AppendTo appends the lock encoding: kind, key, and owner/release as the kind requires.
func (l *Lock) AppendTo(b []byte) []byte {
	b = append(b, byte(l.Kind))
	b = append(b, l.Key[:]...)
	switch l.Kind {
	case LockStake:
		b = append(b, l.Owner[:]...)
	case LockUnbonding:
		b = append(b, l.Owner[:]...)
		b = binary.LittleEndian.AppendUint64(b, l.Release)
	}
	return b
}

func (tx *Tx) appendBase(b []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, tx.Version)
	b = AppendVarint(b, uint64(len(tx.Inputs)))
	for i := range tx.Inputs {
		in := &tx.Inputs[i]
		b = append(b, in.Prev.TxID[:]...)
		b = binary.LittleEndian.AppendUint32(b, in.Prev.Index)
		b = AppendVarint(b, uint64(len(in.Data)))
		b = append(b, in.Data...)
	}
	b = AppendVarint(b, uint64(len(tx.Outputs)))
	for i := range tx.Outputs {
		o := &tx.Outputs[i]
		b = binary.LittleEndian.AppendUint64(b, o.Value)
		b = o.Lock.AppendTo(b)
	}
	return binary.LittleEndian.AppendUint64(b, tx.LockTime)
}

// AppendTo appends the full canonical encoding of tx (base, then one witness per input).
func (tx *Tx) AppendTo(b []byte) []byte {
	b = tx.appendBase(b)
	for i := range tx.Inputs {
		b = AppendVarint(b, uint64(len(tx.Inputs[i].Witness)))
		b = append(b, tx.Inputs[i].Witness...)
	}
	return b
}

// Bytes returns the full encoding of tx.
func (tx *Tx) Bytes() []byte { return tx.AppendTo(make([]byte, 0, tx.SerializeSize())) }

// BaseBytes returns the encoding without witnesses (what the txid hashes).
func (tx *Tx) BaseBytes() []byte { return tx.appendBase(make([]byte, 0, tx.SerializeSize())) }

// SerializeSize returns the length of the full encoding.
func (tx *Tx) SerializeSize() int {
	n := 4 + VarintSize(uint64(len(tx.Inputs))) + VarintSize(uint64(len(tx.Outputs))) + 8
	for i := range tx.Inputs {
		in := &tx.Inputs[i]
		n += 36 + VarintSize(uint64(len(in.Data))) + len(in.Data) +
			VarintSize(uint64(len(in.Witness))) + len(in.Witness)
	}
	for i := range tx.Outputs {
		n += 8 + 1 + 32
		switch tx.Outputs[i].Lock.Kind {
		case LockStake:
			n += 32
		case LockUnbonding:
			n += 40
		}
	}
	return n
}

// TxID returns SHA256d of the encoding without witnesses.
func (tx *Tx) TxID() Hash {
	var buf [512]byte
	return DoubleSHA256(tx.appendBase(buf[:0]))
}

func appendCheckpoint(b []byte, c Checkpoint) []byte {
	b = binary.LittleEndian.AppendUint64(b, c.Epoch)
	return append(b, c.Root[:]...)
}

func (v *Vote) appendUnsigned(b []byte) []byte {
	b = append(b, v.Validator[:]...)
	b = binary.LittleEndian.AppendUint64(b, v.Slot)
	b = append(b, v.Head[:]...)
	b = appendCheckpoint(b, v.Source)
	return appendCheckpoint(b, v.Target)
}

// AppendTo appends the encoding of v.
func (v *Vote) AppendTo(b []byte) []byte {
	b = v.appendUnsigned(b)
	return append(b, v.Sig[:]...)
}

// SigningHash is the message a validator signs for v.
func (v *Vote) SigningHash() Hash {
	var buf [voteEncodedSize]byte
	return TaggedHash("chainlab/vote", v.appendUnsigned(buf[:0]))
}

// Hash identifies a vote (inventory, dedup): SHA256d of its full encoding.
func (v *Vote) Hash() Hash {
	var buf [voteEncodedSize]byte
	return DoubleSHA256(v.AppendTo(buf[:0]))
}

// AppendTo appends the encoding of e.
func (e *Evidence) AppendTo(b []byte) []byte {
	b = append(b, byte(e.Kind))
	switch e.Kind {
	case EvidenceDoubleBlock:
		b = e.HeaderA.AppendTo(b)
		b = e.HeaderB.AppendTo(b)
	default:
		b = e.VoteA.AppendTo(b)
		b = e.VoteB.AppendTo(b)
	}
	return b
}

// Hash identifies a piece of evidence.
func (e *Evidence) Hash() Hash { return DoubleSHA256(e.AppendTo(nil)) }

// AppendTo appends the canonical encoding of b.
func (blk *Block) AppendTo(b []byte) []byte {
	b = blk.Header.AppendTo(b)
	b = AppendVarint(b, uint64(len(blk.Txs)))
	for _, tx := range blk.Txs {
		b = tx.AppendTo(b)
	}
	return blk.appendConsensus(b)
}

func (blk *Block) appendConsensus(b []byte) []byte {
	b = AppendVarint(b, uint64(len(blk.Votes)))
	for i := range blk.Votes {
		b = blk.Votes[i].AppendTo(b)
	}
	b = AppendVarint(b, uint64(len(blk.Slashings)))
	for i := range blk.Slashings {
		b = blk.Slashings[i].AppendTo(b)
	}
	return b
}

// Bytes returns the canonical encoding of blk.
func (blk *Block) Bytes() []byte {
	return blk.AppendTo(make([]byte, 0, blk.SerializeSize()))
}

// SerializeSize returns the encoded size of blk.
func (blk *Block) SerializeSize() int {
	n := HeaderSize + 1
	if blk.Header.Seal != nil {
		n += SealSize
	}
	n += VarintSize(uint64(len(blk.Txs)))
	for _, tx := range blk.Txs {
		n += tx.SerializeSize()
	}
	n += VarintSize(uint64(len(blk.Votes))) + len(blk.Votes)*voteEncodedSize
	n += VarintSize(uint64(len(blk.Slashings)))
	for i := range blk.Slashings {
		n += len(blk.Slashings[i].AppendTo(nil))
	}
	return n
}

// Hash returns the block's header hash.
func (blk *Block) Hash() Hash { return blk.Header.Hash() }

// ComputeVoteRoot returns the commitment a PoS seal carries to the block's votes and
// slashing evidence: a tagged hash of their encoding.
func (blk *Block) ComputeVoteRoot() Hash {
	return TaggedHash("chainlab/votes", blk.appendConsensus(nil))
}

// ---- strict reader ----

// DecodeError is returned for malformed encodings. It unwraps to ErrMalformed's kind.
func decodeErr(what string, format string, a ...any) error {
	return ruleError(ErrMalformed, fmt.Sprintf("%s: %s", what, fmt.Sprintf(format, a...)))
}

type reader struct {
	b   []byte
	off int
	err error
	ctx string
}

func (r *reader) fail(format string, a ...any) {
	if r.err == nil {
		r.err = decodeErr(r.ctx, "at byte %d: %s", r.off, fmt.Sprintf(format, a...))
	}
}

func (r *reader) need(n int) bool {
	if r.err != nil {
		return false
	}
	if n < 0 || len(r.b)-r.off < n {
		r.fail("truncated: need %d bytes, have %d", n, len(r.b)-r.off)
		return false
	}
	return true
}

func (r *reader) u8() uint8 {
	if !r.need(1) {
		return 0
	}
	v := r.b[r.off]
	r.off++
	return v
}

func (r *reader) u32() uint32 {
	if !r.need(4) {
		return 0
	}
	v := binary.LittleEndian.Uint32(r.b[r.off:])
	r.off += 4
	return v
}

func (r *reader) u64() uint64 {
	if !r.need(8) {
		return 0
	}
	v := binary.LittleEndian.Uint64(r.b[r.off:])
	r.off += 8
	return v
}

func (r *reader) bytes(dst []byte) {
	if !r.need(len(dst)) {
		return
	}
	copy(dst, r.b[r.off:])
	r.off += len(dst)
}

// varint reads a minimal CompactSize no larger than max.
func (r *reader) varint(max uint64, what string) uint64 {
	d := r.u8()
	if r.err != nil {
		return 0
	}
	var v uint64
	switch d {
	case 0xfd:
		if !r.need(2) {
			return 0
		}
		v = uint64(binary.LittleEndian.Uint16(r.b[r.off:]))
		r.off += 2
		if v < 0xfd {
			r.fail("non-minimal varint for %s", what)
		}
	case 0xfe:
		v = uint64(r.u32())
		if r.err == nil && v <= math.MaxUint16 {
			r.fail("non-minimal varint for %s", what)
		}
	case 0xff:
		v = r.u64()
		if r.err == nil && v <= math.MaxUint32 {
			r.fail("non-minimal varint for %s", what)
		}
	default:
		v = uint64(d)
	}
	if r.err == nil && v > max {
		r.fail("%s %d exceeds limit %d", what, v, max)
	}
	if r.err != nil {
		return 0
	}
	return v
}

func (r *reader) header(h *Header) {
	if !r.need(HeaderSize + 1) {
		return
	}
	h.Version = r.u32()
	r.bytes(h.Prev[:])
	r.bytes(h.MerkleRoot[:])
	h.Time = r.u32()
	h.Bits = r.u32()
	h.Nonce = r.u32()
	switch flag := r.u8(); flag {
	case headerFlagNoSeal:
		h.Seal = nil
	case headerFlagWithSeal:
		s := &Seal{}
		s.Slot = r.u64()
		r.bytes(s.Proposer[:])
		r.bytes(s.VoteRoot[:])
		r.bytes(s.Sig[:])
		h.Seal = s
	default:
		r.fail("bad seal flag %d", flag)
	}
}

func (r *reader) lock(l *Lock) {
	k := LockKind(r.u8())
	l.Kind = k
	r.bytes(l.Key[:])
	switch k {
	case LockPay:
	case LockStake:
		r.bytes(l.Owner[:])
	case LockUnbonding:
		r.bytes(l.Owner[:])
		l.Release = r.u64()
	default:
		r.fail("unknown lock kind %d", k)
	}
}

func (r *reader) tx(tx *Tx) {
	tx.Version = r.u32()
	nin := r.varint(MaxTxInputs, "input count")
	if r.err != nil {
		return
	}
	// Each input takes at least 37 bytes: refuse counts the buffer cannot hold before allocating.
	if !r.need(int(nin) * 37) {
		return
	}
	tx.Inputs = make([]TxIn, nin)
	for i := range tx.Inputs {
		in := &tx.Inputs[i]
		r.bytes(in.Prev.TxID[:])
		in.Prev.Index = r.u32()
		n := r.varint(MaxCoinbaseData, "input data length")
		if n > 0 && r.need(int(n)) {
			in.Data = append([]byte(nil), r.b[r.off:r.off+int(n)]...)
			r.off += int(n)
		}
	}
	nout := r.varint(MaxTxOutputs, "output count")
	if r.err != nil || !r.need(int(nout)*41) {
		return
	}
	tx.Outputs = make([]TxOut, nout)
	for i := range tx.Outputs {
		tx.Outputs[i].Value = r.u64()
		r.lock(&tx.Outputs[i].Lock)
	}
	tx.LockTime = r.u64()
	for i := range tx.Inputs {
		n := r.varint(WitnessSize, "witness length")
		if n > 0 && r.need(int(n)) {
			tx.Inputs[i].Witness = append([]byte(nil), r.b[r.off:r.off+int(n)]...)
			r.off += int(n)
		}
	}
}

func (r *reader) vote(v *Vote) {
	if !r.need(voteEncodedSize) {
		return
	}
	r.bytes(v.Validator[:])
	v.Slot = r.u64()
	r.bytes(v.Head[:])
	v.Source.Epoch = r.u64()
	r.bytes(v.Source.Root[:])
	v.Target.Epoch = r.u64()
	r.bytes(v.Target.Root[:])
	r.bytes(v.Sig[:])
}

func (r *reader) evidence(e *Evidence) {
	e.Kind = EvidenceKind(r.u8())
	switch e.Kind {
	case EvidenceDoubleVote, EvidenceSurroundVote:
		r.vote(&e.VoteA)
		r.vote(&e.VoteB)
	case EvidenceDoubleBlock:
		r.header(&e.HeaderA)
		r.header(&e.HeaderB)
	default:
		r.fail("unknown evidence kind %d", e.Kind)
	}
}

func (r *reader) done() error {
	if r.err == nil && r.off != len(r.b) {
		r.fail("%d trailing bytes", len(r.b)-r.off)
	}
	return r.err
}

// DecodeHeader strictly decodes a header encoding.
func DecodeHeader(b []byte) (*Header, error) {
	r := reader{b: b, ctx: "header"}
	h := &Header{}
	r.header(h)
	if err := r.done(); err != nil {
		return nil, err
	}
	return h, nil
}

// DecodeTx strictly decodes a transaction encoding.
func DecodeTx(b []byte) (*Tx, error) {
	r := reader{b: b, ctx: "tx"}
	tx := &Tx{}
	r.tx(tx)
	if err := r.done(); err != nil {
		return nil, err
	}
	return tx, nil
}

// DecodeVote strictly decodes a vote encoding.
func DecodeVote(b []byte) (*Vote, error) {
	r := reader{b: b, ctx: "vote"}
	v := &Vote{}
	r.vote(v)
	if err := r.done(); err != nil {
		return nil, err
	}
	return v, nil
}

// DecodeEvidence strictly decodes slashing evidence.
func DecodeEvidence(b []byte) (*Evidence, error) {
	r := reader{b: b, ctx: "evidence"}
	e := &Evidence{}
	r.evidence(e)
	if err := r.done(); err != nil {
		return nil, err
	}
	return e, nil
}

// DecodeBlock strictly decodes a block encoding.
func DecodeBlock(b []byte) (*Block, error) {
	if len(b) > MaxEncodedBlock {
		return nil, decodeErr("block", "%d bytes exceeds limit %d", len(b), MaxEncodedBlock)
	}
	r := reader{b: b, ctx: "block"}
	blk := &Block{}
	r.header(&blk.Header)
	n := r.varint(MaxBlockTxs, "tx count")
	// a transaction takes at least 4+1+1+8 bytes
	if r.err == nil && n > 0 && r.need(int(n)*14) {
		txs := make([]Tx, n)
		blk.Txs = make([]*Tx, n)
		for i := range txs {
			r.tx(&txs[i])
			blk.Txs[i] = &txs[i]
			if r.err != nil {
				break
			}
		}
	}
	nv := r.varint(MaxBlockVotes, "vote count")
	if r.err == nil && nv > 0 && r.need(int(nv)*voteEncodedSize) {
		blk.Votes = make([]Vote, nv)
		for i := range blk.Votes {
			r.vote(&blk.Votes[i])
		}
	}
	ns := r.varint(MaxBlockSlashings, "slashing count")
	if r.err == nil && ns > 0 {
		blk.Slashings = make([]Evidence, ns)
		for i := range blk.Slashings {
			r.evidence(&blk.Slashings[i])
		}
	}
	if err := r.done(); err != nil {
		return nil, err
	}
	return blk, nil
}
