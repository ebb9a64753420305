package node

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"chainlab/chain"
	"chainlab/genesis"
	"chainlab/miner"
	"chainlab/p2p"
	"chainlab/rpc"
	"chainlab/staking"
)

// Node is a running chainlab node.
type Node struct {
	cfg Config
	log *slog.Logger
	dir *datadir

	store   *chain.Store
	chain   *chain.Chain
	mempool *chain.Mempool
	engine  chain.Engine
	pos     *staking.Engine // nil on PoW
	pow     *miner.Engine   // nil on PoS

	p2p     *p2p.Server
	rpc     *rpc.Server
	votes   *votePool // PoS only
	timings *timingLog

	producer producer // miner loop or validator duties; nil when not producing

	postMu    sync.Mutex     // serialises afterResult so events leave in chain order
	lastFinal chain.Finality // last finality published (guarded by postMu)

	started time.Time
	ctx     context.Context
	cancel  context.CancelFunc
	wg      sync.WaitGroup
	stopOne sync.Once
	stopped chan struct{}
}

// producer is the block producer: the PoW mining loop or the PoS duties.
type producer interface {
	start(ctx context.Context) error
	stop()
	// headChanged is called after the tip moved (new block or reorg).
	headChanged()
}

// NewEngine builds the consensus engine a genesis names. This switch is the one place in a
// node where PoW and PoS differ by name.
func NewEngine(p *genesis.Params, log *slog.Logger) (chain.Engine, error) {
	switch p.Consensus {
	case genesis.PoW:
		return miner.NewEngine(p)
	case genesis.PoS:
		return staking.NewEngine(p, staking.WithLogger(log))
	default:
		return nil, fmt.Errorf("node: unknown consensus %q", p.Consensus)
	}
}

// New opens the datadir and store and builds every component; Start starts them.
func New(cfg Config) (*Node, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, log: cfg.Logger, stopped: make(chan struct{}), timings: newTimingLog(4096)}
	dir, err := openDatadir(cfg.DataDir)
	if err != nil {
		return nil, err
	}
	n.dir = dir
	ok := false
	defer func() {
		if !ok {
			n.closeStorage()
		}
	}()
	if err := dir.checkGenesis(cfg.Params); err != nil {
		return nil, err
	}
	if n.engine, err = NewEngine(cfg.Params, n.log); err != nil {
		return nil, err
	}
	switch e := n.engine.(type) {
	case *staking.Engine:
		n.pos = e
	case *miner.Engine:
		n.pow = e
	}
	if n.store, err = chain.OpenStore(dir.join("chain")); err != nil {
		return nil, fmt.Errorf("node: open store: %w", err)
	}
	n.chain, err = chain.New(chain.Config{
		Params:    cfg.Params,
		Engine:    n.engine,
		Store:     n.store,
		Logger:    n.log.With("component", "chain"),
		AddrIndex: true,
		TxIndex:   true,
	})
	if err != nil {
		return nil, fmt.Errorf("node: open chain: %w", err)
	}
	n.mempool, err = chain.NewMempool(chain.MempoolConfig{
		Chain:      n.chain,
		MaxBytes:   cfg.MempoolBytes,
		MinFeeRate: cfg.MinFeeRate,
	})
	if err != nil {
		return nil, err
	}
	if n.pos != nil {
		n.votes = newVotePool(n, 1<<16)
	}
	if err := n.buildNetwork(); err != nil {
		return nil, err
	}
	if err := n.buildProducer(); err != nil {
		return nil, err
	}
	ok = true
	return n, nil
}

