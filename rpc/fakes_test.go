package rpc

import (
	"context"
	"fmt"
	"sync"
	"time"

	"chainlab/chain"
)

// Test implementations of the services node provides. They are external to rpc (p2p, the
// miner loop, the staking duties), so small fakes here; the chain and mempool are real.

type fakeNet struct {
	mu        sync.Mutex
	peers     []PeerInfo
	added     map[string]bool
	links     map[string]LinkSpec
	partition []string
}

func newFakeNet() *fakeNet {
	return &fakeNet{
		peers: []PeerInfo{{ID: 1, Addr: "127.0.0.1:9001", Inbound: false, Version: 1, SubVer: "/chainlab:test/"},
			{ID: 2, Addr: "127.0.0.1:9002", Inbound: true, Version: 1, SubVer: "/chainlab:test/"}},
		added: map[string]bool{},
		links: map[string]LinkSpec{},
	}
}

func (n *fakeNet) Peers() []PeerInfo {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]PeerInfo(nil), n.peers...)
}

func (n *fakeNet) ConnectionCount() (int, int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	in := 0
	for _, p := range n.peers {
		if p.Inbound {
			in++
		}
	}
	return in, len(n.peers) - in
}

func (n *fakeNet) NetworkInfo() NetworkInfo {
	return NetworkInfo{Version: 100, SubVersion: "/chainlab:test/", ProtocolVersion: 1, NetworkActive: true, RelayFee: 1}
}

func (n *fakeNet) AddNode(addr, cmd string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	switch cmd {
	case "add":
		if n.added[addr] {
			return fmt.Errorf("addnode %s: %w", addr, ErrNodeAlreadyAdded)
		}
		n.added[addr] = true
	case "remove":
		if !n.added[addr] {
			return fmt.Errorf("addnode %s: %w", addr, ErrNodeNotAdded)
		}
		delete(n.added, addr)
	}
	return nil
}

func (n *fakeNet) DisconnectNode(addr string, id int64) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	for i, p := range n.peers {
		if (addr != "" && p.Addr == addr) || (addr == "" && p.ID == id) {
			n.peers = append(n.peers[:i], n.peers[i+1:]...)
			return nil
		}
	}
	return ErrNodeNotConnected
}

func (n *fakeNet) SetLink(peer string, spec LinkSpec) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	if peer == "nosuchpeer" {
		return fmt.Errorf("setlink %s: peer %w", peer, ErrNotFound)
	}
	n.links[peer] = spec
	return nil
}

func (n *fakeNet) Links() []LinkInfo {
	n.mu.Lock()
	defer n.mu.Unlock()
	var out []LinkInfo
	for p, s := range n.links {
		out = append(out, LinkInfo{Peer: p, Spec: s})
	}
	return out
}

func (n *fakeNet) SetPartition(peers []string) error {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.partition = peers
	return nil
}

type fakeStaking struct {
	mu    sync.Mutex
	local [][32]byte
}

func (f *fakeStaking) Validators() ([]ValidatorInfo, error) {
	return []ValidatorInfo{{Key: "aa", Owner: "x", Stake: 1000, Active: true}}, nil
}

func (f *fakeStaking) Proposer(slot uint64) ([32]byte, error) {
	if slot > 1_000_000 {
		return [32]byte{}, fmt.Errorf("slot %d: %w", slot, ErrInvalidParameter)
	}
	var k [32]byte
	k[0] = byte(slot)
	return k, nil
}

func (f *fakeStaking) Info() (StakingStatus, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return StakingStatus{Enabled: true, Slot: 7, Epoch: 1, Validators: 1, ActiveStake: 1000, LocalValidators: nil}, nil
}

func (f *fakeStaking) RegisterValidator(priv []byte) ([32]byte, error) {
	var k [32]byte
	copy(k[:], priv)
	f.mu.Lock()
	f.local = append(f.local, k)
	f.mu.Unlock()
	return k, nil
}

type fakeStats struct {
	mu sync.Mutex
	m  map[chain.Hash]BlockTiming
}

func (f *fakeStats) BlockTiming(h chain.Hash) (BlockTiming, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	t, ok := f.m[h]
	return t, ok
}

func (f *fakeStats) set(h chain.Hash, t BlockTiming) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.m == nil {
		f.m = map[chain.Hash]BlockTiming{}
	}
	f.m[h] = t
}

var _ = context.Background
var _ = time.Now
