package lab

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"

	"chainlab/chain"
	"chainlab/genesis"
)

// LoadGen builds signed load transactions. Each spends its own genesis allocation output
// (BuildGenesis gives every load key many small ones), pays 1 coin to the next load key and
// returns the change, so no load transaction depends on another and a lost or reorged
// transaction never blocks the rest.
type LoadGen struct {
	mu     sync.Mutex
	keys   []*btcec.PrivateKey
	pubs   [][32]byte
	cbTxID chain.Hash
	per    int
	next   []int // next unused allocation per key
	fee    uint64
	k      int // round robin over keys
}

// NewLoadGen prepares the generator for a run genesis built by BuildGenesis from m.
func NewLoadGen(m *Manifest, g *genesis.Params) (*LoadGen, error) {
	blk, err := chain.GenesisBlock(g)
	if err != nil {
		return nil, err
	}
	lg := &LoadGen{cbTxID: blk.Txs[0].TxID(), per: allocsPerKey(m), fee: m.Load.Fee, next: make([]int, m.Load.Keys)}
	for i := 0; i < m.Load.Keys; i++ {
		k := LoadKey(i)
		lg.keys = append(lg.keys, k)
		lg.pubs = append(lg.pubs, genesis.XOnly(k))
	}
	if len(blk.Txs[0].Outputs) < m.Load.Keys*lg.per {
		return nil, fmt.Errorf("lab: genesis has %d outputs, want %d load allocations", len(blk.Txs[0].Outputs), m.Load.Keys*lg.per)
	}
	return lg, nil
}

// Remaining is how many more transactions the generator can build.
func (lg *LoadGen) Remaining() int {
	lg.mu.Lock()
	defer lg.mu.Unlock()
	n := 0
	for _, u := range lg.next {
		n += lg.per - u
	}
	return n
}

// Next builds the next transaction, or nil when the allocations are used up.
func (lg *LoadGen) Next() (*chain.Tx, error) {
	lg.mu.Lock()
	defer lg.mu.Unlock()
	nk := len(lg.keys)
	for tries := 0; tries < nk; tries++ {
		i := lg.k % nk
		lg.k++
		if lg.next[i] >= lg.per {
			continue
		}
		j := lg.next[i]
		lg.next[i]++
		const amount = 10 * genesis.Coin
		spent := chain.TxOut{Value: amount, Lock: chain.PayTo(lg.pubs[i])}
		tx := &chain.Tx{
			Version: 1,
			Inputs:  []chain.TxIn{{Prev: chain.OutPoint{TxID: lg.cbTxID, Index: uint32(i*lg.per + j)}}},
			Outputs: []chain.TxOut{
				{Value: genesis.Coin, Lock: chain.PayTo(lg.pubs[(i+1)%nk])},
				{Value: amount - genesis.Coin - lg.fee, Lock: chain.PayTo(lg.pubs[i])},
			},
		}
		if err := chain.SignTx(tx, []chain.TxOut{spent}, []*btcec.PrivateKey{lg.keys[i]}); err != nil {
			return nil, err
		}
		return tx, nil
	}
	return nil, nil
}

// LoadSchedule returns the send times (offsets from the run start) of a load pattern over
// [start, stop), drawn from a generator seeded by seed.
func LoadSchedule(l LoadSection, stop time.Duration, seed int64) []time.Duration {
	if l.Rate <= 0 {
		return nil
	}
	if l.Stop.Duration > 0 && l.Stop.Duration < stop {
		stop = l.Stop.Duration
	}
	var out []time.Duration
	t := l.Start.Duration
	switch l.Pattern {
	case PatternConstant:
		step := time.Duration(float64(time.Second) / l.Rate)
		for ; t < stop; t += step {
			out = append(out, t)
		}
	case PatternPoisson:
		rng := rand.New(rand.NewPCG(uint64(seed), 0x6c6f6164))
		for {
			t += time.Duration(rng.ExpFloat64() / l.Rate * float64(time.Second))
			if t >= stop {
				break
			}
			out = append(out, t)
		}
	case PatternBurst:
		for ; t < stop; t += l.BurstInterval.Duration {
			for k := 0; k < l.BurstSize; k++ {
				out = append(out, t)
			}
		}
	}
	return out
}
