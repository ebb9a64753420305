package fullblocktest

import (
	"fmt"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"

	"chainlab/chain"
	"chainlab/genesis"
)

// BlockSpacing is the header-time step between a generated block and its parent.
const BlockSpacing = 10

// SpendableOut is an unspent output the generator can sign for.
type SpendableOut struct {
	OutPoint chain.OutPoint
	Out      chain.TxOut
	Key      *btcec.PrivateKey
}

// Munger edits a block after the generator assembled it (header and merkle root set). A
// munger that changes transactions and wants the block to stay well formed ends with
// Remerkle; one that breaks a rule on purpose leaves the damage in place.
type Munger func(b *chain.Block)

// Generator builds named blocks and forks for a chain with the given parameters. It does
// no consensus work: blocks carry the genesis bits and no seal, which the chaintest engine
// accepts. Blocks are never shared between names: every NextBlock builds a new block.
type Generator struct {
	params  *genesis.Params
	payKey  *btcec.PrivateKey // every coinbase pays this key
	genesis *chain.Block

	blocks  map[string]*chain.Block
	heights map[chain.Hash]uint64
	names   map[chain.Hash]string

	tip     *chain.Block
	tipName string
}

// NewGenerator starts a generator at the genesis block of p (named "genesis"). Coinbases
// pay genesis.DevKey("fullblocktest", 0).
func NewGenerator(p *genesis.Params) (*Generator, error) {
	gb, err := chain.GenesisBlock(p)
	if err != nil {
		return nil, err
	}
	g := &Generator{
		params:  p,
		payKey:  genesis.DevKey("fullblocktest", 0),
		genesis: gb,
		blocks:  make(map[string]*chain.Block),
		heights: make(map[chain.Hash]uint64),
		names:   make(map[chain.Hash]string),
	}
	g.record("genesis", gb, 0)
	g.tip, g.tipName = gb, "genesis"
	return g, nil
}

func (g *Generator) record(name string, b *chain.Block, height uint64) {
	if _, dup := g.blocks[name]; dup {
		panic(fmt.Sprintf("fullblocktest: block name %q used twice", name))
	}
	g.blocks[name] = b
	h := b.Hash()
	g.heights[h] = height
	g.names[h] = name
}

// Params returns the chain parameters.
func (g *Generator) Params() *genesis.Params { return g.params }

// Block returns the block named name; it panics on an unknown name (a bug in the cases).
func (g *Generator) Block(name string) *chain.Block {
	b, ok := g.blocks[name]
	if !ok {
		panic(fmt.Sprintf("fullblocktest: no block named %q", name))
	}
	return b
}

// Height returns the height of the named block.
func (g *Generator) Height(name string) uint64 { return g.heights[g.Block(name).Hash()] }

// Tip returns the name of the block the next NextBlock builds on.
func (g *Generator) Tip() string { return g.tipName }

// SetTip makes the named block the parent of the next NextBlock.
func (g *Generator) SetTip(name string) {
	g.tip, g.tipName = g.Block(name), name
}

// GenesisOut returns genesis allocation i (paid to genesis.DevKey("alloc", i)).
func (g *Generator) GenesisOut(i int) *SpendableOut {
	cb := g.genesis.Txs[0]
	return &SpendableOut{
		OutPoint: chain.OutPoint{TxID: cb.TxID(), Index: uint32(i)},
		Out:      cb.Outputs[i],
		Key:      genesis.DevKey("alloc", i),
	}
}

// CoinbaseOut returns the coinbase output of the named block.
func (g *Generator) CoinbaseOut(name string) *SpendableOut {
	cb := g.Block(name).Txs[0]
	return &SpendableOut{OutPoint: chain.OutPoint{TxID: cb.TxID(), Index: 0}, Out: cb.Outputs[0], Key: g.payKey}
}

// TxOut returns output idx of transaction txIdx of the named block, spendable with key.
func (g *Generator) TxOut(name string, txIdx int, idx uint32, key *btcec.PrivateKey) *SpendableOut {
	tx := g.Block(name).Txs[txIdx]
	return &SpendableOut{OutPoint: chain.OutPoint{TxID: tx.TxID(), Index: idx}, Out: tx.Outputs[idx], Key: key}
}

// PayKey is the key every generated coinbase and spend pays.
func (g *Generator) PayKey() *btcec.PrivateKey { return g.payKey }

// SpendFee is the fee every CreateSpendTx pays.
const SpendFee = 1000

