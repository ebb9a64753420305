package lab

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"time"

	"chainlab/chain"
	"chainlab/rpc"
)

// RPCClient is a NodeClient over chainlab's JSON-RPC (rpc.Client).
type RPCClient struct {
	c *rpc.Client
}

// DialNode returns a client for the node whose RPC listens at addr, authenticating with
// the cookie in its datadir.
func DialNode(addr, datadir string) (*RPCClient, error) {
	c, err := rpc.NewClient(addr, rpc.WithCookieFile(filepath.Join(datadir, ".cookie")))
	if err != nil {
		return nil, err
	}
	return &RPCClient{c: c}, nil
}

func parseHash(s string) (chain.Hash, error) { return chain.ParseHash(s) }

// BlockCount implements NodeClient.
func (r *RPCClient) BlockCount(ctx context.Context) (uint64, error) { return r.c.GetBlockCount(ctx) }

// BlockHash implements NodeClient.
func (r *RPCClient) BlockHash(ctx context.Context, height uint64) (string, error) {
	h, err := r.c.GetBlockHash(ctx, height)
	return h.String(), err
}

// Block implements NodeClient.
func (r *RPCClient) Block(ctx context.Context, hash string) (*chain.Block, error) {
	h, err := parseHash(hash)
	if err != nil {
		return nil, err
	}
	return r.c.GetBlockRaw(ctx, h)
}

// BranchTips implements NodeClient.
func (r *RPCClient) BranchTips(ctx context.Context) ([]string, error) {
	tips, err := r.c.GetChainTips(ctx)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, t := range tips {
		// valid-fork and valid-headers tips have bodies; headers-only and invalid do not count.
		if t.Status == "valid-fork" || t.Status == "valid-headers" {
			out = append(out, t.Hash)
		}
	}
	return out, nil
}

// BlockTiming implements NodeClient.
func (r *RPCClient) BlockTiming(ctx context.Context, hash string) (time.Time, bool, error) {
	h, err := parseHash(hash)
	if err != nil {
		return time.Time{}, false, err
	}
	t, err := r.c.GetBlockTiming(ctx, h)
	if err != nil {
		return time.Time{}, false, err
	}
	return time.UnixMilli(t.Received), t.Local, nil
}

// Finality implements NodeClient.
func (r *RPCClient) Finality(ctx context.Context) (FinalityInfo, error) {
	f, err := r.c.GetFinality(ctx)
	if err != nil {
		return FinalityInfo{}, err
	}
	fi := FinalityInfo{Hash: f.Hash, Height: f.Height, TipHash: f.TipHash, TipHeight: f.TipHeight}
	if f.Finalized != nil {
		fi.Epoch = f.Finalized.Epoch
	}
	return fi, nil
}

// Peers implements NodeClient.
func (r *RPCClient) Peers(ctx context.Context) ([]PeerStat, error) {
	ps, err := r.c.GetPeerInfo(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]PeerStat, len(ps))
	for i, p := range ps {
		out[i] = PeerStat{Addr: p.Addr, BytesSent: p.BytesSent, BytesRecv: p.BytesRecv}
	}
	return out, nil
}

// SendTx implements NodeClient.
func (r *RPCClient) SendTx(ctx context.Context, tx *chain.Tx) (string, error) {
	h, err := r.c.SendRawTransaction(ctx, tx)
	return h.String(), err
}

// SetLink implements NodeClient. Bandwidth is converted from kbit/s to bytes/s.
func (r *RPCClient) SetLink(ctx context.Context, peer string, l LinkParams, down bool) error {
	return r.c.SetLink(ctx, peer, rpc.LinkSpec{
		DelayMS: l.Delay.Milliseconds(), JitterMS: l.Jitter.Milliseconds(), Loss: l.Loss,
		BandwidthBPS: int64(l.Bandwidth * 1000 / 8), Down: down,
	})
}

// SetPartition implements NodeClient.
func (r *RPCClient) SetPartition(ctx context.Context, peers []string) error {
	return r.c.SetPartition(ctx, peers...)
}

// SetHashRate implements NodeClient.
func (r *RPCClient) SetHashRate(ctx context.Context, hps float64) error {
	if hps <= 0 {
		return r.c.SetGenerate(ctx, false, 0)
	}
	if err := r.c.SetHashRate(ctx, hps); err != nil {
		return err
	}
	return r.c.SetGenerate(ctx, true, 1)
}

// HashRate implements NodeClient.
func (r *RPCClient) HashRate(ctx context.Context) (float64, error) {
	mi, err := r.c.GetMiningInfo(ctx)
	if err != nil {
		return 0, err
	}
	return mi.HashesPerSec, nil
}

// Subscribe implements NodeClient.
func (r *RPCClient) Subscribe(ctx context.Context) (<-chan NodeEvent, error) {
	sub, err := r.c.Subscribe(ctx, rpc.TopicNewBlock, rpc.TopicReorg, rpc.TopicFinalized)
	if err != nil {
		return nil, err
	}
	out := make(chan NodeEvent, 1024)
	go func() {
		defer close(out)
		defer sub.Close()
		for {
			select {
			case <-ctx.Done():
				return
			case n, ok := <-sub.C:
				if !ok {
					return
				}
				ev, err := decodeEvent(n)
				if err != nil {
					continue
				}
				select {
				case out <- ev:
				case <-ctx.Done():
					return
				}
			}
		}
	}()
	return out, nil
}

func decodeEvent(n rpc.Notification) (NodeEvent, error) {
	ev := NodeEvent{Kind: n.Topic, At: time.Now()}
	switch n.Topic {
	case rpc.TopicNewBlock:
		var b rpc.NewBlockEvent
		if err := n.Decode(&b); err != nil {
			return ev, err
		}
		ev.Hash, ev.Prev, ev.Height, ev.Time, ev.Size, ev.Proposer = b.Hash, b.Prev, b.Height, b.Time, b.Size, b.Proposer
	case rpc.TopicReorg:
		var r rpc.ReorgEvent
		if err := n.Decode(&r); err != nil {
			return ev, err
		}
		ev.Hash, ev.OldTip, ev.Depth = r.NewTip, r.OldTip, r.Depth
		ev.Height = r.ForkHeight + uint64(len(r.Connected))
	case rpc.TopicFinalized:
		var c rpc.CheckpointEvent
		if err := n.Decode(&c); err != nil {
			return ev, err
		}
		ev.Hash, ev.Height, ev.Epoch = c.Root, c.Height, c.Epoch
	default:
		return ev, errors.New("unexpected topic " + n.Topic)
	}
	return ev, nil
}

// Stop implements NodeClient.
func (r *RPCClient) Stop(ctx context.Context) error {
	if err := r.c.Stop(ctx); err != nil {
		return fmt.Errorf("stop: %w", err)
	}
	return nil
}

// Close implements NodeClient.
func (r *RPCClient) Close() { r.c.Close() }

var _ NodeClient = (*RPCClient)(nil)
