package staking

import (
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"

	"chainlab/genesis"
)

// TestScale1000Validators runs 1,000 validators (one Duties holding every key) on a real
// chain for several epochs and checks finality and memory. Long: set STAKING_LONG=1.
func TestScale1000Validators(t *testing.T) {
	if os.Getenv("STAKING_LONG") == "" {
		t.Skip("set STAKING_LONG=1")
	}
	p := genesis.PosDev(1000)
	n := newTestNetKeys(t, p)
	var ms runtime.MemStats
	start := time.Now()
	epochs := uint64(6)
	if s := os.Getenv("STAKING_EPOCHS"); s != "" {
		var e uint64
		for _, c := range s {
			e = e*10 + uint64(c-'0')
		}
		epochs = e
	}
	for e := uint64(1); e <= epochs; e++ {
		n.runUntilEpoch(e)
		runtime.GC()
		runtime.ReadMemStats(&ms)
		f := n.finality()
		t.Logf("epoch %d: justified %d finalized %d, %v elapsed, heap %d MB", e, f.Justified.Epoch, f.Finalized.Epoch, time.Since(start).Round(time.Millisecond), ms.HeapAlloc>>20)
	}
	if f := n.finality(); f.Finalized.Epoch+2 < epochs {
		t.Fatalf("finalized %d after %d epochs", f.Finalized.Epoch, epochs)
	}
}

// newTestNetKeys is newTestNet with a single Duties holding every validator key.
func newTestNetKeys(t *testing.T, p *genesis.Params) *testNet {
	n := newTestNetEmpty(t, p)
	var keys []*btcec.PrivateKey
	for i := range p.PoS.Validators {
		keys = append(keys, genesis.DevKey("validator", i))
	}
	prot, _ := NewProtection("")
	d, err := NewDuties(DutiesConfig{Engine: n.e, Keys: keys, Protection: prot, Template: n.template})
	if err != nil {
		t.Fatal(err)
	}
	n.keys = keys
	n.duties = []*Duties{d}
	n.online = []bool{true}
	return n
}
