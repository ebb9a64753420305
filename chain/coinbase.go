package chain

import (
	"encoding/binary"
	"fmt"

	"chainlab/address"
	"chainlab/genesis"
)

// CoinbaseHeightSize is the size of the height prefix of a coinbase's data.
const CoinbaseHeightSize = 8

// NewCoinbase builds a coinbase for height: its input data is the height (u64 LE) followed
// by extra (extranonce, miner tag), so no two coinbases share a txid (the BIP-30/34 lesson).
func NewCoinbase(height uint64, extra []byte, outs []TxOut) *Tx {
	data := binary.LittleEndian.AppendUint64(make([]byte, 0, CoinbaseHeightSize+len(extra)), height)
	data = append(data, extra...)
	return &Tx{
		Version: 1,
		Inputs:  []TxIn{{Prev: NullOutPoint, Data: data}},
		Outputs: outs,
	}
}

// CoinbaseHeight returns the height a coinbase commits to.
func CoinbaseHeight(tx *Tx) (uint64, error) {
	if !tx.IsCoinbase() {
		return 0, NewRuleError(ErrFirstTxNotCoinbase, "not a coinbase")
	}
	d := tx.Inputs[0].Data
	if len(d) < CoinbaseHeightSize {
		return 0, NewRuleError(ErrBadCoinbaseData, "coinbase data is %d bytes, need at least %d", len(d), CoinbaseHeightSize)
	}
	return binary.LittleEndian.Uint64(d), nil
}

// GenesisBlock builds the genesis block of p deterministically: one coinbase paying every
// allocation (pay locks) and bonding every initial validator's stake (stake locks).
func GenesisBlock(p *genesis.Params) (*Block, error) {
	var outs []TxOut
	for i, a := range p.Allocations {
		key, err := address.Decode(p.AddressPrefix, a.Address)
		if err != nil {
			return nil, fmt.Errorf("genesis allocation %d: %w", i, err)
		}
		outs = append(outs, TxOut{Value: a.Amount, Lock: PayTo(key)})
	}
	if p.PoS != nil {
		for i, v := range p.PoS.Validators {
			vk, err := genesis.ParseKey(v.Key)
			if err != nil {
				return nil, fmt.Errorf("genesis validator %d key: %w", i, err)
			}
			ok, err := address.Decode(p.AddressPrefix, v.Owner)
			if err != nil {
				return nil, fmt.Errorf("genesis validator %d owner: %w", i, err)
			}
			outs = append(outs, TxOut{Value: v.Stake, Lock: Lock{Kind: LockStake, Key: vk, Owner: ok}})
		}
	}
	if len(outs) == 0 {
		// A burn output so the coinbase has an output; the zero key is unspendable.
		outs = append(outs, TxOut{Value: 0, Lock: PayTo([32]byte{})})
	}
	extra := []byte(p.Network)
	if p.Extra != "" {
		extra = append(append(extra, '/'), p.Extra...)
	}
	if len(extra) > MaxCoinbaseData-CoinbaseHeightSize {
		extra = extra[:MaxCoinbaseData-CoinbaseHeightSize]
	}
	cb := NewCoinbase(0, extra, outs)
	root, _ := MerkleRoot([]Hash{cb.TxID()})
	h := Header{Version: 1, MerkleRoot: root, Time: uint32(p.Time)}
	if p.PoW != nil {
		h.Bits = p.PoW.InitialBits
	}
	return &Block{Header: h, Txs: []*Tx{cb}}, nil
}
