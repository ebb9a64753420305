package chain

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/big"
)

// The LevelDB key schema. Every key the chain writes starts with one of these prefix bytes;
// this file is the only place that builds keys or encodes stored values.
//
//	prefix  key                                  value
//	'V'     'V'                                  schema version, u32 LE (SchemaVersion)
//	'M'     'M' + name                           metadata, see the meta* names below
//	'b'     'b' + block hash                     canonical block encoding (Block.Bytes)
//	'i'     'i' + block hash                     index entry: status u8 | height u64 | seq u64 |
//	                                             varint len | cumulative weight (big-endian) | header encoding
//	'm'     'm' + height u64 BE                  main-chain block hash at height
//	'u'     'u' + txid + index u32 BE            coin: varint height | flags u8 (1=coinbase) | value u64 | lock
//	'r'     'r' + block hash                     undo: varint n | n coins (spent outputs, input order)
//	's'     's' + block hash                     engine state after the block (EngineState.Encode)
//	'a'     'a' + x-only key + txid + index BE   empty (address index, Config.AddrIndex)
//	't'     't' + txid                           block hash containing txid (Config.TxIndex)
//
// Metadata names ('M' + name):
//
//	"genesis"    genesis block hash
//	"tip"        main-chain tip: hash | height u64
//	"finalized"  engine finality at the tip: hash | height u64
//	"utxo"       UTXO set summary: count u64 | total value u64 | digest [32]
//	"seq"        next block-index sequence number u64 (first-seen order for fork-choice ties)
//	"flags"      u8 bit 0: address index kept, bit 1: tx index kept
//
// The UTXO digest is the XOR over all coins of SHA256('u'-key || coin encoding), so it is
// maintained incrementally by every connect/disconnect batch and recomputed by a full scan
// when a store is opened (the consistency check).
const (
	SchemaVersion = 1

	prefixVersion = 'V'
	prefixMeta    = 'M'
	prefixBlock   = 'b'
	prefixIndex   = 'i'
	prefixMain    = 'm'
	prefixUTXO    = 'u'
	prefixUndo    = 'r'
	prefixState   = 's'
	prefixAddr    = 'a'
	prefixTx      = 't'

	metaGenesis   = "genesis"
	metaTip       = "tip"
	metaFinalized = "finalized"
	metaUTXO      = "utxo"
	metaSeq       = "seq"
	metaFlags     = "flags"
)

// Index status bits.
const (
	statusHaveData      uint8 = 1 << 0 // body stored
	statusValid         uint8 = 1 << 1 // fully validated (connected at least once)
	statusFailed        uint8 = 1 << 2 // failed validation itself
	statusFailedParent  uint8 = 1 << 3 // descends from a failed block
	statusInvalidMask         = statusFailed | statusFailedParent
	statusHeaderChecked uint8 = 1 << 4 // Engine.VerifyHeader passed
)

func versionKey() []byte { return []byte{prefixVersion} }

func metaKey(name string) []byte { return append([]byte{prefixMeta}, name...) }

func hashKey(prefix byte, h Hash) []byte {
	k := make([]byte, 1+HashSize)
	k[0] = prefix
	copy(k[1:], h[:])
	return k
}

func mainKey(height uint64) []byte {
	k := make([]byte, 9)
	k[0] = prefixMain
	binary.BigEndian.PutUint64(k[1:], height)
	return k
}

func utxoKey(op OutPoint) []byte {
	k := make([]byte, 1+HashSize+4)
	k[0] = prefixUTXO
	copy(k[1:], op.TxID[:])
	binary.BigEndian.PutUint32(k[1+HashSize:], op.Index)
	return k
}

func outPointFromUTXOKey(k []byte) (OutPoint, error) {
	if len(k) != 1+HashSize+4 || k[0] != prefixUTXO {
		return OutPoint{}, fmt.Errorf("bad utxo key %x", k)
	}
	var op OutPoint
	copy(op.TxID[:], k[1:])
	op.Index = binary.BigEndian.Uint32(k[1+HashSize:])
	return op, nil
}

func addrKey(key [32]byte, op OutPoint) []byte {
	k := make([]byte, 1+32+HashSize+4)
	k[0] = prefixAddr
	copy(k[1:], key[:])
	copy(k[33:], op.TxID[:])
	binary.BigEndian.PutUint32(k[33+HashSize:], op.Index)
	return k
}

// ---- values ----

func encodeCoin(b []byte, c *Coin) []byte {
	b = AppendVarint(b, c.Height)
	var flags byte
	if c.Coinbase {
		flags = 1
	}
	b = append(b, flags)
	b = binary.LittleEndian.AppendUint64(b, c.Out.Value)
	return c.Out.Lock.AppendTo(b)
}

