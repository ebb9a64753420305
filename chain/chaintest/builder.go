package chaintest

import (
	"encoding/binary"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"

	"chainlab/chain"
	"chainlab/genesis"
)

// Builder makes blocks for tests: valid by default, with hooks to break them. It remembers
// the height and time of every block it built (and genesis) so it can extend any of them.
type Builder struct {
	Params  *genesis.Params
	Genesis *chain.Block
	PayTo   [32]byte // coinbase payee (default: Key(7))
	blocks  map[chain.Hash]*chain.Block
	heights map[chain.Hash]uint64
	nonce   uint64
}

// NewBuilder returns a builder for p.
func NewBuilder(p *genesis.Params) *Builder {
	g, err := chain.GenesisBlock(p)
	if err != nil {
		panic(fmt.Sprintf("chaintest: genesis: %v", err))
	}
	b := &Builder{Params: p, Genesis: g, PayTo: PubKey(7), blocks: map[chain.Hash]*chain.Block{}, heights: map[chain.Hash]uint64{}}
	b.blocks[g.Hash()] = g
	b.heights[g.Hash()] = 0
	return b
}

// Height returns the height of a block the builder made.
func (b *Builder) Height(h chain.Hash) uint64 { return b.heights[h] }

// Get returns a block the builder made.
func (b *Builder) Get(h chain.Hash) *chain.Block { return b.blocks[h] }

// Block builds a block on parent with txs and a coinbase paying subsidy + fees to PayTo.
// mutate hooks run before the merkle root is computed (use Reroot after later changes).
func (b *Builder) Block(parent chain.Hash, txs []*chain.Tx, fees uint64, mutate ...func(*chain.Block)) *chain.Block {
	pb, ok := b.blocks[parent]
	if !ok {
		panic("chaintest: unknown parent " + parent.String())
	}
	height := b.heights[parent] + 1
	b.nonce++
	extra := binary.LittleEndian.AppendUint64(nil, b.nonce)
	cb := chain.NewCoinbase(height, extra, []chain.TxOut{{Value: b.Params.BlockSubsidy(height) + fees, Lock: chain.PayTo(b.PayTo)}})
	blk := &chain.Block{
		Header: chain.Header{Version: 1, Prev: parent, Time: pb.Header.Time + 1, Bits: b.Params.PoW.InitialBits},
		Txs:    append([]*chain.Tx{cb}, txs...),
	}
	for _, m := range mutate {
		m(blk)
	}
	b.Reroot(blk)
	return blk
}

// Reroot recomputes blk's merkle root and records it (after a mutation that changed txs).
func (b *Builder) Reroot(blk *chain.Block) {
	blk.Header.MerkleRoot, _ = chain.MerkleRoot(chain.TxIDs(blk.Txs))
	b.Record(blk)
}

// Record remembers blk so later blocks can extend it.
func (b *Builder) Record(blk *chain.Block) {
	h := blk.Hash()
	b.blocks[h] = blk
	if ph, ok := b.heights[blk.Header.Prev]; ok {
		b.heights[h] = ph + 1
	}
}

// Chain builds n blocks on parent (coinbase only) and returns them in order.
func (b *Builder) Chain(parent chain.Hash, n int) []*chain.Block {
	out := make([]*chain.Block, n)
	for i := range out {
		out[i] = b.Block(parent, nil, 0)
		parent = out[i].Hash()
	}
	return out
}

// GenesisCoin returns the outpoint and output of genesis allocation i (paid to Key(i)).
func (b *Builder) GenesisCoin(i int) (chain.OutPoint, chain.TxOut) {
	cb := b.Genesis.Txs[0]
	return chain.OutPoint{TxID: cb.TxID(), Index: uint32(i)}, cb.Outputs[i]
}

// Spend returns a signed transaction spending ins (whose outputs are spent, each signed by
// the matching key) to outs.
func Spend(ins []chain.OutPoint, spent []chain.TxOut, keys []*btcec.PrivateKey, outs []chain.TxOut) *chain.Tx {
	tx := &chain.Tx{Version: 1, Outputs: outs}
	for _, op := range ins {
		tx.Inputs = append(tx.Inputs, chain.TxIn{Prev: op})
	}
	if err := chain.SignTx(tx, spent, keys); err != nil {
		panic(fmt.Sprintf("chaintest: sign: %v", err))
	}
	return tx
}

// Pay is Spend of one input by key to one pay output of value to payee; the rest of the
// input (minus fee) goes back to key as change when positive.
func Pay(op chain.OutPoint, out chain.TxOut, key *btcec.PrivateKey, payee [32]byte, value, fee uint64) *chain.Tx {
	outs := []chain.TxOut{{Value: value, Lock: chain.PayTo(payee)}}
	if change := out.Value - value - fee; out.Value > value+fee && change > 0 {
		outs = append(outs, chain.TxOut{Value: change, Lock: chain.PayTo(genesis.XOnly(key))})
	}
	return Spend([]chain.OutPoint{op}, []chain.TxOut{out}, []*btcec.PrivateKey{key}, outs)
}
