package chain

import (
	"errors"
	"log/slog"
	"runtime"

	"chainlab/genesis"
)

// ErrNotFound is returned by lookups of blocks, coins or index entries that do not exist.
var ErrNotFound = errors.New("chain: not found")

// BlockStatus says where ProcessBlock put a block.
type BlockStatus int

// Block statuses.
const (
	StatusMainChain BlockStatus = iota + 1 // connected to the main chain
	StatusSideChain                        // stored on a side chain (valid as far as checked)
	StatusOrphan                           // parent unknown; kept in the orphan pool
)

func (s BlockStatus) String() string {
	switch s {
	case StatusMainChain:
		return "main"
	case StatusSideChain:
		return "side"
	case StatusOrphan:
		return "orphan"
	}
	return "unknown"
}

// Result describes what one ProcessBlock (or Reconsider) call did.
type Result struct {
	Hash         Hash
	Height       uint64
	Status       BlockStatus
	Connected    []*Block // blocks connected to the main chain by this call, in order
	Disconnected []*Block // blocks disconnected (reorg), tip first
	OldTip       Hash
	NewTip       Hash
	ReorgDepth   int // len(Disconnected)
}

// TipInfo is one leaf of the block tree (getchaintips).
type TipInfo struct {
	Hash      Hash
	Height    uint64
	BranchLen uint64 // blocks between the tip and the main chain
	Status    string // active | valid-fork | valid-headers | headers-only | invalid
}

// Config configures New.
type Config struct {
	Params        *genesis.Params // required
	Engine        Engine          // required
	Store         *Store          // required; OpenStore(dir) or OpenMemStore()
	Logger        *slog.Logger    // optional (discard if nil)
	SigWorkers    int             // default runtime.GOMAXPROCS(0)
	SigCache      *SigCache       // optional, shareable between chains; NewSigCache(n)
	UTXOCacheSize int             // entries; default 1<<20
	AddrIndex     bool            // keep an address → outpoints index
	TxIndex       bool            // keep a txid → block index
	MaxOrphans    int             // orphan pool bound; default 128
}

func (cfg *Config) check() error {
	if cfg.Params == nil {
		return errors.New("chain: Config.Params is required")
	}
	if cfg.Engine == nil {
		return errors.New("chain: Config.Engine is required")
	}
	if cfg.Store == nil {
		return errors.New("chain: Config.Store is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.SigWorkers <= 0 {
		cfg.SigWorkers = runtime.GOMAXPROCS(0)
	}
	if cfg.SigCache == nil {
		cfg.SigCache = NewSigCache(100_000)
	}
	if cfg.UTXOCacheSize <= 0 {
		cfg.UTXOCacheSize = 1 << 20
	}
	if cfg.MaxOrphans <= 0 {
		cfg.MaxOrphans = 128
	}
	return nil
}
