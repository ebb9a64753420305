package chain_test

import (
	"errors"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"

	"chainlab/chain"
	"chainlab/chain/chaintest"
)

type blockCase struct {
	name  string
	kind  chain.ErrorKind
	build func(b *chaintest.Builder, g chain.Hash) []*chain.Block // all but the last must be accepted
}

func payTx(b *chaintest.Builder, i int, value, fee uint64) *chain.Tx {
	op, out := b.GenesisCoin(i)
	return chaintest.Pay(op, out, chaintest.Key(i), chaintest.PubKey(7), value, fee)
}

func TestBlockRules(t *testing.T) {
	coin := uint64(1e8)
	cases := []blockCase{
		{"too big", chain.ErrBlockTooBig, func(b *chaintest.Builder, g chain.Hash) []*chain.Block {
			op, out := b.GenesisCoin(0)
			outs := make([]chain.TxOut, 26000)
			for i := range outs {
				outs[i] = chain.TxOut{Value: 1000, Lock: chain.PayTo(chaintest.PubKey(1))}
			}
			tx := chaintest.Spend([]chain.OutPoint{op}, []chain.TxOut{out}, []*btcec.PrivateKey{chaintest.Key(0)}, outs)
			return []*chain.Block{b.Block(g, []*chain.Tx{tx}, 0)}
		}},
		{"no transactions", chain.ErrNoTransactions, func(b *chaintest.Builder, g chain.Hash) []*chain.Block {
			return []*chain.Block{b.Block(g, nil, 0, func(blk *chain.Block) { blk.Txs = nil })}
		}},
		{"first not coinbase", chain.ErrFirstTxNotCoinbase, func(b *chaintest.Builder, g chain.Hash) []*chain.Block {
			return []*chain.Block{b.Block(g, []*chain.Tx{payTx(b, 0, coin, 0)}, 0, func(blk *chain.Block) { blk.Txs = blk.Txs[1:] })}
		}},
		{"two coinbases", chain.ErrMultipleCoinbases, func(b *chaintest.Builder, g chain.Hash) []*chain.Block {
			return []*chain.Block{b.Block(g, nil, 0, func(blk *chain.Block) {
				blk.Txs = append(blk.Txs, chain.NewCoinbase(1, []byte("x"), []chain.TxOut{{Value: 1, Lock: chain.PayTo(chaintest.PubKey(1))}}))
			})}
		}},
		{"coinbase wrong height", chain.ErrBadCoinbaseData, func(b *chaintest.Builder, g chain.Hash) []*chain.Block {
			return []*chain.Block{b.Block(g, nil, 0, func(blk *chain.Block) { blk.Txs[0].Inputs[0].Data[0] = 9 })}
		}},
		{"coinbase data short", chain.ErrBadCoinbaseData, func(b *chaintest.Builder, g chain.Hash) []*chain.Block {
			return []*chain.Block{b.Block(g, nil, 0, func(blk *chain.Block) { blk.Txs[0].Inputs[0].Data = []byte{1} })}
		}},
		{"bad merkle root", chain.ErrBadMerkleRoot, func(b *chaintest.Builder, g chain.Hash) []*chain.Block {
			blk := b.Block(g, nil, 0)
			blk.Header.MerkleRoot[0] ^= 1
			return []*chain.Block{blk}
		}},
		{"merkle mutation", chain.ErrMerkleMutation, func(b *chaintest.Builder, g chain.Hash) []*chain.Block {
			t1, t2 := payTx(b, 0, coin, 0), payTx(b, 1, coin, 0)
			blk := b.Block(g, []*chain.Tx{t1, t2}, 0)
			blk.Txs = append(blk.Txs, t2) // same root, different list
			return []*chain.Block{blk}
		}},
		{"duplicate tx", chain.ErrDuplicateTx, func(b *chaintest.Builder, g chain.Hash) []*chain.Block {
			t1, t2 := payTx(b, 0, coin, 0), payTx(b, 1, coin, 0)
			return []*chain.Block{b.Block(g, []*chain.Tx{t1, t2, t1}, 0)}
		}},
		{"double spend in block", chain.ErrDoubleSpend, func(b *chaintest.Builder, g chain.Hash) []*chain.Block {
			op, out := b.GenesisCoin(0)
			t1 := chaintest.Pay(op, out, chaintest.Key(0), chaintest.PubKey(1), coin, 0)
			t2 := chaintest.Pay(op, out, chaintest.Key(0), chaintest.PubKey(2), coin, 0)
			return []*chain.Block{b.Block(g, []*chain.Tx{t1, t2}, 0)}
		}},
		{"no inputs", chain.ErrNoTxInputs, func(b *chaintest.Builder, g chain.Hash) []*chain.Block {
			tx := &chain.Tx{Version: 1, Outputs: []chain.TxOut{{Value: 1, Lock: chain.PayTo(chaintest.PubKey(1))}}}
			return []*chain.Block{b.Block(g, []*chain.Tx{tx}, 0)}
		}},
		{"no outputs", chain.ErrNoTxOutputs, func(b *chaintest.Builder, g chain.Hash) []*chain.Block {
			tx := payTx(b, 0, coin, 0)
			tx.Outputs = nil
			return []*chain.Block{b.Block(g, []*chain.Tx{tx}, 0)}
		}},
		{"zero output", chain.ErrBadTxOutValue, func(b *chaintest.Builder, g chain.Hash) []*chain.Block {
			return []*chain.Block{b.Block(g, []*chain.Tx{payTx(b, 0, 0, 0)}, 0)}
		}},
		{"output over max money", chain.ErrBadTxOutValue, func(b *chaintest.Builder, g chain.Hash) []*chain.Block {
			tx := payTx(b, 0, coin, 0)
			tx.Outputs[0].Value = chain.MaxMoney + 1
			return []*chain.Block{b.Block(g, []*chain.Tx{tx}, 0)}
		}},
		{"duplicate inputs", chain.ErrDuplicateTxInputs, func(b *chaintest.Builder, g chain.Hash) []*chain.Block {
			op, out := b.GenesisCoin(0)
			k := chaintest.Key(0)
			tx := chaintest.Spend([]chain.OutPoint{op, op}, []chain.TxOut{out, out}, []*btcec.PrivateKey{k, k},
				[]chain.TxOut{{Value: coin, Lock: chain.PayTo(chaintest.PubKey(1))}})
			return []*chain.Block{b.Block(g, []*chain.Tx{tx}, 0)}
		}},
		{"null prevout", chain.ErrBadTxInput, func(b *chaintest.Builder, g chain.Hash) []*chain.Block {
			tx := payTx(b, 0, coin, 0)
			tx.Inputs = append(tx.Inputs, chain.TxIn{Prev: chain.NullOutPoint, Witness: make([]byte, 64)})
			return []*chain.Block{b.Block(g, []*chain.Tx{tx}, 0)}
		}},
		{"data in non-coinbase", chain.ErrBadTxInput, func(b *chaintest.Builder, g chain.Hash) []*chain.Block {
			tx := payTx(b, 0, coin, 0)
			tx.Inputs[0].Data = []byte{1}
			return []*chain.Block{b.Block(g, []*chain.Tx{tx}, 0)}
		}},
		{"short witness", chain.ErrBadWitness, func(b *chaintest.Builder, g chain.Hash) []*chain.Block {
			tx := payTx(b, 0, coin, 0)
			tx.Inputs[0].Witness = tx.Inputs[0].Witness[:10]
			return []*chain.Block{b.Block(g, []*chain.Tx{tx}, 0)}
		}},
		{"bad lock", chain.ErrBadLock, func(b *chaintest.Builder, g chain.Hash) []*chain.Block {
			tx := payTx(b, 0, coin, 0)
			tx.Outputs[0].Lock.Release = 5
			return []*chain.Block{b.Block(g, []*chain.Tx{tx}, 0)}
		}},
		{"votes in pow block", chain.ErrUnexpectedVotes, func(b *chaintest.Builder, g chain.Hash) []*chain.Block {
			return []*chain.Block{b.Block(g, nil, 0, func(blk *chain.Block) { blk.Votes = []chain.Vote{{Slot: 1}} })}
		}},
		{"seal in pow block", chain.ErrUnexpectedSeal, func(b *chaintest.Builder, g chain.Hash) []*chain.Block {
			return []*chain.Block{b.Block(g, nil, 0, func(blk *chain.Block) { blk.Header.Seal = &chain.Seal{Slot: 1} })}
		}},
		{"version 0", chain.ErrBadVersion, func(b *chaintest.Builder, g chain.Hash) []*chain.Block {
			return []*chain.Block{b.Block(g, nil, 0, func(blk *chain.Block) { blk.Header.Version = 0 })}
		}},
		{"time too old", chain.ErrTimeTooOld, func(b *chaintest.Builder, g chain.Hash) []*chain.Block {
			return []*chain.Block{b.Block(g, nil, 0, func(blk *chain.Block) { blk.Header.Time = b.Genesis.Header.Time })}
		}},
		{"time too new", chain.ErrTimeTooNew, func(b *chaintest.Builder, g chain.Hash) []*chain.Block {
			return []*chain.Block{b.Block(g, nil, 0, func(blk *chain.Block) {
				blk.Header.Time = uint32(chaintest.Now().Add(3 * time.Hour).Unix())
			})}
		}},
		{"orphan", chain.ErrOrphan, func(b *chaintest.Builder, g chain.Hash) []*chain.Block {
			b1 := b.Block(g, nil, 0)
			return []*chain.Block{b.Block(b1.Hash(), nil, 0)}
		}},
		{"missing input", chain.ErrMissingInput, func(b *chaintest.Builder, g chain.Hash) []*chain.Block {
			_, out := b.GenesisCoin(0)
			tx := chaintest.Pay(chain.OutPoint{Index: 3}, out, chaintest.Key(0), chaintest.PubKey(1), coin, 0)
			return []*chain.Block{b.Block(g, []*chain.Tx{tx}, 0)}
		}},
		{"spent input", chain.ErrMissingInput, func(b *chaintest.Builder, g chain.Hash) []*chain.Block {
			op, out := b.GenesisCoin(0)
			b1 := b.Block(g, []*chain.Tx{chaintest.Pay(op, out, chaintest.Key(0), chaintest.PubKey(1), coin, 0)}, 0)
			b2 := b.Block(b1.Hash(), []*chain.Tx{chaintest.Pay(op, out, chaintest.Key(0), chaintest.PubKey(2), coin, 0)}, 0)
			return []*chain.Block{b1, b2}
		}},
		{"immature coinbase", chain.ErrImmatureSpend, func(b *chaintest.Builder, g chain.Hash) []*chain.Block {
			b1 := b.Block(g, nil, 0)
			cb := b1.Txs[0]
			tx := chaintest.Pay(chain.OutPoint{TxID: cb.TxID()}, cb.Outputs[0], chaintest.Key(7), chaintest.PubKey(1), coin, 0)
			return []*chain.Block{b1, b.Block(b1.Hash(), []*chain.Tx{tx}, 0)}
		}},
		{"bad signature", chain.ErrBadSignature, func(b *chaintest.Builder, g chain.Hash) []*chain.Block {
			tx := payTx(b, 0, coin, 0)
			tx.Inputs[0].Witness[5] ^= 1
			return []*chain.Block{b.Block(g, []*chain.Tx{tx}, 0)}
		}},
		{"wrong key", chain.ErrBadSignature, func(b *chaintest.Builder, g chain.Hash) []*chain.Block {
			op, out := b.GenesisCoin(0)
			tx := chaintest.Pay(op, out, chaintest.Key(1), chaintest.PubKey(1), coin, 0)
			return []*chain.Block{b.Block(g, []*chain.Tx{tx}, 0)}
		}},
		{"spend too high", chain.ErrSpendTooHigh, func(b *chaintest.Builder, g chain.Hash) []*chain.Block {
			op, out := b.GenesisCoin(0)
			tx := chaintest.Spend([]chain.OutPoint{op}, []chain.TxOut{out}, []*btcec.PrivateKey{chaintest.Key(0)},
				[]chain.TxOut{{Value: out.Value + 1, Lock: chain.PayTo(chaintest.PubKey(1))}})
			return []*chain.Block{b.Block(g, []*chain.Tx{tx}, 0)}
		}},
		{"coinbase too high", chain.ErrBadCoinbaseValue, func(b *chaintest.Builder, g chain.Hash) []*chain.Block {
			return []*chain.Block{b.Block(g, []*chain.Tx{payTx(b, 0, coin, 500)}, 501)}
		}},
		{"locktime", chain.ErrLockTime, func(b *chaintest.Builder, g chain.Hash) []*chain.Block {
			op, out := b.GenesisCoin(0)
			tx := &chain.Tx{Version: 1, Inputs: []chain.TxIn{{Prev: op}}, LockTime: 5,
				Outputs: []chain.TxOut{{Value: coin, Lock: chain.PayTo(chaintest.PubKey(1))}}}
			if err := chain.SignTx(tx, []chain.TxOut{out}, []*btcec.PrivateKey{chaintest.Key(0)}); err != nil {
				panic(err)
			}
			return []*chain.Block{b.Block(g, []*chain.Tx{tx}, 0)}
		}},
		{"stake refused by test engine", chain.ErrBadStake, func(b *chaintest.Builder, g chain.Hash) []*chain.Block {
			op, out := b.GenesisCoin(0)
			tx := chaintest.Spend([]chain.OutPoint{op}, []chain.TxOut{out}, []*btcec.PrivateKey{chaintest.Key(0)},
				[]chain.TxOut{{Value: coin, Lock: chain.Lock{Kind: chain.LockStake, Key: chaintest.PubKey(1), Owner: chaintest.PubKey(0)}}})
			return []*chain.Block{b.Block(g, []*chain.Tx{tx}, 0)}
		}},
		{"child of invalid", chain.ErrKnownInvalid, func(b *chaintest.Builder, g chain.Hash) []*chain.Block {
			bad := b.Block(g, []*chain.Tx{payTx(b, 0, coin, 0)}, 1) // coinbase too high
			return []*chain.Block{bad, b.Block(bad.Hash(), nil, 0)}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := chaintest.NewMemChain(t, nil)
			b := chaintest.NewBuilder(c.Params())
			blocks := tc.build(b, b.Genesis.Hash())
			for i, blk := range blocks {
				_, err := c.ProcessBlock(blk, chaintest.Now())
				if i < len(blocks)-1 {
					if err != nil && tc.kind != chain.ErrKnownInvalid {
						t.Fatalf("setup block %d: %v", i, err)
					}
					continue
				}
				if !errors.Is(err, tc.kind) {
					t.Fatalf("got %v, want %s", err, tc.kind)
				}
				var re *chain.RuleError
				if !errors.As(err, &re) {
					t.Fatalf("%v is not a RuleError", err)
				}
			}
			// Whatever was rejected, the chain is consistent and still on a valid tip.
			if err := c.CheckConsistency(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// A mutated copy (CVE-2012-2459) is rejected without poisoning the hash: the genuine block
// with the same header is accepted afterwards.
func TestMutatedBlockDoesNotPoisonHash(t *testing.T) {
	c, _ := chaintest.NewMemChain(t, nil)
	b := chaintest.NewBuilder(c.Params())
	t1, t2 := payTx(b, 0, 1e8, 0), payTx(b, 1, 1e8, 0)
	good := b.Block(b.Genesis.Hash(), []*chain.Tx{t1, t2}, 0)
	bad := *good
	bad.Txs = append(append([]*chain.Tx(nil), good.Txs...), t2)
	if bad.Hash() != good.Hash() {
		t.Fatal("mutation changed the header")
	}
	if _, err := c.ProcessBlock(&bad, chaintest.Now()); !errors.Is(err, chain.ErrMerkleMutation) {
		t.Fatalf("mutated: %v", err)
	}
	if c.IsKnownInvalid(good.Hash()) {
		t.Fatal("hash marked invalid by a mutated copy")
	}
	if res := mustProcess(t, c, good); res.Status != chain.StatusMainChain {
		t.Fatalf("genuine block: %+v", res)
	}
}

// A block failing contextual validation on the tip is reported with its own kind, stays
// stored as invalid, and the tip does not move.
func TestInvalidExtensionReported(t *testing.T) {
	c, _ := chaintest.NewMemChain(t, nil)
	b := chaintest.NewBuilder(c.Params())
	bad := b.Block(b.Genesis.Hash(), nil, 1)
	res, err := c.ProcessBlock(bad, chaintest.Now())
	if !errors.Is(err, chain.ErrBadCoinbaseValue) || res == nil || res.NewTip != b.Genesis.Hash() {
		t.Fatalf("got %v %+v", err, res)
	}
	if _, err := c.ProcessBlock(bad, chaintest.Now()); !errors.Is(err, chain.ErrKnownInvalid) {
		t.Fatalf("resubmitted: %v", err)
	}
	if tips := c.Tips(); len(tips) != 2 || tips[1].Status != "invalid" {
		t.Fatalf("tips %+v", tips)
	}
}

// Big blocks verify signatures on a pipeline overlapping the input checks; the reported
// kind must be the same as for small blocks: a contextual error wins over a bad signature.
func TestBigBlockSignaturePipeline(t *testing.T) {
	const n = 300
	for _, tc := range []struct {
		name   string
		break_ func(txs []*chain.Tx)
		kind   chain.ErrorKind
	}{
		{"all good", func([]*chain.Tx) {}, ""},
		{"bad sig early", func(txs []*chain.Tx) { txs[3].Inputs[0].Witness[7] ^= 1 }, chain.ErrBadSignature},
		{"bad sig last", func(txs []*chain.Tx) { txs[n-1].Inputs[0].Witness[7] ^= 1 }, chain.ErrBadSignature},
		{"bad sig then missing input", func(txs []*chain.Tx) {
			txs[3].Inputs[0].Witness[7] ^= 1
			txs[n-2].Inputs[0].Prev.Index = 9999
		}, chain.ErrMissingInput},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, _ := chaintest.NewMemChain(t, &chain.Config{SigWorkers: 2})
			b := chaintest.NewBuilder(c.Params())
			op, out := b.GenesisCoin(0)
			outs := make([]chain.TxOut, n)
			for i := range outs {
				outs[i] = chain.TxOut{Value: 1e6, Lock: chain.PayTo(chaintest.PubKey(i % 4))}
			}
			split := chaintest.Spend([]chain.OutPoint{op}, []chain.TxOut{out}, []*btcec.PrivateKey{chaintest.Key(0)}, outs)
			p := b.Block(b.Genesis.Hash(), []*chain.Tx{split}, out.Value-n*1e6)
			mustProcess(t, c, p)
			txs := make([]*chain.Tx, n)
			for i := range txs {
				txs[i] = chaintest.Spend([]chain.OutPoint{{TxID: split.TxID(), Index: uint32(i)}}, []chain.TxOut{outs[i]},
					[]*btcec.PrivateKey{chaintest.Key(i % 4)}, []chain.TxOut{{Value: 1e6, Lock: chain.PayTo(chaintest.PubKey(5))}})
			}
			tc.break_(txs)
			_, err := c.ProcessBlock(b.Block(p.Hash(), txs, 0), chaintest.Now())
			if tc.kind == "" {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, tc.kind) {
				t.Fatalf("got %v, want %s", err, tc.kind)
			}
		})
	}
}
