package lab

import (
	"context"
	"encoding/hex"
	"fmt"

	"chainlab/address"
	"chainlab/chain"
)

// recount is the ground truth read back from the nodes after a run.
type recount struct {
	canonical []string
	blocks    []BlockRecord
	seen      []Sighting
}

// producerOf maps a PoS proposer key (hex) or a PoW coinbase payee key (hex) to a node.
func (e *Experiment) producerOf(proposer, payee string) int {
	for i, ns := range e.net.State.Nodes {
		if proposer != "" && proposer == ns.Validator {
			return i
		}
		for _, v := range ns.ExtraValidators {
			if proposer != "" && proposer == v {
				return i
			}
		}
		if payee != "" && ns.MiningKey != "" {
			if k, err := address.Decode(e.g.AddressPrefix, ns.MiningKey); err == nil && hex.EncodeToString(k[:]) == payee {
				return i
			}
		}
	}
	return -1
}

// recount reads every running node's main chain and side branches, every block once, and
// each node's own first-receive time of each block it has.
//
// announced are the block hashes the live events named; any the walk did not reach is
// looked up on every node too, so the recount is a superset of what was announced.
func (e *Experiment) recount(ctx context.Context, announced []string) (*recount, error) {
	type nodeView struct {
		i      int
		c      NodeClient
		main   []string
		tip    string
		height uint64
	}
	var views []*nodeView
	for i := range e.net.State.Nodes {
		if !e.net.Alive(i) {
			continue
		}
		c, err := e.net.Client(i)
		if err != nil {
			continue
		}
		h, err := c.BlockCount(ctx)
		if err != nil {
			continue
		}
		v := &nodeView{i: i, c: c, height: h}
		for k := uint64(0); k <= h; k++ {
			hash, err := c.BlockHash(ctx, k)
			if err != nil {
				return nil, fmt.Errorf("%s: getblockhash %d: %w", e.net.State.Nodes[i].Name, k, err)
			}
			v.main = append(v.main, hash)
		}
		v.tip = v.main[len(v.main)-1]
		views = append(views, v)
	}
	if len(views) == 0 {
		return nil, fmt.Errorf("no node is running")
	}
	// The canonical chain: the tip most nodes agree on (ties: the higher, then lower index).
	votes := map[string]int{}
	for _, v := range views {
		votes[v.tip]++
	}
	ref := views[0]
	for _, v := range views[1:] {
		if votes[v.tip] > votes[ref.tip] || (votes[v.tip] == votes[ref.tip] && v.height > ref.height) {
			ref = v
		}
	}
	rc := &recount{canonical: ref.main}
	known := map[string]bool{}
	var order []string
	have := map[int]map[string]bool{}
	for _, v := range views {
		hv := map[string]bool{}
		have[v.i] = hv
		for _, h := range v.main {
			hv[h] = true
			if !known[h] {
				known[h] = true
				order = append(order, h)
			}
		}
		tips, err := v.c.BranchTips(ctx)
		if err != nil {
			continue
		}
		for _, tip := range tips {
			for h := tip; h != "" && !hv[h]; {
				blk, err := v.c.Block(ctx, h)
				if err != nil {
					break
				}
				hv[h] = true
				if !known[h] {
					known[h] = true
					order = append(order, h)
				}
				h = blk.Header.Prev.String()
			}
		}
	}
	for _, h := range announced {
		if known[h] {
			continue
		}
		for _, v := range views {
			if _, err := v.c.Block(ctx, h); err == nil {
				have[v.i][h] = true
				if !known[h] {
					known[h] = true
					order = append(order, h)
				}
			}
		}
	}
	genesis := ref.main[0]
	for _, h := range order {
		if h == genesis {
			continue
		}
		var blk *chain.Block
		var err error
		for _, v := range views {
			if have[v.i][h] {
				if blk, err = v.c.Block(ctx, h); err == nil {
					break
				}
			}
		}
		if blk == nil {
			continue
		}
		br := BlockRecord{Hash: h, Parent: blk.Header.Prev.String(), Producer: -1, Time: int64(blk.Header.Time), Size: blk.SerializeSize()}
		if sl := blk.Header.Seal; sl != nil {
			br.Slot = sl.Slot
			br.Producer = e.producerOf(hex.EncodeToString(sl.Proposer[:]), "")
		} else if len(blk.Txs) > 0 && len(blk.Txs[0].Outputs) > 0 {
			k := blk.Txs[0].Outputs[0].Lock.Key
			br.Producer = e.producerOf("", hex.EncodeToString(k[:]))
		}
		if len(blk.Txs) > 0 {
			if ht, err := chain.CoinbaseHeight(blk.Txs[0]); err == nil {
				br.Height = ht
			}
		}
		for _, tx := range blk.Txs[min(1, len(blk.Txs)):] {
			br.TxIDs = append(br.TxIDs, tx.TxID().String())
		}
		rc.blocks = append(rc.blocks, br)
	}
	for _, v := range views {
		for h := range have[v.i] {
			if h == genesis {
				continue
			}
			at, _, err := v.c.BlockTiming(ctx, h)
			if err != nil || at.IsZero() {
				continue
			}
			rc.seen = append(rc.seen, Sighting{Node: v.i, Hash: h, At: at.Sub(e.start).Seconds()})
		}
	}
	return rc, nil
}
