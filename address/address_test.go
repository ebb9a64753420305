package address

import (
	"errors"
	"strings"
	"testing"
)

func TestRoundTrip(t *testing.T) {
	var k [32]byte
	for i := range k {
		k[i] = byte(i * 7)
	}
	s, err := Encode("clab", k)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(s, "clab1") {
		t.Fatalf("prefix: %s", s)
	}
	got, err := Decode("clab", s)
	if err != nil || got != k {
		t.Fatalf("decode: %v %x", err, got)
	}
}

func TestErrors(t *testing.T) {
	var k [32]byte
	k[0] = 9
	s := MustEncode("clab", k)
	if _, err := Decode("other", s); !errors.Is(err, ErrPrefix) {
		t.Fatalf("prefix: %v", err)
	}
	b := []byte(s)
	last := b[len(b)-1]
	if last == 'q' {
		b[len(b)-1] = 'p'
	} else {
		b[len(b)-1] = 'q'
	}
	if _, err := Decode("clab", string(b)); !errors.Is(err, ErrChecksum) {
		t.Fatalf("checksum: %v", err)
	}
	if _, err := Decode("clab", "nonsense"); !errors.Is(err, ErrFormat) {
		t.Fatalf("format: %v", err)
	}
	if _, err := Decode("clab", ""); err == nil {
		t.Fatal("empty accepted")
	}
}
