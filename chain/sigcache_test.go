package chain_test

import (
	"errors"
	"testing"

	"chainlab/chain"
	"chainlab/chain/chaintest"
)

func TestVerifyTxSignaturesAndCache(t *testing.T) {
	b := chaintest.NewBuilder(chaintest.Params())
	op, out := b.GenesisCoin(0)
	tx := chaintest.Pay(op, out, chaintest.Key(0), chaintest.PubKey(1), 1e8, 0)
	spent := []*chain.Coin{{Out: out}}
	cache := chain.NewSigCache(2)
	tests := []struct {
		name  string
		tx    func() *chain.Tx
		spent []*chain.Coin
		ok    bool
	}{
		{"good", func() *chain.Tx { return tx }, spent, true},
		{"flipped sig bit", func() *chain.Tx {
			c := *tx
			c.Inputs = []chain.TxIn{{Prev: op, Witness: append([]byte(nil), tx.Inputs[0].Witness...)}}
			c.Inputs[0].Witness[63] ^= 1
			return &c
		}, spent, false},
		{"spent value differs (sighash commits to it)", func() *chain.Tx { return tx }, []*chain.Coin{{Out: chain.TxOut{Value: out.Value - 1, Lock: out.Lock}}}, false},
		{"other key's output", func() *chain.Tx { return tx }, []*chain.Coin{{Out: chain.TxOut{Value: out.Value, Lock: chain.PayTo(chaintest.PubKey(1))}}}, false},
		{"spent count mismatch", func() *chain.Tx { return tx }, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for round := 0; round < 2; round++ { // the second round goes through the cache
				err := chain.VerifyTxSignatures(tc.tx(), tc.spent, cache)
				if tc.ok && err != nil {
					t.Fatal(err)
				}
				if !tc.ok && !errors.Is(err, chain.ErrBadSignature) {
					t.Fatalf("round %d: got %v", round, err)
				}
			}
		})
	}
	hits, _ := cache.Stats()
	if hits != 1 {
		t.Fatalf("%d cache hits, want 1 (only the good signature is cached)", hits)
	}
	if cache.Len() > 2 {
		t.Fatal("cache over its bound")
	}
	if err := chain.VerifyTxSignatures(tx, spent, nil); err != nil {
		t.Fatalf("nil cache: %v", err)
	}
}
