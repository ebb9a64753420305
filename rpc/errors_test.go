package rpc

import (
	"errors"
	"fmt"
	"testing"

	"chainlab/chain"
)

func TestToRPCError(t *testing.T) {
	cases := []struct {
		err  error
		code int
		msg  string
	}{
		{chain.NewRuleError(chain.ErrMissingInput, "input 0"), CodeVerify, "ErrMissingInput: input 0"},
		{fmt.Errorf("mempool: %w", chain.NewRuleError(chain.ErrBadSignature, "input 1")), CodeVerifyRejected, "mempool: ErrBadSignature: input 1"},
		{chain.NewRuleError(chain.ErrMalformed, "x"), CodeDeserialization, "ErrMalformed: x"},
		{chain.NewRuleError(chain.ErrDuplicateBlock, ""), CodeVerifyAlreadyIn, "ErrDuplicateBlock"},
		{chain.ErrFeeTooLow, CodeVerifyRejected, "ErrFeeTooLow"},
		{fmt.Errorf("x: %w", ErrUnavailable), CodeMethodNotFound, "x: not available on this node"},
		{ErrNotFound, CodeInvalidAddrOrKey, "not found"},
		{ErrInvalidParameter, CodeInvalidParameter, "invalid parameter"},
		{ErrNodeAlreadyAdded, CodeNodeAlreadyAdded, ""},
		{ErrNodeNotAdded, CodeNodeNotAdded, ""},
		{ErrNodeNotConnected, CodeNodeNotConnected, ""},
		{Errorf(CodeMisc, "m"), CodeMisc, "m"},
		{errors.New("leveldb: corrupted"), CodeInternal, "internal error: leveldb: corrupted"},
	}
	for _, tc := range cases {
		e := toRPCError(tc.err)
		if e.Code != tc.code || (tc.msg != "" && e.Message != tc.msg) {
			t.Errorf("%v: got %d %q, want %d %q", tc.err, e.Code, e.Message, tc.code, tc.msg)
		}
	}
}

func TestAmount(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Amount
		ok   bool
	}{
		{"0", 0, true}, {"1", 100_000_000, true}, {"0.00000001", 1, true}, {"12.5", 1_250_000_000, true},
		{".5", 50_000_000, true}, {"1.000000010", 100_000_001, true}, {"1.000000001", 0, false},
		{"-1", 0, false}, {"", 0, false}, {".", 0, false}, {"1e3", 0, false}, {"184467440737.09551615", 18446744073709551615, true},
		{"184467440737.09551616", 0, false},
	} {
		got, err := ParseAmount(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseAmount(%q) = %d, %v", tc.in, got, err)
		}
		if tc.ok {
			var back Amount
			if err := back.UnmarshalJSON(got.AppendJSON(nil)); err != nil || back != got {
				t.Errorf("round trip of %q: %v %v", tc.in, back, err)
			}
		}
	}
	if s := Amount(5_000_000_001).String(); s != "50.00000001" {
		t.Errorf("String: %s", s)
	}
}
