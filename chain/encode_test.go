package chain

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"strconv"
	"testing"
)

type headerVector struct {
	Name       string `json:"name"`
	Version    uint32 `json:"version"`
	Prev       string `json:"prev_block"`
	MerkleRoot string `json:"merkle_root"`
	Time       uint32 `json:"time"`
	Bits       string `json:"bits"`
	Nonce      uint32 `json:"nonce"`
	HeaderHex  string `json:"header_hex"`
	Hash       string `json:"hash"`
}

func loadHeaderVectors(t *testing.T) []headerVector {
	t.Helper()
	b, err := os.ReadFile("testdata/pow_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v struct {
		Headers []headerVector `json:"headers"`
	}
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	if len(v.Headers) < 2 {
		t.Fatalf("only %d header vectors", len(v.Headers))
	}
	return v.Headers
}

// Bitcoin's headers must serialize byte-exactly and hash to their known hashes through our
// Header type.
func TestBitcoinHeaderVectors(t *testing.T) {
	for _, v := range loadHeaderVectors(t) {
		bits, err := strconv.ParseUint(v.Bits, 0, 32)
		if err != nil {
			t.Fatal(err)
		}
		prev, err := ParseHash(v.Prev)
		if err != nil {
			t.Fatal(err)
		}
		mr, err := ParseHash(v.MerkleRoot)
		if err != nil {
			t.Fatal(err)
		}
		h := Header{Version: v.Version, Prev: prev, MerkleRoot: mr, Time: v.Time, Bits: uint32(bits), Nonce: v.Nonce}
		want, _ := hex.DecodeString(v.HeaderHex)
		if got := h.AppendHeader80(nil); v.HeaderHex != "" && !bytes.Equal(got, want) {
			t.Fatalf("%s: bytes\n got %x\nwant %x", v.Name, got, want)
		}
		if got := h.Hash().String(); got != v.Hash {
			t.Fatalf("%s: hash %s want %s", v.Name, got, v.Hash)
		}
		// and the canonical encoding (80 bytes + no-seal flag) decodes back to the same header
		dec, err := DecodeHeader(h.Bytes())
		if err != nil || !reflect.DeepEqual(dec, &h) {
			t.Fatalf("%s: decode %v", v.Name, err)
		}
	}
}

func sampleTx() *Tx {
	tx := &Tx{Version: 1, LockTime: 7}
	tx.Inputs = []TxIn{{Prev: OutPoint{TxID: Hash{1, 2}, Index: 3}, Witness: bytes.Repeat([]byte{9}, 64)}}
	tx.Outputs = []TxOut{
		{Value: 5, Lock: PayTo([32]byte{4})},
		{Value: 6, Lock: Lock{Kind: LockStake, Key: [32]byte{5}, Owner: [32]byte{6}}},
		{Value: 7, Lock: Lock{Kind: LockUnbonding, Key: [32]byte{5}, Owner: [32]byte{6}, Release: 99}},
	}
	return tx
}

func TestTxRoundTripAndTxID(t *testing.T) {
	tx := sampleTx()
	b := tx.Bytes()
	if len(b) != tx.SerializeSize() {
		t.Fatalf("size %d vs %d", len(b), tx.SerializeSize())
	}
	got, err := DecodeTx(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, tx) {
		t.Fatalf("round trip mismatch")
	}
	id := tx.TxID()
	tx.Inputs[0].Witness[0] ^= 1
	if tx.TxID() != id {
		t.Fatal("txid depends on witness")
	}
	tx.LockTime++
	if tx.TxID() == id {
		t.Fatal("txid ignores locktime")
	}
}

func TestStrictDecoding(t *testing.T) {
	b := sampleTx().Bytes()
	cases := map[string][]byte{
		"truncated":  b[:len(b)-1],
		"trailing":   append(append([]byte{}, b...), 0),
		"empty":      {},
		"huge count": append([]byte{1, 0, 0, 0, 0xfe, 0xff, 0xff, 0xff, 0x7f}, make([]byte, 10)...),
		"non-minimal varint": func() []byte {
			c := append([]byte{}, b[:4]...)
			c = append(c, 0xfd, 1, 0)
			return append(c, b[5:]...)
		}(),
	}
	for name, in := range cases {
		_, err := DecodeTx(in)
		if !errors.Is(err, ErrMalformed) {
			t.Errorf("%s: got %v, want ErrMalformed", name, err)
		}
	}
	if _, err := DecodeBlock([]byte{1, 2, 3}); !errors.Is(err, ErrMalformed) {
		t.Fatalf("block: %v", err)
	}
}

func TestBlockRoundTripWithSealAndVotes(t *testing.T) {
	blk := &Block{Header: Header{Version: 1, Time: 5, Seal: &Seal{Slot: 9, Proposer: [32]byte{1}}}}
	blk.Txs = []*Tx{NewCoinbase(3, []byte("x"), []TxOut{{Value: 1, Lock: PayTo([32]byte{2})}}), sampleTx()}
	blk.Votes = []Vote{{Validator: [32]byte{3}, Slot: 4, Target: Checkpoint{Epoch: 1}}}
	blk.Slashings = []Evidence{
		{Kind: EvidenceDoubleVote, VoteA: blk.Votes[0], VoteB: blk.Votes[0]},
		{Kind: EvidenceDoubleBlock, HeaderA: blk.Header, HeaderB: blk.Header},
	}
	blk.Slashings[1].HeaderB.Seal = nil
	b := blk.Bytes()
	if len(b) != blk.SerializeSize() {
		t.Fatalf("size %d vs %d", len(b), blk.SerializeSize())
	}
	got, err := DecodeBlock(b)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, blk) {
		t.Fatal("block round trip mismatch")
	}
	if h, err := CoinbaseHeight(got.Txs[0]); err != nil || h != 3 {
		t.Fatalf("coinbase height %d %v", h, err)
	}
}

func TestMerkleMutation(t *testing.T) {
	a, b, c := Hash{1}, Hash{2}, Hash{3}
	r1, m1 := MerkleRoot([]Hash{a, b, c})
	r2, m2 := MerkleRoot([]Hash{a, b, c, c})
	if r1 != r2 {
		t.Fatal("CVE-2012-2459 premise: roots should collide")
	}
	if m1 || !m2 {
		t.Fatalf("mutation flags %v %v", m1, m2)
	}
	if r, _ := MerkleRoot([]Hash{a}); r != a {
		t.Fatal("single-leaf root must be the leaf")
	}
}
