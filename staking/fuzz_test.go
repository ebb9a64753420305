package staking

import (
	"bytes"
	"testing"

	"chainlab/genesis"
)

// FuzzDecodeState: DecodeState never panics, and whatever it accepts re-encodes to the
// same bytes (the encoding is canonical).
func FuzzDecodeState(f *testing.F) {
	e, err := NewEngine(genesis.PosDev(3))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(e.gState.Encode())
	f.Add(e.gState.advance(e.pos, 3, e.gHash, e.gHash).Encode())
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := DecodeState(b)
		if err != nil {
			return
		}
		if !bytes.Equal(s.Encode(), b) {
			t.Fatal("accepted a non-canonical encoding")
		}
	})
}
