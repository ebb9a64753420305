package chain

import (
	"bytes"
	"errors"
	"testing"

	"chainlab/genesis"
)

// Fuzz targets for the strict decoders. Run one with, e.g.:
//
//	go test ./chain -run '^$' -fuzz '^FuzzDecodeTx$' -fuzztime 20s
//
// Each target checks three properties on arbitrary input:
//   - decoding never panics and every failure is a RuleError of kind ErrMalformed;
//   - when decoding succeeds, re-encoding gives back exactly the input (the encoding is
//     canonical: one value, one byte string), and the size helpers agree with it;
//   - the hashing helpers (txid, block hash, merkle root) accept whatever decoded.
//
// Seeds come from f.Add below plus the files under testdata/fuzz/<Target>/.

func fuzzSeedTxs() []*Tx {
	full := &Tx{Version: 1, LockTime: 42}
	full.Inputs = []TxIn{
		{Prev: OutPoint{TxID: Hash{0xaa, 1}, Index: 0}, Witness: bytes.Repeat([]byte{7}, WitnessSize)},
		{Prev: OutPoint{TxID: Hash{0xbb, 2}, Index: 0xfffe}, Witness: bytes.Repeat([]byte{8}, WitnessSize)},
	}
	full.Outputs = []TxOut{
		{Value: 1, Lock: PayTo([32]byte{1})},
		{Value: 2, Lock: Lock{Kind: LockStake, Key: [32]byte{2}, Owner: [32]byte{3}}},
		{Value: 3, Lock: Lock{Kind: LockUnbonding, Key: [32]byte{4}, Owner: [32]byte{5}, Release: 1 << 40}},
	}
	noWitness := &Tx{Version: 2, Inputs: []TxIn{{Prev: OutPoint{Index: 1}}}, Outputs: []TxOut{{Value: 9}}}
	cb := NewCoinbase(300, []byte("extra nonce"), []TxOut{{Value: 50, Lock: PayTo([32]byte{9})}})
	empty := &Tx{}
	return []*Tx{full, noWitness, cb, empty}
}

func fuzzSeedVote() Vote {
	return Vote{
		Validator: [32]byte{1, 2, 3}, Slot: 77, Head: Hash{4},
		Source: Checkpoint{Epoch: 1, Root: Hash{5}}, Target: Checkpoint{Epoch: 2, Root: Hash{6}},
		Sig: [64]byte{7, 8},
	}
}

func fuzzSeedBlocks() []*Block {
	txs := fuzzSeedTxs()
	pow := &Block{Header: Header{Version: 1, Prev: Hash{1}, Time: 1700000000, Bits: 0x207fffff, Nonce: 5}}
	pow.Txs = txs[:3]
	pow.Header.MerkleRoot, _ = MerkleRoot(TxIDs(pow.Txs))
	v := fuzzSeedVote()
	pos := &Block{Header: Header{Version: 1, Time: 1700000001, Seal: &Seal{Slot: 3, Proposer: [32]byte{9}}}}
	pos.Txs = []*Tx{txs[2]}
	pos.Votes = []Vote{v, v}
	sealed := pos.Header
	pos.Slashings = []Evidence{
		{Kind: EvidenceDoubleVote, VoteA: v, VoteB: v},
		{Kind: EvidenceSurroundVote, VoteA: v, VoteB: v},
		{Kind: EvidenceDoubleBlock, HeaderA: sealed, HeaderB: Header{Version: 2}},
	}
	return []*Block{pow, pos, {}}
}

// checkMalformed fails unless err is a *RuleError of kind ErrMalformed.
func checkMalformed(t *testing.T, what string, err error) {
	t.Helper()
	var re *RuleError
	if !errors.As(err, &re) || !errors.Is(err, ErrMalformed) {
		t.Fatalf("%s: error %v (%T) is not an ErrMalformed RuleError", what, err, err)
	}
}

func FuzzDecodeTx(f *testing.F) {
	for _, tx := range fuzzSeedTxs() {
		f.Add(tx.Bytes())
	}
	f.Add([]byte{})
	f.Add([]byte{1, 0, 0, 0, 0xfd, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, in []byte) {
		tx, err := DecodeTx(in)
		if err != nil {
			checkMalformed(t, "DecodeTx", err)
			return
		}
		if out := tx.Bytes(); !bytes.Equal(out, in) {
			t.Fatalf("not canonical:\n in  %x\n out %x", in, out)
		}
		if n := tx.SerializeSize(); n != len(in) {
			t.Fatalf("SerializeSize %d, encoding %d bytes", n, len(in))
		}
		// The txid hashes exactly the base encoding.
		if tx.TxID() != DoubleSHA256(tx.BaseBytes()) {
			t.Fatal("TxID disagrees with BaseBytes")
		}
		_ = tx.IsCoinbase()
	})
}

