package wallet

import (
	"context"
	"errors"
	"fmt"

	"chainlab/chain"
	"chainlab/rpc"
)

// RPCNode adapts a node's JSON-RPC client to the wallet's Node, Miner and Staking
// interfaces.
type RPCNode struct {
	c      *rpc.Client
	params *NodeParams // cached after the first call
	prefix string
}

// NewRPCNode wraps c.
func NewRPCNode(c *rpc.Client) *RPCNode { return &RPCNode{c: c} }

var (
	_ Node    = (*RPCNode)(nil)
	_ Miner   = (*RPCNode)(nil)
	_ Staking = (*RPCNode)(nil)
)

// Params implements Node (getconsensusinfo).
func (n *RPCNode) Params(ctx context.Context) (NodeParams, error) {
	if n.params != nil {
		return *n.params, nil
	}
	ci, err := n.c.GetConsensusInfo(ctx)
	if err != nil {
		return NodeParams{}, err
	}
	p := NodeParams{Network: ci.Network, Engine: ci.Engine, CoinbaseMaturity: ci.CoinbaseMaturity}
	if ci.PoS != nil {
		p.EpochSlots, p.MinStake, p.UnbondingEpochs = ci.PoS.EpochSlots, uint64(ci.PoS.MinStake), ci.PoS.UnbondingEpochs
	}
	n.params = &p
	return p, nil
}

// Tip implements Node (getbestblockhash + getblockheader).
func (n *RPCNode) Tip(ctx context.Context) (Tip, error) {
	h, err := n.c.GetBestBlockHash(ctx)
	if err != nil {
		return Tip{}, err
	}
	hdr, err := n.c.GetBlockHeader(ctx, h)
	if err != nil {
		return Tip{}, err
	}
	t := Tip{Height: hdr.Height, Hash: h}
	if hdr.Slot != nil {
		t.Slot = *hdr.Slot
	}
	return t, nil
}

// ListUnspent implements Node (listunspent 1 9999999 addrs).
func (n *RPCNode) ListUnspent(ctx context.Context, addrs []string) ([]UTXO, error) {
	if len(addrs) == 0 {
		return nil, nil
	}
	rs, err := n.c.ListUnspent(ctx, 1, 9999999, addrs...)
	if err != nil {
		return nil, err
	}
	out := make([]UTXO, 0, len(rs))
	for _, r := range rs {
		u, err := n.utxo(r)
		if err != nil {
			return nil, fmt.Errorf("listunspent %s:%d: %w", r.TxID, r.Vout, err)
		}
		out = append(out, u)
	}
	return out, nil
}

func (n *RPCNode) utxo(r rpc.UnspentResult) (UTXO, error) {
	txid, err := chain.ParseHash(r.TxID)
	if err != nil {
		return UTXO{}, err
	}
	lock, err := parseLockView(r.ScriptPubKey)
	if err != nil {
		return UTXO{}, err
	}
	return UTXO{OutPoint: chain.OutPoint{TxID: txid, Index: r.Vout}, Value: uint64(r.Amount), Lock: lock,
		Height: r.Height, Confirmations: r.Confirmations, Coinbase: r.Coinbase}, nil
}

// parseLockView decodes the canonical lock encoding carried in scriptPubKey.hex.
func parseLockView(s rpc.ScriptResult) (chain.Lock, error) {
	// Wrap the lock in a one-output transaction to reuse the strict decoder.
	raw, err := hexDecode(s.Hex)
	if err != nil {
		return chain.Lock{}, err
	}
	var b []byte
	b = append(b, 1, 0, 0, 0) // version
	b = append(b, 0)          // no inputs
	b = append(b, 1)          // one output
	b = append(b, 0, 0, 0, 0, 0, 0, 0, 0)
	b = append(b, raw...)
	b = append(b, 0, 0, 0, 0, 0, 0, 0, 0) // locktime
	tx, err := chain.DecodeTx(b)
	if err != nil || len(tx.Outputs) != 1 {
		return chain.Lock{}, fmt.Errorf("bad lock encoding %q: %v", s.Hex, err)
	}
	return tx.Outputs[0].Lock, nil
}

