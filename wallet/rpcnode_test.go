package wallet

import (
	"encoding/hex"
	"testing"

	"chainlab/chain"
	"chainlab/rpc"
)

func TestParseLockView(t *testing.T) {
	var k, o [32]byte
	k[0], o[31] = 7, 9
	for _, l := range []chain.Lock{
		chain.PayTo(k),
		{Kind: chain.LockStake, Key: k, Owner: o},
		{Kind: chain.LockUnbonding, Key: k, Owner: o, Release: 1234},
	} {
		got, err := parseLockView(rpc.ScriptResult{Hex: hex.EncodeToString(l.AppendTo(nil))})
		if err != nil || got != l {
			t.Fatalf("%v: got %+v, %v", l, got, err)
		}
	}
	for _, bad := range []string{"", "zz", "00", "03" + hex.EncodeToString(k[:])} {
		if _, err := parseLockView(rpc.ScriptResult{Hex: bad}); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
