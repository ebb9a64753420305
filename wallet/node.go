package wallet

import (
	"context"
	"sort"

	"chainlab/chain"
)

// The interfaces below are what the wallet consumes from a node. RPCNode adapts *rpc.Client
// to them; tests use an in-memory fake. The node never sees the wallet's spending keys: the
// wallet reads coins, builds and signs transactions locally and hands the node only signed
// transactions (and, for staking, optionally a validator's signing key).

// Node is the read and broadcast side of a node.
type Node interface {
	// Params returns the consensus parameters the wallet needs.
	Params(ctx context.Context) (NodeParams, error)
	// Tip returns the main-chain tip.
	Tip(ctx context.Context) (Tip, error)
	// ListUnspent returns the confirmed unspent outputs locked to addrs (any lock kind whose
	// spending key is the address's key).
	ListUnspent(ctx context.Context, addrs []string) ([]UTXO, error)
	// Mempool returns the transactions waiting in the node's mempool.
	Mempool(ctx context.Context) ([]*chain.Tx, error)
	// FeeInfo returns the relay fee floor and the mempool's fee rates.
	FeeInfo(ctx context.Context) (FeeInfo, error)
	// SendRawTransaction submits a signed transaction.
	SendRawTransaction(ctx context.Context, tx *chain.Tx) (chain.Hash, error)
}

// Miner controls a node's PoW miner.
type Miner interface {
	GenerateToAddress(ctx context.Context, n int, addr string) ([]chain.Hash, error)
	SetGenerate(ctx context.Context, on bool, threads int) error
	SetHashRate(ctx context.Context, hps float64) error
}

// Staking is a PoS node's validator view.
type Staking interface {
	Validators(ctx context.Context) ([]ValidatorStatus, error)
	StakingStatus(ctx context.Context) (StakingStatus, error)
	// RegisterValidator hands the node a validator signing key so it proposes and votes.
	RegisterValidator(ctx context.Context, privKey []byte) (Key32, error)
}

// NodeParams are the consensus parameters the wallet uses.
type NodeParams struct {
	Network          string
	Engine           string // "pow" or "pos"
	CoinbaseMaturity uint64
	EpochSlots       uint64 // PoS
	MinStake         uint64 // PoS
	UnbondingEpochs  uint64 // PoS
}

// Tip is the main-chain tip.
type Tip struct {
	Height uint64
	Hash   chain.Hash
	Slot   uint64 // PoS slot of the tip block (0 for PoW)
}

// Epoch returns the PoS epoch of the tip (0 for PoW).
func (t Tip) Epoch(p NodeParams) uint64 {
	if p.EpochSlots == 0 {
		return 0
	}
	return t.Slot / p.EpochSlots
}

// FeeInfo is what the wallet's fee estimate uses.
type FeeInfo struct {
	MinRate      uint64      // relay floor, base units per byte
	MaxBlockSize int         // bytes
	Pool         []PoolEntry // every mempool transaction
}

// PoolEntry is one mempool transaction's fee and size.
type PoolEntry struct {
	Fee  uint64
	Size int
}

// EstimateFeeRate returns the fee rate (base units per byte) at which a transaction is
// expected to make the next block: the relay floor while the mempool fits in a block;
// otherwise one more than the rate of the transaction at the block-size boundary when the
// mempool is ordered by fee rate, highest first (what a miner filling a template would pick).
func EstimateFeeRate(fi FeeInfo) uint64 {
	floor := max(fi.MinRate, DefaultMinFeeRate)
	total := 0
	for _, e := range fi.Pool {
		total += e.Size
	}
	if fi.MaxBlockSize <= 0 || total <= fi.MaxBlockSize/2 {
		return floor
	}
	pool := append([]PoolEntry(nil), fi.Pool...)
	rate := func(e PoolEntry) uint64 { return e.Fee / uint64(max(e.Size, 1)) }
	sortPool(pool, rate)
	// Leave room: aim for half a block so a burst arriving with us still fits.
	budget := fi.MaxBlockSize / 2
	for _, e := range pool {
		budget -= e.Size
		if budget < 0 {
			return max(floor, rate(e)+1)
		}
	}
	return floor
}

func sortPool(p []PoolEntry, rate func(PoolEntry) uint64) {
	sort.SliceStable(p, func(i, j int) bool { return rate(p[i]) > rate(p[j]) })
}

// ValidatorStatus is the node's view of one validator.
type ValidatorStatus struct {
	Key        Key32
	Owner      string
	Balance    uint64 // bonded value plus rewards minus penalties
	Active     bool
	Activation uint64
	Exit       uint64 // 0 or far future when none scheduled
	Slashed    bool
	Local      bool // the node holds its signing key
}

// StakingStatus is the node's PoS status.
type StakingStatus struct {
	Enabled         bool
	Slot            uint64
	Epoch           uint64
	LocalValidators []string
	Proposed        uint64
	Votes           uint64
	NextDuty        string
}