func (n *Node) buildNetwork() error {
	id, err := n.dir.nodeID()
	if err != nil {
		return fmt.Errorf("node: node id: %w", err)
	}
	pcfg := p2p.Config{
		Chain:          &chainAdapter{n: n},
		TxPool:         &txPoolAdapter{n: n},
		GenesisHash:    n.chain.GenesisHash(),
		Magic:          n.cfg.Params.Magic,
		NodeID:         id,
		ListenAddr:     n.cfg.P2PListen,
		UserAgent:      n.cfg.UserAgent,
		StaticPeers:    n.cfg.Peers,
		MaxInbound:     n.cfg.MaxInbound,
		TargetOutbound: n.cfg.Outbound,
		Logger:         n.log.With("component", "p2p"),
		Seed:           n.cfg.Seed,
		MaxBlockBytes:  int(n.cfg.Params.MaxBlockSize) + 4096,
		OnBlock:        n.onPeerBlock,
		OnSyncProgress: n.onSyncProgress,
		Now:            n.cfg.Now,
	}
	if n.votes != nil {
		pcfg.VotePool = n.votes
	}
	if n.p2p, err = p2p.New(pcfg); err != nil {
		return err
	}
	if n.cfg.RPCListen == "off" {
		return nil
	}
	rcfg := rpc.Config{
		Chain:      n.chain,
		Mempool:    n.mempool,
		Net:        &netControl{n: n},
		BlockStats: n.timings,
		Stop:       func() { _ = n.Stop() },
		TxAccepted: n.txAccepted,
		Listen:     n.cfg.RPCListen,
		CookiePath: n.dir.join(".cookie"),
		User:       n.cfg.RPCUser,
		Password:   n.cfg.RPCPassword,
		NoAuth:     n.cfg.RPCNoAuth,
		Logger:     n.log.With("component", "rpc"),
		Now:        n.cfg.Now,
		Version:    n.cfg.UserAgent,
	}
	if n.pos != nil {
		rcfg.Staking = &stakingInfo{n: n}
	}
	if n.pow != nil {
		rcfg.Miner = &minerControl{n: n}
	}
	n.rpc, err = rpc.New(rcfg)
	return err
}

// Start starts the network, the RPC server and the producer.
func (n *Node) Start() error {
	n.started = n.cfg.Now()
	n.ctx, n.cancel = context.WithCancel(context.Background())
	if n.rpc != nil {
		if err := n.rpc.Start(); err != nil {
			return fmt.Errorf("node: rpc: %w", err)
		}
	}
	if err := n.p2p.Start(n.ctx); err != nil {
		return fmt.Errorf("node: p2p: %w", err)
	}
	if n.producer != nil {
		if err := n.producer.start(n.ctx); err != nil {
			return err
		}
	}
	tip, h := n.chain.Tip()
	n.log.Info("node started", "network", n.cfg.Params.Network, "consensus", n.cfg.Params.Consensus,
		"height", h, "tip", tip, "p2p", n.P2PAddr(), "rpc", n.RPCURL(), "node_id", n.p2p.NodeID().String())
	return nil
}

// Stop stops producing, then the network, then closes the store. Safe to call twice.
func (n *Node) Stop() error {
	var err error
	n.stopOne.Do(func() {
		n.log.Info("node stopping")
		if n.producer != nil {
			n.producer.stop()
		}
		if n.cancel != nil {
			n.cancel()
		}
		if n.p2p != nil {
			n.p2p.Stop()
		}
		if n.rpc != nil {
			if e := n.rpc.Close(); e != nil {
				err = errors.Join(err, e)
			}
		}
		n.wg.Wait()
		err = errors.Join(err, n.closeStorage())
		close(n.stopped)
		n.log.Info("node stopped")
	})
	return err
}

// Done is closed once Stop has finished.
func (n *Node) Done() <-chan struct{} { return n.stopped }

func (n *Node) closeStorage() error {
	var err error
	if n.chain != nil {
		err = errors.Join(err, n.chain.Close())
		n.chain = nil
	}
	if n.store != nil {
		err = errors.Join(err, n.store.Close())
		n.store = nil
	}
	if n.dir != nil {
		n.dir.close()
	}
	return err
}

// Chain returns the node's chain.
func (n *Node) Chain() *chain.Chain { return n.chain }

// Mempool returns the node's mempool.
func (n *Node) Mempool() *chain.Mempool { return n.mempool }

// P2P returns the p2p server.
func (n *Node) P2P() *p2p.Server { return n.p2p }

// P2PAddr is the p2p listen address.
func (n *Node) P2PAddr() string { return n.p2p.ListenAddr() }

// RPCURL is the JSON-RPC URL ("" when RPC is off).
func (n *Node) RPCURL() string {
	if n.rpc == nil {
		return ""
	}
	return n.rpc.URL()
}

// CookiePath is the RPC cookie file.
func (n *Node) CookiePath() string { return n.dir.join(".cookie") }
