package wallet

import (
	"encoding/hex"
	"fmt"
)

// hexBytes is a byte slice shown as hex in JSON.
type hexBytes []byte

func (h hexBytes) MarshalText() ([]byte, error) { return []byte(hex.EncodeToString(h)), nil }

func (h *hexBytes) UnmarshalText(b []byte) error {
	v, err := hex.DecodeString(string(b))
	if err != nil {
		return fmt.Errorf("hex: %w", err)
	}
	*h = v
	return nil
}

// Key32 is a 32-byte x-only public key shown as hex in JSON.
type Key32 [32]byte

func (k Key32) String() string { return hex.EncodeToString(k[:]) }

// MarshalText implements encoding.TextMarshaler.
func (k Key32) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// UnmarshalText implements encoding.TextUnmarshaler.
func (k *Key32) UnmarshalText(b []byte) error {
	v, err := ParseKey32(string(b))
	if err != nil {
		return err
	}
	*k = v
	return nil
}

// ParseKey32 parses a 64-hex-character x-only key.
func ParseKey32(s string) (Key32, error) {
	var k Key32
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return k, fmt.Errorf("%w: want a 32-byte hex key, got %q", ErrKey, s)
	}
	copy(k[:], b)
	return k, nil
}

func hexDecode(s string) ([]byte, error) {
	b, err := hex.DecodeString(s)
	if err != nil {
		return nil, fmt.Errorf("hex: %w", err)
	}
	return b, nil
}
