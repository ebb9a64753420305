package chain

import (
	"errors"
	"fmt"
	"log/slog"
	"math/big"
	"runtime"
	"time"

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

var errNotImplemented = fmt.Errorf("chain: not implemented yet")

// ---- temporary stubs (replaced as the implementation lands) ----

// Store is the LevelDB-backed block and state store.
type Store struct{}

// OpenStore opens (or creates) a store in dir.
func OpenStore(dir string) (*Store, error) { return nil, errNotImplemented }

// OpenMemStore opens a store on goleveldb's in-memory storage.
func OpenMemStore() (*Store, error) { return nil, errNotImplemented }

// Close closes the store.
func (s *Store) Close() error { return nil }

// Chain is the block tree, UTXO set and fork-choice driver.
type Chain struct{ cfg Config }

// New opens a chain.
func New(cfg Config) (*Chain, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	return nil, errNotImplemented
}

func (c *Chain) Close() error                                          { return nil }
func (c *Chain) ProcessBlock(b *Block, now time.Time) (*Result, error) { return nil, errNotImplemented }
func (c *Chain) ProcessHeaders(hs []*Header, now time.Time) error      { return errNotImplemented }
func (c *Chain) Reconsider(now time.Time) (*Result, error)             { return nil, errNotImplemented }
func (c *Chain) Params() *genesis.Params                               { return c.cfg.Params }
func (c *Chain) Engine() Engine                                        { return c.cfg.Engine }
func (c *Chain) GenesisHash() Hash                                     { return Hash{} }
func (c *Chain) Tip() (Hash, uint64)                                   { return Hash{}, 0 }
func (c *Chain) TipHeader() *Header                                    { return nil }
func (c *Chain) Header(h Hash) (*Header, bool)                         { return nil, false }
func (c *Chain) Height(h Hash) (uint64, bool)                          { return 0, false }
func (c *Chain) HeaderAt(height uint64) (*Header, bool)                { return nil, false }
func (c *Chain) HashAt(height uint64) (Hash, bool)                     { return Hash{}, false }
func (c *Chain) Ancestor(h Hash, height uint64) (*Header, bool)        { return nil, false }
func (c *Chain) HaveBlock(h Hash) bool                                 { return false }
func (c *Chain) IsMainChain(h Hash) bool                               { return false }
func (c *Chain) Block(h Hash) (*Block, error)                          { return nil, ErrNotFound }
func (c *Chain) BlockBytes(h Hash) ([]byte, error)                     { return nil, ErrNotFound }
func (c *Chain) Locator() []Hash                                       { return nil }
func (c *Chain) HeadersAfter(locator []Hash, stop Hash, max int) []*Header {
	return nil
}
func (c *Chain) Coin(op OutPoint) (*Coin, error)               { return nil, nil }
func (c *Chain) MedianTimePast(h Hash) (uint32, error)         { return 0, ErrNotFound }
func (c *Chain) Finality() Finality                            { return Finality{} }
func (c *Chain) State(h Hash) (EngineState, bool)              { return nil, false }
func (c *Chain) Tips() []TipInfo                               { return nil }
func (c *Chain) Work(h Hash) (*big.Int, bool)                  { return nil, false }
func (c *Chain) UTXOStats() (count uint64, total uint64)       { return 0, 0 }
func (c *Chain) AddressCoins(key [32]byte) ([]OutPoint, error) { return nil, errNotImplemented }
func (c *Chain) TxLocation(txid Hash) (Hash, bool)             { return Hash{}, false }
func (c *Chain) CheckTransaction(tx *Tx) error                 { return CheckTransactionSanity(tx) }
func (c *Chain) CheckTxInputs(tx *Tx, height uint64) (uint64, []*Coin, error) {
	return 0, nil, errNotImplemented
}

// CheckTransactionSanity applies the context-free transaction rules.
func CheckTransactionSanity(tx *Tx) error { return nil }

// SigCache is a bounded, concurrency-safe cache of verified BIP-340 signatures and parsed keys.
type SigCache struct{}

// NewSigCache returns a cache holding up to n verified signatures.
func NewSigCache(n int) *SigCache { return &SigCache{} }

// VerifyTxSignatures checks every input signature of tx against spent (ErrBadSignature).
func VerifyTxSignatures(tx *Tx, spent []*Coin, cache *SigCache) error { return nil }