func (r *reader) coin(c *Coin) {
	c.Height = r.varint(1<<63, "coin height")
	flags := r.u8()
	if flags > 1 {
		r.fail("coin flags %d", flags)
	}
	c.Coinbase = flags == 1
	c.Out.Value = r.u64()
	r.lock(&c.Out.Lock)
}

func decodeCoin(b []byte) (*Coin, error) {
	r := reader{b: b, ctx: "coin"}
	c := &Coin{}
	r.coin(c)
	if err := r.done(); err != nil {
		return nil, fmt.Errorf("stored coin: %w", err)
	}
	return c, nil
}

// coinDigest is one coin's contribution to the UTXO digest.
func coinDigest(op OutPoint, c *Coin) [32]byte {
	var buf [128]byte
	b := append(buf[:0], utxoKey(op)...)
	b = encodeCoin(b, c)
	return sha256.Sum256(b)
}

func encodeUndo(spent []*Coin) []byte {
	b := AppendVarint(make([]byte, 0, 16+len(spent)*60), uint64(len(spent)))
	for _, c := range spent {
		b = encodeCoin(b, c)
	}
	return b
}

func decodeUndo(b []byte) ([]*Coin, error) {
	r := reader{b: b, ctx: "undo"}
	n := r.varint(uint64(len(b)), "undo count")
	var out []*Coin
	if r.err == nil {
		out = make([]*Coin, n)
		for i := range out {
			out[i] = &Coin{}
			r.coin(out[i])
		}
	}
	if err := r.done(); err != nil {
		return nil, fmt.Errorf("stored undo: %w", err)
	}
	return out, nil
}

// indexEntry is the stored form of a block-index node.
type indexEntry struct {
	status uint8
	height uint64
	seq    uint64
	work   *big.Int
	header Header
}

func encodeIndexEntry(e *indexEntry) []byte {
	w := e.work.Bytes()
	b := make([]byte, 0, 1+8+8+1+len(w)+HeaderSize+1+SealSize)
	b = append(b, e.status)
	b = binary.LittleEndian.AppendUint64(b, e.height)
	b = binary.LittleEndian.AppendUint64(b, e.seq)
	b = AppendVarint(b, uint64(len(w)))
	b = append(b, w...)
	return e.header.AppendTo(b)
}

func decodeIndexEntry(b []byte) (*indexEntry, error) {
	r := reader{b: b, ctx: "index entry"}
	e := &indexEntry{}
	e.status = r.u8()
	e.height = r.u64()
	e.seq = r.u64()
	n := r.varint(64, "work length")
	if r.err == nil && r.need(int(n)) {
		e.work = new(big.Int).SetBytes(r.b[r.off : r.off+int(n)])
		r.off += int(n)
	}
	r.header(&e.header)
	if err := r.done(); err != nil {
		return nil, fmt.Errorf("stored index entry: %w", err)
	}
	return e, nil
}

// tipRecord is a (hash, height) pair stored under "tip" and "finalized".
func encodeTip(h Hash, height uint64) []byte {
	return binary.LittleEndian.AppendUint64(append(make([]byte, 0, 40), h[:]...), height)
}

func decodeTip(b []byte) (Hash, uint64, error) {
	var h Hash
	if len(b) != 40 {
		return h, 0, fmt.Errorf("stored tip record is %d bytes", len(b))
	}
	copy(h[:], b)
	return h, binary.LittleEndian.Uint64(b[32:]), nil
}

// utxoStats is the stored UTXO set summary.
type utxoStats struct {
	count  uint64
	total  uint64
	digest [32]byte
}

func (s *utxoStats) add(op OutPoint, c *Coin) {
	s.count++
	s.total += c.Out.Value
	xorInto(&s.digest, coinDigest(op, c))
}

func (s *utxoStats) remove(op OutPoint, c *Coin) {
	s.count--
	s.total -= c.Out.Value
	xorInto(&s.digest, coinDigest(op, c))
}

func xorInto(d *[32]byte, x [32]byte) {
	for i := range d {
		d[i] ^= x[i]
	}
}

func (s *utxoStats) encode() []byte {
	b := binary.LittleEndian.AppendUint64(make([]byte, 0, 48), s.count)
	b = binary.LittleEndian.AppendUint64(b, s.total)
	return append(b, s.digest[:]...)
}

func decodeUTXOStats(b []byte) (utxoStats, error) {
	var s utxoStats
	if len(b) != 48 {
		return s, fmt.Errorf("stored utxo summary is %d bytes", len(b))
	}
	s.count = binary.LittleEndian.Uint64(b)
	s.total = binary.LittleEndian.Uint64(b[8:])
	copy(s.digest[:], b[16:])
	return s, nil
}
