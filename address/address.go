package address

import (
	"errors"
	"fmt"
	"strings"

	"github.com/btcsuite/btcd/btcutil/bech32"
)

// Version is the first 5-bit group of every address (a segwit-v1-like version byte).
const Version = 1

// Errors returned by Decode; match them with errors.Is.
var (
	ErrFormat   = errors.New("address: malformed")
	ErrChecksum = errors.New("address: bad checksum")
	ErrPrefix   = errors.New("address: wrong network prefix")
	ErrLength   = errors.New("address: wrong key length")
	ErrVersion  = errors.New("address: unknown version")
)

// Encode returns the bech32m address of a 32-byte x-only key under prefix hrp.
func Encode(hrp string, key [32]byte) (string, error) {
	conv, err := bech32.ConvertBits(key[:], 8, 5, true)
	if err != nil {
		return "", fmt.Errorf("address: convert: %w", err)
	}
	data := append([]byte{Version}, conv...)
	s, err := bech32.EncodeM(hrp, data)
	if err != nil {
		return "", fmt.Errorf("%w: %v", ErrFormat, err)
	}
	return s, nil
}

// MustEncode is Encode for prefixes already validated (it panics only on an invalid hrp,
// which genesis validation rules out).
func MustEncode(hrp string, key [32]byte) string {
	s, err := Encode(hrp, key)
	if err != nil {
		panic(err)
	}
	return s
}

// Decode parses s, checks that its prefix is hrp, and returns the 32-byte key.
func Decode(hrp, s string) ([32]byte, error) {
	var key [32]byte
	gotHRP, data, version, err := bech32.DecodeGeneric(s)
	if err != nil {
		var ce bech32.ErrInvalidChecksum
		if errors.As(err, &ce) {
			return key, fmt.Errorf("%w: %q", ErrChecksum, s)
		}
		return key, fmt.Errorf("%w: %q: %v", ErrFormat, s, err)
	}
	if version != bech32.VersionM {
		return key, fmt.Errorf("%w: %q is bech32, not bech32m", ErrChecksum, s)
	}
	if gotHRP != strings.ToLower(hrp) {
		return key, fmt.Errorf("%w: %q has prefix %q, want %q", ErrPrefix, s, gotHRP, hrp)
	}
	if len(data) < 1 {
		return key, fmt.Errorf("%w: %q has no data", ErrFormat, s)
	}
	if data[0] != Version {
		return key, fmt.Errorf("%w: %d", ErrVersion, data[0])
	}
	raw, err := bech32.ConvertBits(data[1:], 5, 8, false)
	if err != nil {
		return key, fmt.Errorf("%w: %q: %v", ErrFormat, s, err)
	}
	if len(raw) != 32 {
		return key, fmt.Errorf("%w: %d bytes", ErrLength, len(raw))
	}
	copy(key[:], raw)
	return key, nil
}

// ValidPrefix reports whether hrp can be used as an address prefix.
func ValidPrefix(hrp string) bool {
	if len(hrp) < 1 || len(hrp) > 20 || hrp != strings.ToLower(hrp) {
		return false
	}
	for _, c := range hrp {
		if c < 33 || c > 126 || c == '1' {
			return false
		}
	}
	return true
}
