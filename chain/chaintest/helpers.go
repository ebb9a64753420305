package chaintest

import (
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"

	"chainlab/chain"
	"chainlab/genesis"
)

// Params returns the pow-dev preset with coinbase maturity 2, for tests.
func Params() *genesis.Params {
	p := genesis.PowDev()
	p.CoinbaseMaturity = 2
	return p
}

// Key returns the i-th funded genesis key (genesis.DevKey("alloc", i); pow-dev funds 0..7
// with 1000 coins each).
func Key(i int) *btcec.PrivateKey { return genesis.DevKey("alloc", i) }

// PubKey returns the x-only key of Key(i).
func PubKey(i int) [32]byte { return genesis.XOnly(Key(i)) }

// NewMemChain opens a chain with the test engine on a memory store; it is closed when tb
// ends. cfg may be nil; its Params, Engine and Store are filled in when unset.
func NewMemChain(tb testing.TB, cfg *chain.Config) (*chain.Chain, *Engine) {
	tb.Helper()
	var c chain.Config
	if cfg != nil {
		c = *cfg
	}
	if c.Params == nil {
		c.Params = Params()
	}
	e, _ := c.Engine.(*Engine)
	if c.Engine == nil {
		e = NewEngine(c.Params)
		c.Engine = e
	}
	if c.Store == nil {
		s, err := chain.OpenMemStore()
		if err != nil {
			tb.Fatal(err)
		}
		c.Store = s
	}
	ch, err := chain.New(c)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ch.Close() })
	return ch, e
}

// Now is a fixed "current time" far enough after the preset genesis for any test chain.
func Now() time.Time { return time.Unix(genesis.DevTime+365*24*3600, 0) }
