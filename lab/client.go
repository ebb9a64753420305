package lab

import (
	"context"
	"time"

	"chainlab/chain"
)

// NodeClient is what the lab needs from one node: the RPC calls it makes and the events
// it subscribes to. RPCClient implements it over chainlab's JSON-RPC; tests may fake it.
type NodeClient interface {
	BlockCount(ctx context.Context) (uint64, error)
	BlockHash(ctx context.Context, height uint64) (string, error)
	// Block returns a block by display hash.
	Block(ctx context.Context, hash string) (*chain.Block, error)
	// BranchTips returns the hashes of every known branch tip that is not the active tip.
	BranchTips(ctx context.Context) ([]string, error)
	// BlockTiming is when this node first had the block, by its own clock.
	BlockTiming(ctx context.Context, hash string) (time.Time, bool, error)
	Finality(ctx context.Context) (FinalityInfo, error)
	Peers(ctx context.Context) ([]PeerStat, error)
	SendTx(ctx context.Context, tx *chain.Tx) (string, error)
	// SetLink sets the emulated link from this node to the node with p2p id peer.
	SetLink(ctx context.Context, peer string, l LinkParams, down bool) error
	// SetPartition cuts this node off from the peers (p2p ids); none heals.
	SetPartition(ctx context.Context, peers []string) error
	SetHashRate(ctx context.Context, hps float64) error
	HashRate(ctx context.Context) (float64, error)
	// Subscribe streams newblock, reorg and finalized events until ctx ends.
	Subscribe(ctx context.Context) (<-chan NodeEvent, error)
	Stop(ctx context.Context) error
	Close()
}

// FinalityInfo is a node's finality view (getfinality).
type FinalityInfo struct {
	Hash      string
	Height    uint64
	Epoch     uint64
	TipHash   string
	TipHeight uint64
}

// PeerStat is one connected peer and the bytes exchanged with it.
type PeerStat struct {
	Addr      string
	BytesSent uint64
	BytesRecv uint64
}

// Event kinds.
const (
	EvNewBlock  = "newblock"
	EvReorg     = "reorg"
	EvFinalized = "finalized"
)

// NodeEvent is one subscription event.
type NodeEvent struct {
	Kind     string
	At       time.Time // when the lab received it
	Hash     string    // newblock: block; reorg: new tip; finalized: root
	Prev     string
	Height   uint64
	Time     uint32
	Size     int
	Proposer string // PoS proposer key hex
	Depth    int    // reorg
	OldTip   string // reorg
	Epoch    uint64 // finalized
}
