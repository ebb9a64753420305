package wallet

import (
	"errors"
	"math"
	"testing"
)

func TestParseAmount(t *testing.T) {
	tests := []struct {
		in   string
		want uint64
		err  error
	}{
		{"0", 0, nil},
		{"1", 100_000_000, nil},
		{"12.5", 1_250_000_000, nil},
		{"0.00000001", 1, nil},
		{"1.00000001", 100_000_001, nil},
		{"000.10000000", 10_000_000, nil},
		{"184467440737.09551615", math.MaxUint64, nil},
		{"184467440737.09551616", 0, ErrAmountOverflow},
		{"184467440738", 0, ErrAmountOverflow},
		{"99999999999999999999999", 0, ErrAmountOverflow},
		{"0.000000001", 0, ErrAmountPrecision},
		{"1.123456789", 0, ErrAmountPrecision},
		{"-1", 0, ErrAmountNegative},
		{"-0.5", 0, ErrAmountNegative},
		{"", 0, ErrAmountSyntax},
		{"+1", 0, ErrAmountSyntax},
		{"1.", 0, ErrAmountSyntax},
		{".5", 0, ErrAmountSyntax},
		{"1e8", 0, ErrAmountSyntax},
		{"1,000", 0, ErrAmountSyntax},
		{" 1", 0, ErrAmountSyntax},
		{"1.2.3", 0, ErrAmountSyntax},
		{"0x10", 0, ErrAmountSyntax},
		{"NaN", 0, ErrAmountSyntax},
	}
	for _, tc := range tests {
		got, err := ParseAmount(tc.in)
		if tc.err != nil {
			if !errors.Is(err, tc.err) || !errors.Is(err, ErrAmount) {
				t.Errorf("ParseAmount(%q) error = %v, want %v", tc.in, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseAmount(%q) = %d, %v; want %d", tc.in, got, err, tc.want)
		}
	}
}

func TestFormatAmount(t *testing.T) {
	tests := []struct {
		in   uint64
		want string
	}{
		{0, "0.00000000"},
		{1, "0.00000001"},
		{100_000_000, "1.00000000"},
		{1_250_000_000, "12.50000000"},
		{math.MaxUint64, "184467440737.09551615"},
	}
	for _, tc := range tests {
		if got := FormatAmount(tc.in); got != tc.want {
			t.Errorf("FormatAmount(%d) = %q, want %q", tc.in, got, tc.want)
		}
		back, err := ParseAmount(tc.want)
		if err != nil || back != tc.in {
			t.Errorf("round trip %d: got %d, %v", tc.in, back, err)
		}
	}
}

func FuzzAmountRoundTrip(f *testing.F) {
	f.Add(uint64(0))
	f.Add(uint64(123456789))
	f.Fuzz(func(t *testing.T, v uint64) {
		got, err := ParseAmount(FormatAmount(v))
		if err != nil || got != v {
			t.Fatalf("%d -> %q -> %d, %v", v, FormatAmount(v), got, err)
		}
	})
}