// CreateSpendTx spends s to the generator's key, paying SpendFee, signed.
func (g *Generator) CreateSpendTx(s *SpendableOut) *chain.Tx {
	tx := &chain.Tx{
		Version: 1,
		Inputs:  []chain.TxIn{{Prev: s.OutPoint}},
		Outputs: []chain.TxOut{{Value: s.Out.Value - SpendFee, Lock: chain.PayTo(genesis.XOnly(g.payKey))}},
	}
	Sign(tx, s)
	return tx
}

// Sign (re)signs every input of tx; spends[i] is what input i spends. A spend without a
// key leaves its witness as is.
func Sign(tx *chain.Tx, spends ...*SpendableOut) {
	outs := make([]chain.TxOut, len(spends))
	for i, s := range spends {
		outs[i] = s.Out
	}
	txid := tx.TxID()
	sh := chain.SpentOutputsHash(outs)
	for i, s := range spends {
		if s.Key == nil {
			continue
		}
		sig, err := chain.SignHash(s.Key, chain.SigHash(txid, sh, uint32(i)))
		if err != nil {
			panic(err)
		}
		tx.Inputs[i].Witness = sig[:]
	}
}

// Fee returns what tx pays given the outputs it spends.
func Fee(tx *chain.Tx, spends ...*SpendableOut) uint64 {
	var in, out uint64
	for _, s := range spends {
		in += s.Out.Value
	}
	for _, o := range tx.Outputs {
		out += o.Value
	}
	return in - out
}

// NextBlock builds a block named name on the current tip: a coinbase for the next height
// paying subsidy + fees to PayKey, plus (when spend is not nil) a signed transaction
// spending it. Then the mungers run, in order, and the block becomes the tip.
func (g *Generator) NextBlock(name string, spend *SpendableOut, mungers ...Munger) *chain.Block {
	parent := g.tip
	height := g.heights[parent.Hash()] + 1
	var txs []*chain.Tx
	var fees uint64
	if spend != nil {
		txs = append(txs, g.CreateSpendTx(spend))
		fees += SpendFee
	}
	cb := chain.NewCoinbase(height, []byte(name), []chain.TxOut{{
		Value: g.params.BlockSubsidy(height) + fees,
		Lock:  chain.PayTo(genesis.XOnly(g.payKey)),
	}})
	b := &chain.Block{
		Header: chain.Header{
			Version: 1,
			Prev:    parent.Hash(),
			Time:    parent.Header.Time + BlockSpacing,
			Bits:    parent.Header.Bits,
		},
		Txs: append([]*chain.Tx{cb}, txs...),
	}
	Remerkle(b)
	for _, m := range mungers {
		m(b)
	}
	g.record(name, b, height)
	g.tip, g.tipName = b, name
	return b
}

// Remerkle recomputes the merkle root from the block's transactions.
func Remerkle(b *chain.Block) {
	b.Header.MerkleRoot, _ = chain.MerkleRoot(chain.TxIDs(b.Txs))
}

// AddTxs appends transactions (the caller's coinbase value stays as is: extra fees go
// unclaimed) and recomputes the merkle root.
func AddTxs(txs ...*chain.Tx) Munger {
	return func(b *chain.Block) {
		b.Txs = append(b.Txs, txs...)
		Remerkle(b)
	}
}

// SetCoinbaseValue changes the coinbase value by delta and recomputes the merkle root.
func SetCoinbaseValue(delta int64) Munger {
	return func(b *chain.Block) {
		b.Txs[0].Outputs[0].Value = uint64(int64(b.Txs[0].Outputs[0].Value) + delta)
		Remerkle(b)
	}
}

// SetTime sets the header time (the root is unaffected).
func SetTime(t uint32) Munger { return func(b *chain.Block) { b.Header.Time = t } }

// Now returns the header time of the named block as a time.Time.
func (g *Generator) Now(name string) time.Time {
	return time.Unix(int64(g.Block(name).Header.Time), 0)
}

// MedianTimePast returns the median header time of the named block and its ten
// predecessors (the chain's time-too-old bound for a child of that block).
func (g *Generator) MedianTimePast(name string) uint32 {
	var ts []uint32
	b := g.Block(name)
	for i := 0; i < 11; i++ {
		ts = append(ts, b.Header.Time)
		pn, ok := g.names[b.Header.Prev]
		if !ok {
			break
		}
		b = g.blocks[pn]
	}
	for i := 1; i < len(ts); i++ {
		for j := i; j > 0 && ts[j] < ts[j-1]; j-- {
			ts[j], ts[j-1] = ts[j-1], ts[j]
		}
	}
	return ts[len(ts)/2]
}
