package rpc

import (
	"context"
	"math/big"
	"time"

	"chainlab/chain"
	"chainlab/genesis"
)

// The interfaces below are what the server consumes. node implements them; *chain.Chain
// and *chain.Mempool satisfy Chain and Mempool directly. Everything except Chain and
// Mempool is optional: a method whose backend is nil answers CodeMethodNotFound with a
// message saying what is missing.

// Chain is the read-only view of the block chain the server uses (*chain.Chain).
type Chain interface {
	Params() *genesis.Params
	GenesisHash() chain.Hash
	Tip() (chain.Hash, uint64)
	Header(h chain.Hash) (*chain.Header, bool)
	Height(h chain.Hash) (uint64, bool)
	HashAt(height uint64) (chain.Hash, bool)
	IsMainChain(h chain.Hash) bool
	Block(h chain.Hash) (*chain.Block, error)
	BlockBytes(h chain.Hash) ([]byte, error)
	Coin(op chain.OutPoint) (*chain.Coin, error)
	MedianTimePast(h chain.Hash) (uint32, error)
	Finality() chain.Finality
	Work(h chain.Hash) (*big.Int, bool)
	AddressCoins(key [32]byte) ([]chain.OutPoint, error)
	TxLocation(txid chain.Hash) (chain.Hash, bool)
	Tips() []chain.TipInfo
}

// Mempool is the transaction pool (*chain.Mempool).
type Mempool interface {
	Add(tx *chain.Tx, now time.Time) (fee uint64, err error)
	Has(txid chain.Hash) bool
	Get(txid chain.Hash) (*chain.Tx, bool)
	Entry(txid chain.Hash) (chain.MempoolEntry, bool)
	SpentBy(op chain.OutPoint) (chain.Hash, bool)
	TxIDs() []chain.Hash
	Count() int
	Info() chain.MempoolInfo
}

// NetControl is the p2p server as the RPC layer sees it.
type NetControl interface {
	Peers() []PeerInfo
	ConnectionCount() (in, out int)
	NetworkInfo() NetworkInfo
	// AddNode implements addnode: command is "add", "remove" or "onetry".
	AddNode(addr, command string) error
	// DisconnectNode drops a peer by address (addr != "") or id.
	DisconnectNode(addr string, id int64) error
	// SetLink sets the emulated link to a peer (by address or id as a string); a zero
	// LinkSpec clears it.
	SetLink(peer string, spec LinkSpec) error
	Links() []LinkInfo
	// SetPartition cuts this node off from the listed peers (addresses or ids); an empty
	// list heals every cut.
	SetPartition(peers []string) error
}

// PeerInfo is one getpeerinfo entry (Bitcoin Core field names).
type PeerInfo struct {
	ID             int64     `json:"id"`
	Addr           string    `json:"addr"`
	AddrLocal      string    `json:"addrlocal,omitempty"`
	Inbound        bool      `json:"inbound"`
	ConnTime       int64     `json:"conntime"`
	LastSend       int64     `json:"lastsend"`
	LastRecv       int64     `json:"lastrecv"`
	BytesSent      uint64    `json:"bytessent"`
	BytesRecv      uint64    `json:"bytesrecv"`
	PingTime       float64   `json:"pingtime"`
	Version        uint32    `json:"version"`
	SubVer         string    `json:"subver"`
	StartingHeight uint64    `json:"startingheight"`
	SyncedHeaders  int64     `json:"synced_headers"`
	SyncedBlocks   int64     `json:"synced_blocks"`
	BanScore       int       `json:"banscore"`
	Link           *LinkSpec `json:"link,omitempty"`
}

// NetworkInfo is the node part of getnetworkinfo.
type NetworkInfo struct {
	Version         int      `json:"version"`
	SubVersion      string   `json:"subversion"`
	ProtocolVersion uint32   `json:"protocolversion"`
	LocalAddresses  []string `json:"localaddresses"`
	NetworkActive   bool     `json:"networkactive"`
	RelayFee        uint64   `json:"-"` // base units per byte; shown as relayfee per kB
}

// LinkSpec is an emulated link's behaviour (lab fault injection).
type LinkSpec struct {
	DelayMS      int64   `json:"delay_ms"`
	JitterMS     int64   `json:"jitter_ms"`
	Loss         float64 `json:"loss"`          // 0..1 probability a message is dropped
	BandwidthBPS int64   `json:"bandwidth_bps"` // bytes per second; 0 = unlimited
	Down         bool    `json:"down"`          // partitioned
}

// LinkInfo is one getlinks entry.
type LinkInfo struct {
	Peer string   `json:"peer"`
	Spec LinkSpec `json:"spec"`
}

// MinerControl is the PoW mining loop.
type MinerControl interface {
	SetGenerate(on bool, threads int) error
	Generating() bool
	// SetHashRate throttles the miner to hps hashes per second (0 = unthrottled).
	SetHashRate(hps float64) error
	HashRate() float64 // measured hashes per second
	// Generate mines n blocks paying payTo synchronously (regtest-style), trying at most
	// maxTries nonces in total (0 = unlimited), and returns their hashes.
	Generate(ctx context.Context, n int, payTo [32]byte, maxTries uint64) ([]chain.Hash, error)
}

// StakingInfo is the PoS engine and duties as the RPC layer sees them.
type StakingInfo interface {
	Validators() ([]ValidatorInfo, error)
	Proposer(slot uint64) ([32]byte, error)
	Info() (StakingStatus, error)
}

// ValidatorRegistrar is an optional StakingInfo capability: the wallet hands a validator
// signing key to the node (registervalidator).
type ValidatorRegistrar interface {
	RegisterValidator(privKey []byte) ([32]byte, error)
}

// ValidatorInfo is one getvalidators entry.
type ValidatorInfo struct {
	Key        string `json:"key"` // x-only hex
	Owner      string `json:"owner"`
	Stake      Amount `json:"stake"`
	Active     bool   `json:"active"`
	Activation uint64 `json:"activation_epoch"`
	Exit       uint64 `json:"exit_epoch,omitempty"`
	Slashed    bool   `json:"slashed"`
	Local      bool   `json:"local"` // this node holds its signing key
}

// StakingStatus is getstakinginfo.
type StakingStatus struct {
	Enabled         bool     `json:"enabled"`
	Slot            uint64   `json:"slot"`
	Epoch           uint64   `json:"epoch"`
	Validators      int      `json:"validators"`
	ActiveStake     Amount   `json:"active_stake"`
	LocalValidators []string `json:"local_validators"`
	Proposed        uint64   `json:"proposed"`
	Votes           uint64   `json:"votes"`
	NextDuty        string   `json:"next_duty,omitempty"`
}

// BlockStats records when and from whom this node first received each block.
type BlockStats interface {
	BlockTiming(h chain.Hash) (BlockTiming, bool)
}

// BlockTiming is the lab's per-block timing data (getblocktiming).
type BlockTiming struct {
	Received  time.Time // when this node first saw the block
	FirstPeer string    // "" if produced locally
	Local     bool      // produced by this node
}
