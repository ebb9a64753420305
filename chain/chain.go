package chain

import (
	"bytes"
	"fmt"
	"log/slog"
	"math/big"
	"sync"

	"github.com/syndtr/goleveldb/leveldb"

	"chainlab/genesis"
)

// Chain is the block tree, the main-chain UTXO set and the fork-choice driver over a Store.
// All methods are safe for concurrent use; see doc.go for the lock groups.
type Chain struct {
	params   *genesis.Params
	engine   Engine
	chooser  ForkChooser // nil: default most-weight fork choice
	store    *Store
	log      *slog.Logger
	sigCache *SigCache
	workers  int
	addrIdx  bool
	txIdx    bool
	// stateless engines (GenesisState nil) have a known (nil) state for every block.
	stateless bool

	mu sync.RWMutex // guards everything below

	// Block tree.
	index      map[Hash]*blockNode
	genesis    *blockNode
	main       []*blockNode // main chain by height
	seq        uint64       // next first-seen sequence number
	candidates map[*blockNode]struct{}
	orphans    *orphanPool

	// Ledger at the tip.
	utxo     *utxoSet
	states   *stateCache
	finality Finality

	closed bool
}

// New opens a chain on cfg.Store: a fresh store gets the genesis block of cfg.Params; an
// existing one must have the same genesis hash and pass the consistency check (tip, index,
// main chain, UTXO count and digest agree). Then fork choice runs once, which finishes a
// reorganisation a crash interrupted.
func New(cfg Config) (*Chain, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	c := &Chain{
		params:     cfg.Params,
		engine:     cfg.Engine,
		store:      cfg.Store,
		log:        cfg.Logger,
		sigCache:   cfg.SigCache,
		workers:    cfg.SigWorkers,
		addrIdx:    cfg.AddrIndex,
		txIdx:      cfg.TxIndex,
		index:      make(map[Hash]*blockNode),
		candidates: make(map[*blockNode]struct{}),
		orphans:    newOrphanPool(cfg.MaxOrphans),
		utxo:       newUTXOSet(cfg.Store, cfg.UTXOCacheSize),
	}
	c.states = newStateCache(c, 4096)
	if fc, ok := cfg.Engine.(ForkChooser); ok {
		c.chooser = fc
	}
	gst, err := c.engine.GenesisState()
	if err != nil {
		return nil, fmt.Errorf("chain: engine genesis state: %w", err)
	}
	c.stateless = gst == nil
	gb, err := GenesisBlock(c.params)
	if err != nil {
		return nil, fmt.Errorf("chain: %w", err)
	}
	stored, err := c.store.get(metaKey(metaGenesis))
	if err != nil {
		return nil, err
	}
	if stored == nil {
		if err := c.initGenesis(gb, gst); err != nil {
			return nil, err
		}
	} else if !bytes.Equal(stored, gb.Hash().bytes()) {
		return nil, NewRuleError(ErrBadGenesis, "store has genesis %x, params give %s", stored, gb.Hash())
	}
	if err := c.load(); err != nil {
		return nil, err
	}
	if err := c.checkConsistency(); err != nil {
		return nil, err
	}
	if _, err := c.runForkChoice(nil); err != nil {
		return nil, fmt.Errorf("chain: fork choice on open: %w", err)
	}
	h, height := c.Tip()
	c.log.Info("chain opened", "tip", h, "height", height, "blocks", len(c.index))
	return c, nil
}

func (h Hash) bytes() []byte { return h[:] }

// initGenesis writes the genesis block, its coins and state in one batch.
func (c *Chain) initGenesis(gb *Block, gst EngineState) error {
	hash := gb.Hash()
	n := &blockNode{hash: hash, header: gb.Header, status: statusHaveData | statusValid | statusHeaderChecked, work: new(big.Int)}
	b := new(leveldb.Batch)
	b.Put(hashKey(prefixBlock, hash), gb.Bytes())
	b.Put(hashKey(prefixIndex, hash), encodeIndexEntry(n.entry()))
	b.Put(mainKey(0), hash[:])
	view := NewUTXOView(c.utxo)
	for _, tx := range gb.Txs {
		// Genesis allocations are spendable at once (no coinbase maturity): they are the
		// testbed's funded accounts, not a mining reward.
		id := tx.TxID()
		for i := range tx.Outputs {
			view.Add(OutPoint{TxID: id, Index: uint32(i)}, &Coin{Out: tx.Outputs[i]})
		}
		if c.txIdx {
			id := tx.TxID()
			b.Put(hashKey(prefixTx, id), hash[:])
		}
	}
	var stats utxoStats
	view.writeTo(b, &stats, c.addrIdx)
	b.Put(hashKey(prefixUndo, hash), encodeUndo(nil))
	if gst != nil {
		b.Put(hashKey(prefixState, hash), gst.Encode())
	}
	b.Put(metaKey(metaGenesis), hash[:])
	b.Put(metaKey(metaTip), encodeTip(hash, 0))
	b.Put(metaKey(metaFinalized), encodeTip(hash, 0))
	b.Put(metaKey(metaUTXO), stats.encode())
	b.Put(metaKey(metaSeq), u64bytes(1))
	b.Put(metaKey(metaFlags), []byte{c.flags()})
	return c.store.write(b, true)
}

func (c *Chain) flags() byte {
	var f byte
	if c.addrIdx {
		f |= 1
	}
	if c.txIdx {
		f |= 2
	}
	return f
}

// Close releases the chain and closes its store.
func (c *Chain) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	return c.store.Close()
}

// Params returns the genesis parameters.
func (c *Chain) Params() *genesis.Params { return c.params }

// Engine returns the consensus engine.
func (c *Chain) Engine() Engine { return c.engine }

// GenesisHash returns the genesis block hash.
func (c *Chain) GenesisHash() Hash { return c.genesis.hash }
