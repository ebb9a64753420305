package p2p

import (
	"bytes"
	"errors"
	"reflect"
	"testing"

	"chainlab/chain"
)

var testLimits = Limits{MaxBlock: DefaultMaxBlockSize, MaxTx: DefaultMaxTxSize}

func sampleMessages() []Message {
	fc := newFakeChain(1000)
	blk := fc.extend(1, 7)[0]
	h := blk.Hash()
	vote := &chain.Vote{Validator: [32]byte{9}, Slot: 5, Head: h, Source: chain.Checkpoint{Epoch: 1, Root: h}, Target: chain.Checkpoint{Epoch: 2, Root: h}}
	return []Message{
		&MsgVersion{Protocol: 1, Magic: 0xabcd, Genesis: h, BestHeight: 7, BestHash: h, NodeID: NodeID{1, 2}, Time: 12345, ListenAddr: "127.0.0.1:1", UserAgent: "chainlab/test"},
		&MsgVerAck{},
		&MsgInv{Items: []InvItem{{InvBlock, h}, {InvTx, h}, {InvVote, h}, {InvEvidence, h}}},
		&MsgGetData{Items: []InvItem{{InvBlock, h}}},
		&MsgNotFound{Items: []InvItem{}},
		&MsgBlock{Block: blk},
		&MsgTx{Tx: blk.Txs[0]},
		&MsgVote{Vote: vote},
		&MsgEvidence{Evidence: &chain.Evidence{Kind: chain.EvidenceDoubleVote, VoteA: *vote, VoteB: *vote}},
		&MsgGetHeaders{Locator: []chain.Hash{h, {}}, Stop: h},
		&MsgHeaders{Headers: []*chain.Header{&blk.Header, {Version: 2, Seal: &chain.Seal{Slot: 3}}}},
		&MsgGetAddr{},
		&MsgAddr{Addrs: []AddrEntry{{NodeID: NodeID{3}, Seen: 99, Addr: "127.0.0.1:2"}}},
		&MsgPing{Nonce: 42},
		&MsgPong{Nonce: 43},
		&MsgReject{Message: MsgTypeBlock, Code: "ErrBadMerkleRoot", Reason: "bad root", Hash: h},
	}
}

func TestMessageRoundTrip(t *testing.T) {
	for _, m := range sampleMessages() {
		frame := EncodeMessage(m)
		if len(frame)-1 > testLimits.MaxBodySize(m.Type()) {
			t.Errorf("%s: body %d exceeds its own limit %d", m.Type(), len(frame)-1, testLimits.MaxBodySize(m.Type()))
		}
		got, err := DecodeMessage(frame, testLimits)
		if err != nil {
			t.Fatalf("%s: %v", m.Type(), err)
		}
		if !bytes.Equal(EncodeMessage(got), frame) {
			t.Errorf("%s: re-encoding differs", m.Type())
		}
		if m.Type() != MsgTypeBlock && m.Type() != MsgTypeTx && !reflect.DeepEqual(normalize(got), normalize(m)) {
			t.Errorf("%s: got %+v want %+v", m.Type(), got, m)
		}
		// every strict prefix is refused, and so is any trailing byte
		for cut := 1; cut < len(frame); cut++ {
			if _, err := DecodeMessage(frame[:cut], testLimits); err == nil && cut != len(frame) {
				if m.Type() == MsgTypeVerAck || m.Type() == MsgTypeGetAddr {
					continue
				}
				t.Errorf("%s: prefix of %d/%d bytes accepted", m.Type(), cut, len(frame))
				break
			}
		}
		if _, err := DecodeMessage(append(frame[:len(frame):len(frame)], 0), testLimits); !errors.Is(err, ErrMalformedMessage) && !errors.Is(err, ErrOversizeMessage) {
			t.Errorf("%s: trailing byte: err %v", m.Type(), err)
		}
	}
}

// normalize maps nil and empty slices together for DeepEqual.
func normalize(m Message) Message {
	switch x := m.(type) {
	case *MsgNotFound:
		if len(x.Items) == 0 {
			return &MsgNotFound{}
		}
	}
	return m
}

func TestDecodeStrictness(t *testing.T) {
	cases := []struct {
		name  string
		frame []byte
		want  error
	}{
		{"empty", nil, ErrMalformedMessage},
		{"unknown type", []byte{0xee}, ErrUnknownMessage},
		{"type zero", []byte{0}, ErrUnknownMessage},
		{"verack with body", []byte{byte(MsgTypeVerAck), 0}, ErrOversizeMessage},
		{"ping short", []byte{byte(MsgTypePing), 1, 2, 3}, ErrMalformedMessage},
		{"non-minimal varint", append([]byte{byte(MsgTypeInv), 0xfd, 1, 0}, make([]byte, 33)...), ErrMalformedMessage},
		{"inv count lies", []byte{byte(MsgTypeInv), 0xfd, 0x50, 0xc3}, ErrMalformedMessage},
		{"inv count over limit", []byte{byte(MsgTypeInv), 0xfe, 0x51, 0xc3, 0, 0}, ErrMalformedMessage},
		{"bad inv type", append([]byte{byte(MsgTypeInv), 1, 9}, make([]byte, 32)...), ErrMalformedMessage},
		{"locator too long", []byte{byte(MsgTypeGetHeaders), 102}, ErrMalformedMessage},
		{"bad utf8", []byte{byte(MsgTypeReject), 1, 1, 0xff, 0}, ErrMalformedMessage},
		{"vote too big", append([]byte{byte(MsgTypeVote)}, make([]byte, chain.VoteSize+1)...), ErrOversizeMessage},
		{"block garbage", []byte{byte(MsgTypeBlock), 1, 2, 3}, ErrMalformedMessage},
		{"headers bad seal flag", append(append([]byte{byte(MsgTypeHeaders), 1}, make([]byte, 80)...), 7), ErrMalformedMessage},
	}
	for _, c := range cases {
		_, err := DecodeMessage(c.frame, testLimits)
		if !errors.Is(err, c.want) {
			t.Errorf("%s: err = %v, want %v", c.name, err, c.want)
		}
	}
}

func TestLimitsCoverEveryType(t *testing.T) {
	for ty := MsgType(1); ty <= msgTypeMax; ty++ {
		if testLimits.MaxBodySize(ty) < 0 {
			t.Errorf("%s has no limit", ty)
		}
	}
	if testLimits.MaxBodySize(msgTypeMax+1) >= 0 {
		t.Error("unknown type has a limit")
	}
	if got := testLimits.maxFrame(); got != DefaultMaxBlockSize+1 {
		t.Errorf("maxFrame = %d", got)
	}
}

func FuzzDecodeMessage(f *testing.F) {
	for _, m := range sampleMessages() {
		f.Add(EncodeMessage(m))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := DecodeMessage(b, testLimits)
		if err != nil {
			return
		}
		// canonical: whatever decodes re-encodes to the same bytes
		if re := EncodeMessage(m); !bytes.Equal(re, b) {
			t.Fatalf("%s: re-encoding differs:\n%x\n%x", m.Type(), re, b)
		}
	})
}
