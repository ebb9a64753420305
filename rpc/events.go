package rpc

import (
	"encoding/hex"

	"chainlab/chain"
)

// Subscription topics.
const (
	TopicNewBlock  = "newblock"  // a block was connected to the main chain
	TopicReorg     = "reorg"     // the main chain switched branches
	TopicNewTx     = "newtx"     // a transaction entered the mempool
	TopicJustified = "justified" // PoS: a new justified checkpoint
	TopicFinalized = "finalized" // a new finalized block (PoS checkpoint; PoW k-deep)
	TopicSlashed   = "slashed"   // PoS: a validator was slashed
	TopicPeer      = "peer"      // a peer connected or disconnected
	// TopicLagged is not subscribable: it is sent on a connection that was too slow and
	// lost Dropped events, before the next event it receives.
	TopicLagged = "lagged"
)

// Topics lists the subscribable topics.
var Topics = []string{TopicNewBlock, TopicReorg, TopicNewTx, TopicJustified, TopicFinalized, TopicSlashed, TopicPeer}

func topicIndex(t string) int {
	for i, x := range Topics {
		if x == t {
			return i
		}
	}
	return -1
}

// Event is something the server pushes to subscribers. node calls Server.Publish.
type Event interface {
	Topic() string
}

// NewBlockEvent is a block connected to the main chain.
type NewBlockEvent struct {
	Hash     string  `json:"hash"`
	Height   uint64  `json:"height"`
	Prev     string  `json:"previousblockhash"`
	Time     uint32  `json:"time"`
	NTx      int     `json:"nTx"`
	Size     int     `json:"size"`
	Slot     *uint64 `json:"slot,omitempty"`
	Proposer string  `json:"proposer,omitempty"`
}

// ReorgEvent is a branch switch: Disconnected tip first, Connected in chain order.
type ReorgEvent struct {
	Depth        int      `json:"depth"`
	OldTip       string   `json:"oldtip"`
	NewTip       string   `json:"newtip"`
	ForkHeight   uint64   `json:"forkheight"` // height of the common ancestor
	Disconnected []string `json:"disconnected"`
	Connected    []string `json:"connected"`
}

// NewTxEvent is a transaction accepted into the mempool.
type NewTxEvent struct {
	TxID string `json:"txid"`
	Size int    `json:"size"`
	Fee  Amount `json:"fee"`
}

// CheckpointEvent is a justified or finalized checkpoint (Topic is set by the kind).
type CheckpointEvent struct {
	Finalized bool   `json:"-"`
	Epoch     uint64 `json:"epoch"`
	Root      string `json:"root"`
	Height    uint64 `json:"height"`
}

// SlashedEvent is a validator slashed by evidence in a block.
type SlashedEvent struct {
	Validator string `json:"validator"`
	Kind      string `json:"kind"` // double_vote | surround_vote | double_block
	Block     string `json:"block"`
	Height    uint64 `json:"height"`
	Penalty   Amount `json:"penalty"`
}

// PeerEvent is a peer connection or disconnection.
type PeerEvent struct {
	Connected bool   `json:"connected"`
	ID        int64  `json:"id"`
	Addr      string `json:"addr"`
	Inbound   bool   `json:"inbound"`
	Reason    string `json:"reason,omitempty"`
}

// LaggedEvent tells a slow subscriber how many events it lost.
type LaggedEvent struct {
	Dropped uint64 `json:"dropped"`
}

func (NewBlockEvent) Topic() string { return TopicNewBlock }
func (ReorgEvent) Topic() string    { return TopicReorg }
func (NewTxEvent) Topic() string    { return TopicNewTx }
func (e CheckpointEvent) Topic() string {
	if e.Finalized {
		return TopicFinalized
	}
	return TopicJustified
}
func (SlashedEvent) Topic() string { return TopicSlashed }
func (PeerEvent) Topic() string    { return TopicPeer }
func (LaggedEvent) Topic() string  { return TopicLagged }

