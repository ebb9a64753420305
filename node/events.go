package node

import (
	"sync"
	"time"

	"chainlab/chain"
	"chainlab/p2p"
	"chainlab/rpc"
)

// chainAdapter is the chain as p2p sees it: every block that changes the chain goes
// through afterResult.
type chainAdapter struct{ n *Node }

func (a *chainAdapter) GenesisHash() chain.Hash                 { return a.n.chain.GenesisHash() }
func (a *chainAdapter) Tip() (chain.Hash, uint64)               { return a.n.chain.Tip() }
func (a *chainAdapter) Height(h chain.Hash) (uint64, bool)      { return a.n.chain.Height(h) }
func (a *chainAdapter) HaveBlock(h chain.Hash) bool             { return a.n.chain.HaveBlock(h) }
func (a *chainAdapter) BlockBytes(h chain.Hash) ([]byte, error) { return a.n.chain.BlockBytes(h) }
func (a *chainAdapter) Locator() []chain.Hash                   { return a.n.chain.Locator() }
func (a *chainAdapter) HeadersAfter(loc []chain.Hash, stop chain.Hash, max int) []*chain.Header {
	return a.n.chain.HeadersAfter(loc, stop, max)
}
func (a *chainAdapter) ProcessHeaders(hs []*chain.Header, now time.Time) error {
	return a.n.chain.ProcessHeaders(hs, now)
}
func (a *chainAdapter) ProcessBlock(b *chain.Block, now time.Time) (*chain.Result, error) {
	return a.n.processBlock(b, now, false)
}

// processBlock runs a block through the chain and fans out the result.
func (n *Node) processBlock(b *chain.Block, now time.Time, local bool) (*chain.Result, error) {
	res, err := n.chain.ProcessBlock(b, now)
	// A non-nil Result is authoritative even with an error (e.g. a reorg that connected
	// some blocks before one failed): fan it out either way.
	n.afterResult(res, b, local && err == nil)
	return res, err
}

// afterResult fans a chain change out to the mempool, rpc subscribers, the producer and
// the network. Serialised so events leave in chain order.
func (n *Node) afterResult(res *chain.Result, b *chain.Block, local bool) {
	if res == nil {
		return
	}
	n.postMu.Lock()
	defer n.postMu.Unlock()
	if b != nil {
		n.timings.recordLocal(res.Hash, n.cfg.Now(), local)
	}
	if len(res.Connected) == 0 && len(res.Disconnected) == 0 {
		return
	}
	n.mempool.Update(res)
	if n.rpc != nil {
		n.rpc.PublishResult(res)
		cur := n.chain.Finality()
		n.rpc.PublishFinality(n.lastFinal, cur)
		n.lastFinal = cur
	}
	if n.producer != nil {
		n.producer.headChanged()
	}
	switch {
	case local && b != nil:
		n.p2p.BroadcastBlock(b)
	case len(res.Disconnected) > 0:
		// p2p announces blocks it relays itself; a reorg (e.g. by the PoS fork choice
		// after new votes) moves the tip without a new block, so announce it.
		n.p2p.AnnounceTip()
	}
}

func (n *Node) onPeerBlock(ev p2p.BlockEvent) {
	n.timings.recordPeer(ev.Hash, ev.Received, ev.Peer.String())
}

func (n *Node) onSyncProgress(p p2p.SyncProgress) {
	n.log.Info("sync progress", "height", p.Height, "target", p.Target, "blocks_per_sec", p.BlocksPerSec, "done", p.Done)
}

// txPoolAdapter is the mempool as p2p sees it: accepted txs are published to rpc.
type txPoolAdapter struct{ n *Node }

func (a *txPoolAdapter) Add(tx *chain.Tx, now time.Time) (uint64, error) {
	fee, err := a.n.mempool.Add(tx, now)
	if err == nil && a.n.rpc != nil {
		a.n.rpc.PublishTx(tx, fee)
	}
	return fee, err
}
func (a *txPoolAdapter) Has(txid chain.Hash) bool              { return a.n.mempool.Has(txid) }
func (a *txPoolAdapter) Get(txid chain.Hash) (*chain.Tx, bool) { return a.n.mempool.Get(txid) }

// txAccepted is called by rpc after sendrawtransaction.
func (n *Node) txAccepted(tx *chain.Tx, fee uint64) {
	n.p2p.BroadcastTx(tx)
	if n.rpc != nil {
		n.rpc.PublishTx(tx, fee)
	}
	if n.producer != nil {
		n.producer.headChanged()
	}
}

// timingLog remembers, per block, when this node first had it and from which peer: the
// data the lab's propagation metrics need (rpc getblockstats-like "received" fields).
type timingLog struct {
	mu    sync.Mutex
	max   int
	order []chain.Hash
	m     map[chain.Hash]rpc.BlockTiming
}

func newTimingLog(max int) *timingLog {
	return &timingLog{max: max, m: make(map[chain.Hash]rpc.BlockTiming, max)}
}

func (t *timingLog) put(h chain.Hash, bt rpc.BlockTiming) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, ok := t.m[h]; ok {
		return
	}
	if len(t.order) >= t.max {
		delete(t.m, t.order[0])
		t.order = t.order[1:]
	}
	t.order = append(t.order, h)
	t.m[h] = bt
}

func (t *timingLog) recordPeer(h chain.Hash, at time.Time, peer string) {
	t.put(h, rpc.BlockTiming{Received: at, FirstPeer: peer})
}

func (t *timingLog) recordLocal(h chain.Hash, at time.Time, local bool) {
	if local {
		t.put(h, rpc.BlockTiming{Received: at, Local: true})
		return
	}
	t.put(h, rpc.BlockTiming{Received: at})
}

// BlockTiming implements rpc.BlockStats.
func (t *timingLog) BlockTiming(h chain.Hash) (rpc.BlockTiming, bool) {
	t.mu.Lock()
	defer t.mu.Unlock()
	bt, ok := t.m[h]
	return bt, ok
}
