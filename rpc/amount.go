package rpc

import (
	"fmt"
	"strconv"
	"strings"

	"chainlab/genesis"
)

// Amount is a value in base units, shown in JSON as a coin amount with 8 decimals (a JSON
// number, as Bitcoin Core does: 50.00000000). It parses exactly, without floating point.
type Amount uint64

// MarshalJSON writes the fixed-point coin value.
func (a Amount) MarshalJSON() ([]byte, error) { return a.AppendJSON(nil), nil }

// AppendJSON appends the JSON form of a.
func (a Amount) AppendJSON(b []byte) []byte {
	b = strconv.AppendUint(b, uint64(a)/genesis.Coin, 10)
	frac := uint64(a) % genesis.Coin
	b = append(b, '.')
	var d [8]byte
	for i := 7; i >= 0; i-- {
		d[i] = byte('0' + frac%10)
		frac /= 10
	}
	return append(b, d[:]...)
}

// UnmarshalJSON parses a decimal coin amount (number or string) exactly.
func (a *Amount) UnmarshalJSON(b []byte) error {
	v, err := ParseAmount(strings.Trim(string(b), `"`))
	if err != nil {
		return err
	}
	*a = v
	return nil
}

// String returns the coin amount.
func (a Amount) String() string { return string(a.AppendJSON(nil)) }

// ParseAmount parses "12.5", "0.00000001" or "3" coins into base units.
func ParseAmount(s string) (Amount, error) {
	if s == "" || s[0] == '-' || s[0] == '+' {
		return 0, fmt.Errorf("amount %q: want a non-negative decimal", s)
	}
	whole, frac, dot := strings.Cut(s, ".")
	if whole == "" && (!dot || frac == "") {
		return 0, fmt.Errorf("amount %q: no digits", s)
	}
	if len(frac) > 8 {
		if strings.Trim(frac[8:], "0") != "" {
			return 0, fmt.Errorf("amount %q: more than 8 decimals", s)
		}
		frac = frac[:8]
	}
	var w uint64
	if whole != "" {
		var err error
		w, err = strconv.ParseUint(whole, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("amount %q: %w", s, err)
		}
	}
	var f uint64
	if frac != "" {
		v, err := strconv.ParseUint(frac, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("amount %q: %w", s, err)
		}
		for i := len(frac); i < 8; i++ {
			v *= 10
		}
		f = v
	}
	if w > (1<<64-1-f)/genesis.Coin {
		return 0, fmt.Errorf("amount %q: overflows", s)
	}
	return Amount(w*genesis.Coin + f), nil
}