// Publish hands an event to the subscribers of its topic. It never blocks: with no
// subscriber it returns at once; when the event queue is full the event is dropped and
// every subscriber later gets a lagged notice.
func (s *Server) Publish(ev Event) {
	s.hub.publish(ev)
}

// PublishBlock publishes newblock for a block connected at height.
func (s *Server) PublishBlock(b *chain.Block, height uint64) {
	if !s.hub.wanted(TopicNewBlock) {
		return
	}
	s.hub.publish(NewBlockEventOf(b, height))
}

// NewBlockEventOf builds the newblock event of b.
func NewBlockEventOf(b *chain.Block, height uint64) NewBlockEvent {
	ev := NewBlockEvent{Hash: b.Hash().String(), Height: height, Prev: b.Header.Prev.String(), Time: b.Header.Time,
		NTx: len(b.Txs), Size: b.SerializeSize()}
	if sl := b.Header.Seal; sl != nil {
		slot := sl.Slot
		ev.Slot = &slot
		ev.Proposer = hex.EncodeToString(sl.Proposer[:])
	}
	return ev
}

// PublishTx publishes newtx.
func (s *Server) PublishTx(tx *chain.Tx, fee uint64) {
	if !s.hub.wanted(TopicNewTx) {
		return
	}
	s.hub.publish(NewTxEvent{TxID: tx.TxID().String(), Size: tx.SerializeSize(), Fee: Amount(fee)})
}

// Subscribers reports how many subscriptions a topic has.
func (s *Server) Subscribers(topic string) int { return s.hub.count(topic) }

// Dropped reports how many events were dropped because the event queue was full.
func (s *Server) Dropped() uint64 { return s.hub.queueDrops.Load() }

// PublishResult publishes what a ProcessBlock or Reconsider call did: a reorg event when
// blocks were disconnected, then newblock for every connected block, in chain order.
func (s *Server) PublishResult(res *chain.Result) {
	if res == nil || (!s.hub.wanted(TopicReorg) && !s.hub.wanted(TopicNewBlock)) {
		return
	}
	ch := s.cfg.Chain
	if len(res.Disconnected) > 0 && s.hub.wanted(TopicReorg) {
		ev := ReorgEvent{Depth: len(res.Disconnected), OldTip: res.OldTip.String(), NewTip: res.NewTip.String(),
			Disconnected: make([]string, len(res.Disconnected)), Connected: make([]string, len(res.Connected))}
		for i, b := range res.Disconnected {
			ev.Disconnected[i] = b.Hash().String()
		}
		for i, b := range res.Connected {
			ev.Connected[i] = b.Hash().String()
		}
		if h, ok := ch.Height(res.Disconnected[len(res.Disconnected)-1].Header.Prev); ok {
			ev.ForkHeight = h
		}
		s.hub.publish(ev)
	}
	if s.hub.wanted(TopicNewBlock) {
		for _, b := range res.Connected {
			h, _ := ch.Height(b.Hash())
			s.hub.publish(NewBlockEventOf(b, h))
		}
	}
}

// PublishFinality publishes justified and finalized events for what changed between two
// Finality reports (node calls it after each block with the previous and current value).
func (s *Server) PublishFinality(prev, cur chain.Finality) {
	if cur.Hash != prev.Hash && cur.Height >= prev.Height {
		s.hub.publish(CheckpointEvent{Finalized: true, Epoch: cur.Finalized.Epoch, Root: cur.Hash.String(), Height: cur.Height})
	}
	if cur.Justified != prev.Justified && cur.Justified.Epoch > prev.Justified.Epoch {
		h, _ := s.cfg.Chain.Height(cur.Justified.Root)
		s.hub.publish(CheckpointEvent{Epoch: cur.Justified.Epoch, Root: cur.Justified.Root.String(), Height: h})
	}
}
