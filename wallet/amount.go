package wallet

import (
	"errors"
	"fmt"
	"math"
	"strings"
)

// Decimals is the number of decimal places of a coin: 1 coin = 10^8 base units.
const Decimals = 8

// unitsPerCoin is 10^Decimals (genesis.Coin; repeated here so the parser stands alone).
const unitsPerCoin = 100_000_000

// Amount errors; match them with errors.Is. Every one is also an ErrAmount.
var (
	ErrAmount          = errors.New("wallet: bad amount")
	ErrAmountSyntax    = fmt.Errorf("%w: not a decimal number of coins", ErrAmount)
	ErrAmountPrecision = fmt.Errorf("%w: more than %d decimal places", ErrAmount, Decimals)
	ErrAmountNegative  = fmt.Errorf("%w: negative", ErrAmount)
	ErrAmountOverflow  = fmt.Errorf("%w: too large", ErrAmount)
)

// ParseAmount parses a decimal number of coins ("12", "0.5", "1.00000001") into base units.
// It uses integer arithmetic only. It rejects signs (a leading '-' gives ErrAmountNegative),
// exponents, separators, empty parts ("1.", ".5"), more than 8 decimals and values that do not
// fit in a uint64.
func ParseAmount(s string) (uint64, error) {
	if strings.HasPrefix(s, "-") {
		return 0, fmt.Errorf("%w: %q", ErrAmountNegative, s)
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || (hasDot && frac == "") || !allDigits(whole) || !allDigits(frac) {
		return 0, fmt.Errorf("%w: %q", ErrAmountSyntax, s)
	}
	if len(frac) > Decimals {
		return 0, fmt.Errorf("%w: %q", ErrAmountPrecision, s)
	}
	var w uint64
	for _, c := range whole {
		d := uint64(c - '0')
		if w > (math.MaxUint64-d)/10 {
			return 0, fmt.Errorf("%w: %q", ErrAmountOverflow, s)
		}
		w = w*10 + d
	}
	var f uint64
	for i := 0; i < Decimals; i++ {
		f *= 10
		if i < len(frac) {
			f += uint64(frac[i] - '0')
		}
	}
	if w > (math.MaxUint64-f)/unitsPerCoin {
		return 0, fmt.Errorf("%w: %q", ErrAmountOverflow, s)
	}
	return w*unitsPerCoin + f, nil
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// FormatAmount prints base units as coins with exactly 8 decimals ("12.50000000").
func FormatAmount(v uint64) string {
	return fmt.Sprintf("%d.%08d", v/unitsPerCoin, v%unitsPerCoin)
}
