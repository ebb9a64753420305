package chain

import (
	"encoding/binary"
	"testing"
)

// Encoding benchmarks (issue 2: "encoding/decoding of a 1 MB block"):
//
//	go test ./chain -run '^$' -bench 'Encode|Decode|TxID|Merkle|HeaderHash' -benchmem
//
// The block is ~1 MB of 1-input, 2-output pay transactions, the shape of a payment load.

// benchTx returns a deterministic 1-in-2-out transaction with a dummy 64-byte witness.
func benchTx(i int) *Tx {
	var prev Hash
	binary.LittleEndian.PutUint64(prev[:], uint64(i)*0x9e3779b97f4a7c15)
	var k1, k2 [32]byte
	binary.LittleEndian.PutUint64(k1[:], uint64(i))
	binary.LittleEndian.PutUint64(k2[:], uint64(i)+1)
	w := make([]byte, WitnessSize)
	binary.LittleEndian.PutUint64(w, uint64(i))
	return &Tx{
		Version: 1,
		Inputs:  []TxIn{{Prev: OutPoint{TxID: prev, Index: uint32(i % 3)}, Witness: w}},
		Outputs: []TxOut{{Value: 1000 + uint64(i), Lock: PayTo(k1)}, {Value: 5000, Lock: PayTo(k2)}},
	}
}

// benchBlock builds a block of about size bytes.
func benchBlock(size int) *Block {
	cb := NewCoinbase(1, []byte("bench"), []TxOut{{Value: 50, Lock: PayTo([32]byte{1})}})
	blk := &Block{Header: Header{Version: 1, Time: 1700000000, Bits: 0x207fffff}, Txs: []*Tx{cb}}
	n := blk.SerializeSize()
	for i := 0; n < size; i++ {
		tx := benchTx(i)
		blk.Txs = append(blk.Txs, tx)
		n += tx.SerializeSize()
	}
	blk.Header.MerkleRoot, _ = MerkleRoot(TxIDs(blk.Txs))
	return blk
}

const benchBlockSize = 1 << 20

func BenchmarkBlockEncode(b *testing.B) {
	blk := benchBlock(benchBlockSize)
	buf := make([]byte, 0, blk.SerializeSize())
	b.SetBytes(int64(blk.SerializeSize()))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		buf = blk.AppendTo(buf[:0])
	}
	b.ReportMetric(float64(len(blk.Txs)), "txs/block")
}

// BenchmarkBlockBytes includes allocating the output buffer (what a relay does per block).
func BenchmarkBlockBytes(b *testing.B) {
	blk := benchBlock(benchBlockSize)
	b.SetBytes(int64(blk.SerializeSize()))
	b.ReportAllocs()
	for b.Loop() {
		_ = blk.Bytes()
	}
}

func BenchmarkBlockDecode(b *testing.B) {
	raw := benchBlock(benchBlockSize).Bytes()
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := DecodeBlock(raw); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkTxID(b *testing.B) {
	tx := benchTx(7)
	b.SetBytes(int64(len(tx.BaseBytes())))
	b.ReportAllocs()
	for b.Loop() {
		_ = tx.TxID()
	}
}

// BenchmarkBlockTxIDs computes every txid of the 1 MB block.
func BenchmarkBlockTxIDs(b *testing.B) {
	blk := benchBlock(benchBlockSize)
	b.ReportAllocs()
	for b.Loop() {
		_ = TxIDs(blk.Txs)
	}
	b.ReportMetric(float64(len(blk.Txs)), "txs/block")
}

func BenchmarkMerkleRoot4000(b *testing.B) {
	ids := make([]Hash, 4000)
	for i := range ids {
		ids[i] = benchTx(i).TxID()
	}
	b.ReportAllocs()
	for b.Loop() {
		_, _ = MerkleRoot(ids)
	}
}

func BenchmarkHeaderHash(b *testing.B) {
	h := Header{Version: 1, Prev: Hash{1}, MerkleRoot: Hash{2}, Time: 1700000000, Bits: 0x1d00ffff, Nonce: 42}
	b.SetBytes(HeaderSize)
	b.ReportAllocs()
	for b.Loop() {
		_ = h.Hash()
	}
}

func BenchmarkHeaderHashSealed(b *testing.B) {
	h := Header{Version: 1, Prev: Hash{1}, MerkleRoot: Hash{2}, Time: 1700000000, Seal: &Seal{Slot: 9}}
	b.SetBytes(HeaderSize + SealSize)
	b.ReportAllocs()
	for b.Loop() {
		_ = h.Hash()
	}
}

// TestBenchBlockShape keeps the benchmark honest: the block really is ~1 MB, decodes, and
// round-trips.
func TestBenchBlockShape(t *testing.T) {
	blk := benchBlock(benchBlockSize)
	raw := blk.Bytes()
	if len(raw) < benchBlockSize || len(raw) > benchBlockSize+1024 {
		t.Fatalf("bench block is %d bytes", len(raw))
	}
	got, err := DecodeBlock(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got.Hash() != blk.Hash() || len(got.Txs) != len(blk.Txs) {
		t.Fatal("round trip")
	}
}
