package chain

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
)

// HashSize is the size of a Hash in bytes.
const HashSize = 32

// Hash is a SHA-256d digest. It is shown byte-reversed in hex, as Bitcoin does.
type Hash [HashSize]byte

// ZeroHash is the all-zero hash (null prev of genesis, null outpoint of a coinbase).
var ZeroHash Hash

// String returns the byte-reversed hex form.
func (h Hash) String() string {
	var r [HashSize]byte
	for i := range h {
		r[i] = h[HashSize-1-i]
	}
	return hex.EncodeToString(r[:])
}

// IsZero reports whether h is all zeros.
func (h Hash) IsZero() bool { return h == ZeroHash }

// MarshalText implements encoding.TextMarshaler (display order).
func (h Hash) MarshalText() ([]byte, error) { return []byte(h.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler (display order).
func (h *Hash) UnmarshalText(b []byte) error {
	v, err := ParseHash(string(b))
	if err != nil {
		return err
	}
	*h = v
	return nil
}

// ParseHash parses the byte-reversed hex form.
func ParseHash(s string) (Hash, error) {
	var h Hash
	if len(s) != 2*HashSize {
		return h, fmt.Errorf("hash: want %d hex characters, got %d", 2*HashSize, len(s))
	}
	b, err := hex.DecodeString(s)
	if err != nil {
		return h, fmt.Errorf("hash: %w", err)
	}
	for i := range h {
		h[i] = b[HashSize-1-i]
	}
	return h, nil
}

// DoubleSHA256 returns SHA256(SHA256(b)).
func DoubleSHA256(b []byte) Hash {
	first := sha256.Sum256(b)
	return Hash(sha256.Sum256(first[:]))
}

// TaggedHash returns the BIP-340 tagged hash SHA256(SHA256(tag)||SHA256(tag)||msg...).
func TaggedHash(tag string, msgs ...[]byte) Hash {
	t := sha256.Sum256([]byte(tag))
	h := sha256.New()
	h.Write(t[:])
	h.Write(t[:])
	for _, m := range msgs {
		h.Write(m)
	}
	var out Hash
	h.Sum(out[:0])
	return out
}
