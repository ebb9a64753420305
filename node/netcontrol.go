package node

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"time"

	"chainlab/p2p"
	"chainlab/rpc"
)

// netControl is rpc's view of the p2p server: peers, addnode, and link emulation.
// Peers are named by their node id (hex, full or the 16-character short form) or their
// address; getpeerinfo's numeric ids are assigned here in first-seen order.
type netControl struct {
	n   *Node
	mu  sync.Mutex
	ids map[p2p.NodeID]int64
}

func (c *netControl) numericID(id p2p.NodeID) int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ids == nil {
		c.ids = make(map[p2p.NodeID]int64)
	}
	v, ok := c.ids[id]
	if !ok {
		v = int64(len(c.ids))
		c.ids[id] = v
	}
	return v
}

func (c *netControl) Peers() []rpc.PeerInfo {
	ps := c.n.p2p.Peers()
	out := make([]rpc.PeerInfo, 0, len(ps))
	for _, p := range ps {
		pi := rpc.PeerInfo{
			ID:             c.numericID(p.ID),
			Addr:           p.Addr,
			AddrLocal:      p.ListenAddr,
			Inbound:        p.Inbound,
			ConnTime:       p.Connected.Unix(),
			BytesSent:      p.BytesSent,
			BytesRecv:      p.BytesRecv,
			PingTime:       p.RTT.Seconds(),
			SubVer:         p.UserAgent,
			StartingHeight: p.BestHeight,
			SyncedBlocks:   int64(p.BestHeight),
			SyncedHeaders:  int64(p.BestHeight),
			BanScore:       p.BanScore,
		}
		if !p.Link.IsZero() {
			pi.Link = &rpc.LinkSpec{
				DelayMS: p.Link.Delay.Milliseconds(), JitterMS: p.Link.Jitter.Milliseconds(),
				Loss: p.Link.Loss, BandwidthBPS: p.Link.Bandwidth,
			}
		}
		out = append(out, pi)
	}
	return out
}

func (c *netControl) ConnectionCount() (in, out int) {
	st := c.n.p2p.Stats()
	return st.Inbound, st.Outbound
}

func (c *netControl) NetworkInfo() rpc.NetworkInfo {
	return rpc.NetworkInfo{
		Version:         10000,
		SubVersion:      "/" + c.n.cfg.UserAgent + "/",
		ProtocolVersion: p2p.ProtocolVersion,
		LocalAddresses:  []string{c.n.p2p.ListenAddr()},
		NetworkActive:   true,
		RelayFee:        c.n.cfg.MinFeeRate,
	}
}

func (c *netControl) AddNode(addr, command string) error {
	switch command {
	case "add", "onetry", "":
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_, err := c.n.p2p.Connect(ctx, addr)
		return err
	case "remove":
		return c.DisconnectNode(addr, -1)
	}
	return fmt.Errorf("addnode: command must be add, remove or onetry, not %q", command)
}

func (c *netControl) DisconnectNode(addr string, id int64) error {
	for _, p := range c.n.p2p.Peers() {
		if (addr != "" && (p.Addr == addr || p.ListenAddr == addr)) || (id >= 0 && c.numericID(p.ID) == id) {
			c.n.p2p.Disconnect(p.ID)
			return nil
		}
	}
	return fmt.Errorf("%w: %s", rpc.ErrNodeNotConnected, addr)
}

// resolve finds a peer by node id (full hex or short form) or address.
func (c *netControl) resolve(name string) (p2p.NodeID, error) {
	if id, err := p2p.ParseNodeID(name); err == nil {
		return id, nil
	}
	for _, p := range c.n.p2p.Peers() {
		if p.ID.String() == name || strings.HasPrefix(p.ID.Hex(), name) || p.Addr == name || p.ListenAddr == name {
			return p.ID, nil
		}
	}
	return p2p.NodeID{}, fmt.Errorf("%w: %s", rpc.ErrNodeNotConnected, name)
}

func (c *netControl) SetLink(peer string, spec rpc.LinkSpec) error {
	ids := []p2p.NodeID{}
	if peer == "*" || peer == "" {
		for _, p := range c.n.p2p.Peers() {
			ids = append(ids, p.ID)
		}
	} else {
		id, err := c.resolve(peer)
		if err != nil {
			return err
		}
		ids = append(ids, id)
	}
	lp := p2p.LinkParams{
		Delay:     time.Duration(spec.DelayMS) * time.Millisecond,
		Jitter:    time.Duration(spec.JitterMS) * time.Millisecond,
		Loss:      spec.Loss,
		Bandwidth: spec.BandwidthBPS,
	}
	if spec.Down {
		lp.Loss = 1
	}
	for _, id := range ids {
		if err := c.n.p2p.SetLink(id, lp); err != nil {
			return err
		}
	}
	return nil
}

func (c *netControl) Links() []rpc.LinkInfo {
	var out []rpc.LinkInfo
	for id, lp := range c.n.p2p.Links() {
		out = append(out, rpc.LinkInfo{Peer: id.Hex(), Spec: rpc.LinkSpec{
			DelayMS: lp.Delay.Milliseconds(), JitterMS: lp.Jitter.Milliseconds(),
			Loss: lp.Loss, BandwidthBPS: lp.Bandwidth, Down: lp.Loss >= 1,
		}})
	}
	blocked := c.n.p2p.Partition()
	if len(blocked) == 2 {
		for _, id := range blocked[1] {
			out = append(out, rpc.LinkInfo{Peer: id.Hex(), Spec: rpc.LinkSpec{Down: true}})
		}
	}
	return out
}

// SetPartition cuts this node off from the named peers (node ids): everything between
// {this node} and them is dropped in both directions on this node's side. An empty list
// heals the partition.
func (c *netControl) SetPartition(peers []string) error {
	if len(peers) == 0 {
		c.n.p2p.SetPartition(nil)
		return nil
	}
	var other []p2p.NodeID
	for _, name := range peers {
		id, err := p2p.ParseNodeID(name)
		if err != nil {
			if id, err = c.resolve(name); err != nil {
				return err
			}
		}
		other = append(other, id)
	}
	c.n.p2p.SetPartition([][]p2p.NodeID{{c.n.p2p.NodeID()}, other})
	return nil
}
