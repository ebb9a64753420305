package sim

import (
	"time"

	"chainlab/chain"
	"chainlab/lab"
)

// txInfo is a load transaction shared by every node (decoded once) with the nodes that
// have it.
type txInfo struct {
	tx   *chain.Tx
	id   chain.Hash
	size int
	seen []uint64
}

// setupLoad gives every node a real mempool and schedules the manifest's transaction load:
// the lab's load generator (one genesis allocation spent per transaction, signed with the
// load keys) at the lab's schedule, submitted round robin to the load nodes and gossiped.
func (w *world) setupLoad() error {
	if w.m.Load.Rate <= 0 {
		return nil
	}
	for _, n := range w.nodes {
		mp, err := chain.NewMempool(chain.MempoolConfig{Chain: n.c, SigCache: w.sigs})
		if err != nil {
			return err
		}
		n.mp = mp
	}
	lg, err := lab.NewLoadGen(w.m, w.p)
	if err != nil {
		return err
	}
	targets := w.resolveNodes(w.m.Load.Nodes)
	if len(targets) == 0 {
		for i := range w.nodes {
			targets = append(targets, i)
		}
	}
	w.txs = map[chain.Hash]*txInfo{}
	k := 0
	for _, at := range lab.LoadSchedule(w.m.Load, time.Duration(w.end), w.m.Seed) {
		w.s.at(int64(at), func() {
			tx, err := lg.Next()
			if err != nil || tx == nil {
				return // allocations exhausted
			}
			n := w.nodes[targets[k%len(targets)]]
			k++
			ti := &txInfo{tx: tx, id: tx.TxID(), size: tx.SerializeSize(), seen: make([]uint64, (len(w.nodes)+63)/64)}
			w.txs[ti.id] = ti
			ev := lab.TxEvent{ID: ti.id.String(), At: w.secs(), Node: n.id}
			if err := w.acceptTx(n, ti); err != nil {
				ev.Err = err.Error()
			}
			w.tr.Txs = append(w.tr.Txs, ev)
		})
	}
	return nil
}

// acceptTx adds a transaction to n's mempool and relays it to n's neighbours.
func (w *world) acceptTx(n *node, ti *txInfo) error {
	if !n.online {
		return errOffline
	}
	ti.seen[n.id>>6] |= 1 << (n.id & 63)
	if _, err := n.mp.Add(ti.tx, w.wall()); err != nil {
		return err
	}
	for _, p := range w.net.adj[n.id] {
		o := w.nodes[p.node]
		if ti.seen[o.id>>6]&(1<<(o.id&63)) != 0 {
			continue
		}
		if w.net.send(n.id, o.id, ti.size, func() {
			o.recv += uint64(ti.size)
			if ti.seen[o.id>>6]&(1<<(o.id&63)) == 0 {
				_ = w.acceptTx(o, ti)
			}
		}) {
			n.sent += uint64(ti.size)
		}
	}
	return nil
}

type simError string

func (e simError) Error() string { return string(e) }

const errOffline = simError("sim: node offline")

// txSource is what a node's templates draw from: its mempool, or nothing.
func (n *node) txSource() chain.TxSource {
	if n.mp != nil {
		return n.mp
	}
	return noTxs{}
}