// Mempool implements Node (getrawmempool + getrawtransaction per entry, at most
// maxMempoolScan).
func (n *RPCNode) Mempool(ctx context.Context) ([]*chain.Tx, error) {
	ids, err := n.c.GetRawMempool(ctx)
	if err != nil {
		return nil, err
	}
	if len(ids) > maxMempoolScan {
		ids = ids[:maxMempoolScan]
	}
	out := make([]*chain.Tx, 0, len(ids))
	for _, id := range ids {
		tx, err := n.c.GetRawTransaction(ctx, id)
		if err != nil {
			var re *rpc.Error
			if errors.As(err, &re) {
				continue // mined or evicted since the listing
			}
			return nil, err
		}
		out = append(out, tx)
	}
	return out, nil
}

// FeeInfo implements Node (getnetworkinfo relay fee, getrawmempool verbose).
func (n *RPCNode) FeeInfo(ctx context.Context) (FeeInfo, error) {
	ni, err := n.c.GetNetworkInfo(ctx)
	if err != nil {
		return FeeInfo{}, err
	}
	// relayfee is per kB, in coins, as Bitcoin Core shows it.
	fi := FeeInfo{MinRate: (uint64(ni.RelayFee) + 999) / 1000, MaxBlockSize: 1 << 20}
	if ci, err := n.c.GetConsensusInfo(ctx); err == nil && ci.MaxBlockSize > 0 {
		fi.MaxBlockSize = int(ci.MaxBlockSize)
	}
	pool, err := n.c.GetRawMempoolVerbose(ctx)
	if err != nil {
		return FeeInfo{}, err
	}
	for _, e := range pool {
		fi.Pool = append(fi.Pool, PoolEntry{Fee: uint64(e.Fees.Base), Size: e.VSize})
	}
	return fi, nil
}

// SendRawTransaction implements Node.
func (n *RPCNode) SendRawTransaction(ctx context.Context, tx *chain.Tx) (chain.Hash, error) {
	return n.c.SendRawTransaction(ctx, tx)
}

// GenerateToAddress implements Miner.
func (n *RPCNode) GenerateToAddress(ctx context.Context, blocks int, addr string) ([]chain.Hash, error) {
	return n.c.GenerateToAddress(ctx, blocks, addr)
}

// SetGenerate implements Miner.
func (n *RPCNode) SetGenerate(ctx context.Context, on bool, threads int) error {
	return n.c.SetGenerate(ctx, on, threads)
}

// SetHashRate implements Miner.
func (n *RPCNode) SetHashRate(ctx context.Context, hps float64) error {
	return n.c.SetHashRate(ctx, hps)
}

// Validators implements Staking (getvalidators).
func (n *RPCNode) Validators(ctx context.Context) ([]ValidatorStatus, error) {
	vs, err := n.c.GetValidators(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]ValidatorStatus, 0, len(vs))
	for _, v := range vs {
		k, err := ParseKey32(v.Key)
		if err != nil {
			return nil, err
		}
		out = append(out, ValidatorStatus{Key: k, Owner: v.Owner, Balance: uint64(v.Stake), Active: v.Active,
			Activation: v.Activation, Exit: v.Exit, Slashed: v.Slashed, Local: v.Local})
	}
	return out, nil
}

// StakingStatus implements Staking (getstakinginfo).
func (n *RPCNode) StakingStatus(ctx context.Context) (StakingStatus, error) {
	s, err := n.c.GetStakingInfo(ctx)
	if err != nil {
		return StakingStatus{}, err
	}
	return StakingStatus{Enabled: s.Enabled, Slot: s.Slot, Epoch: s.Epoch, LocalValidators: s.LocalValidators,
		Proposed: s.Proposed, Votes: s.Votes, NextDuty: s.NextDuty}, nil
}

// RegisterValidator implements Staking (registervalidator).
func (n *RPCNode) RegisterValidator(ctx context.Context, priv []byte) (Key32, error) {
	s, err := n.c.RegisterValidator(ctx, priv)
	if err != nil {
		return Key32{}, err
	}
	return ParseKey32(s)
}
