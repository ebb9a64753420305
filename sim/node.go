package sim

import (
	"context"
	"crypto/sha256"
	"fmt"
	"math/big"

	"github.com/btcsuite/btcd/btcec/v2"

	"chainlab/chain"
	"chainlab/genesis"
	"chainlab/lab"
	"chainlab/miner"
	"chainlab/staking"
)

type bigFloat = big.Float

// node is one simulated node: its own chain on its own in-memory LevelDB and its own
// engine instance; only immutable blocks and signature caches are shared.
type node struct {
	id       int
	w        *world
	c        *chain.Chain
	pow      *miner.Engine
	pos      *staking.Engine
	duties   *staking.Duties
	keys     []*btcec.PrivateKey
	hashRate float64 // manifest H/s
	online   bool
	mineGen  uint64 // bumps on every reschedule; stale mining events check it
	payTo    [32]byte
	mp       *chain.Mempool // nil without load
	sent     uint64
	recv     uint64

	// Adversary hooks (nil for honest nodes).
	onBlock  func(bk *blk, from int) bool // every block delivered, before processing; true = drop it
	relayFn  func(bk *blk) bool           // whether to relay a block it accepted
	onMined  func(bk *blk) bool           // own mined block: true = the adversary handles publication
	posHooks *posAdversary
}

// keyFor returns the node's validator key with x-only public key pk (nil if not its own).
func (n *node) keyFor(pk [32]byte) *btcec.PrivateKey {
	for _, k := range n.keys {
		if genesis.XOnly(k) == pk {
			return k
		}
	}
	return nil
}

func (n *node) relay(bk *blk) bool {
	if n.relayFn != nil {
		return n.relayFn(bk)
	}
	return true
}

// validatorKey is the j-th validator key of node i: the lab's key for j = 0, so a
// one-validator-per-node simulation has the lab's validator set.
func validatorKey(seed int64, i, j int) *btcec.PrivateKey {
	if j == 0 {
		return lab.RunKey(seed, "validator", i)
	}
	sum := sha256.Sum256([]byte(fmt.Sprintf("chainlab-sim/%d/validator/%d/%d", seed, i, j)))
	k, _ := btcec.PrivKeyFromBytes(sum[:])
	return k
}

func (w *world) newNode(pn lab.PlanNode) (*node, error) {
	n := &node{id: pn.Index, w: w, hashRate: pn.HashRate, online: true}
	var eng chain.Engine
	switch w.p.Consensus {
	case genesis.PoW:
		e, err := miner.NewEngine(w.p)
		if err != nil {
			return nil, err
		}
		n.pow, eng = e, e
		n.payTo = genesis.XOnly(lab.RunKey(w.m.Seed, "miner", pn.Index))
	default:
		e, err := staking.NewEngine(w.p, staking.WithVoteSigCache(w.vsigs), staking.WithSigWorkers(1))
		if err != nil {
			return nil, err
		}
		n.pos, eng = e, e
		n.payTo = genesis.XOnly(lab.RunKey(w.m.Seed, "owner", pn.Index))
		if pn.Stake > 0 {
			for j := 0; j < w.opts.ValidatorsPerNode; j++ {
				n.keys = append(n.keys, validatorKey(w.m.Seed, pn.Index, j))
			}
		}
	}
	st, err := chain.OpenMemStore()
	if err != nil {
		return nil, err
	}
	c, err := chain.New(chain.Config{Params: w.p, Engine: eng, Store: st, SigWorkers: 1, SigCache: w.sigs,
		UTXOCacheSize: 4096, Logger: nil})
	if err != nil {
		st.Close()
		return nil, fmt.Errorf("sim: node %d chain: %w", pn.Index, err)
	}
	n.c = c
	if n.pos != nil {
		if err := w.newDuties(n); err != nil {
			c.Close()
			return nil, err
		}
	}
	return n, nil
}

func (n *node) headChanged() {
	if n.pow != nil {
		n.w.scheduleMining(n)
		return
	}
	n.w.dutiesHead(n)
}

// setOnline takes a node off the network (it keeps its chain and stops producing) or
// brings it back, announcing its tip to its neighbours so partitions resync.
func (w *world) setOnline(n *node, on bool) {
	if n.online == on {
		return
	}
	n.online = on
	if n.pow != nil {
		w.scheduleMining(n)
	}
	if on {
		w.announce(n)
	}
}

// announce sends n's tip to its neighbours and theirs to n (what a reconnect's version
// handshake and first inv do); orphans then pull the missing branch.
func (w *world) announce(n *node) {
	if !n.online {
		return
	}
	tip := w.blocks[tipHash(n.c)]
	for _, p := range w.net.adj[n.id] {
		o := w.nodes[p.node]
		if tip != nil {
			w.sendBlock(n, o, tip)
		}
		if ot := w.blocks[tipHash(o.c)]; ot != nil && o.online {
			w.sendBlock(o, n, ot)
		}
	}
}

// scheduleMining (re)draws node n's next block discovery: an exponential waiting time
// with rate hashRate·hashScale / work(bits of its next block). Memorylessness makes a
// redraw on every tip change exact.
func (w *world) scheduleMining(n *node) {
	n.mineGen++
	if !n.online || n.hashRate <= 0 {
		return
	}
	gen := n.mineGen
	bits, err := n.pow.NextBits(n.c, tipHash(n.c))
	if err != nil {
		w.log.Warn("next bits", "node", n.id, "err", err)
		return
	}
	rate := n.hashRate * w.hashScale / workOf(bits)
	dt := w.rng.ExpFloat64() / rate
	w.s.after(int64(dt*1e9), func() {
		if n.mineGen == gen {
			w.mine(n)
		}
	})
}

// mine builds a real template on n's tip at the virtual time, seals it with real
// SHA-256d and publishes it.
func (w *world) mine(n *node) {
	b, err := n.c.NewTemplate(n.txSource(), chain.TemplateRequest{PayTo: n.payTo,
		Extra: miner.TemplateExtra([]byte(fmt.Sprintf("sim/%d", n.id))), Now: w.wall()})
	if err != nil {
		w.log.Warn("template", "node", n.id, "err", err)
		w.scheduleMining(n)
		return
	}
	if ok, err := miner.SealBlock(context.Background(), b, 0); !ok || err != nil {
		w.log.Warn("seal", "node", n.id, "err", err)
		w.scheduleMining(n)
		return
	}
	bk := w.newBlock(n, b)
	if n.onMined != nil && n.onMined(bk) {
		return
	}
	w.deliver(n, bk, -1, false)
	w.scheduleMining(n)
}