func FuzzDecodeHeader(f *testing.F) {
	for _, b := range fuzzSeedBlocks() {
		f.Add(b.Header.Bytes())
	}
	f.Add(make([]byte, HeaderSize))
	f.Add(append(make([]byte, HeaderSize), 2))
	f.Fuzz(func(t *testing.T, in []byte) {
		h, err := DecodeHeader(in)
		if err != nil {
			checkMalformed(t, "DecodeHeader", err)
			return
		}
		if out := h.Bytes(); !bytes.Equal(out, in) {
			t.Fatalf("not canonical:\n in  %x\n out %x", in, out)
		}
		// The block hash covers the 80-byte layout and (PoS) the seal: everything but the
		// seal flag byte.
		pre := append(append([]byte{}, in[:HeaderSize]...), in[HeaderSize+1:]...)
		if h.Hash() != DoubleSHA256(pre) {
			t.Fatal("Hash does not cover the encoding")
		}
		_ = h.SigningHash()
	})
}

func FuzzDecodeBlock(f *testing.F) {
	for _, b := range fuzzSeedBlocks() {
		f.Add(b.Bytes())
	}
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, in []byte) {
		blk, err := DecodeBlock(in)
		if err != nil {
			checkMalformed(t, "DecodeBlock", err)
			return
		}
		if out := blk.Bytes(); !bytes.Equal(out, in) {
			t.Fatalf("not canonical:\n in  %x\n out %x", in, out)
		}
		if n := blk.SerializeSize(); n != len(in) {
			t.Fatalf("SerializeSize %d, encoding %d bytes", n, len(in))
		}
		_, _ = MerkleRoot(TxIDs(blk.Txs))
		_ = blk.Hash()
		_ = blk.ComputeVoteRoot()
	})
}

func FuzzDecodeVote(f *testing.F) {
	v := fuzzSeedVote()
	f.Add(v.AppendTo(nil))
	f.Add(make([]byte, VoteSize))
	f.Add(make([]byte, VoteSize-1))
	f.Fuzz(func(t *testing.T, in []byte) {
		v, err := DecodeVote(in)
		if err != nil {
			checkMalformed(t, "DecodeVote", err)
			return
		}
		if out := v.AppendTo(nil); !bytes.Equal(out, in) {
			t.Fatalf("not canonical:\n in  %x\n out %x", in, out)
		}
		if v.Hash() != DoubleSHA256(in) {
			t.Fatal("vote hash does not cover the encoding")
		}
		_ = v.SigningHash()
	})
}

func FuzzDecodeEvidence(f *testing.F) {
	for _, e := range fuzzSeedBlocks()[1].Slashings {
		f.Add(e.AppendTo(nil))
	}
	f.Add([]byte{0})
	f.Add([]byte{byte(EvidenceDoubleBlock)})
	f.Fuzz(func(t *testing.T, in []byte) {
		e, err := DecodeEvidence(in)
		if err != nil {
			checkMalformed(t, "DecodeEvidence", err)
			return
		}
		if out := e.AppendTo(nil); !bytes.Equal(out, in) {
			t.Fatalf("not canonical:\n in  %x\n out %x", in, out)
		}
		_ = e.Hash()
	})
}

// FuzzGenesisBlock: any spec genesis.Parse accepts must build a genesis block
// deterministically, and that block must pass the context-free block rules of its own
// parameters and round-trip through the strict decoder.
func FuzzGenesisBlock(f *testing.F) {
	for _, name := range genesis.PresetNames() {
		p, _ := genesis.Preset(name)
		b, err := p.Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		p, err := genesis.Parse(in)
		if err != nil {
			return
		}
		gb, err := GenesisBlock(p)
		if err != nil {
			t.Fatalf("params parse but the genesis block does not build: %v", err)
		}
		again, _ := GenesisBlock(p)
		if gb.Hash() != again.Hash() {
			t.Fatal("genesis block is not deterministic")
		}
		if _, err := CheckBlockSanity(gb, p, p.Consensus); err != nil && !errors.Is(err, ErrBlockTooBig) && !errors.Is(err, ErrUnexpectedSeal) && !errors.Is(err, ErrBadTxOutValue) {
			t.Fatalf("genesis block breaks its own rules: %v", err)
		}
		raw := gb.Bytes()
		dec, err := DecodeBlock(raw)
		if err != nil || dec.Hash() != gb.Hash() {
			t.Fatalf("genesis block does not round-trip: %v", err)
		}
	})
}
