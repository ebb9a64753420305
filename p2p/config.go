package p2p

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"chainlab/chain"
)

// NodeID identifies a node process on the network (random per process).
type NodeID [32]byte

// NewNodeID returns a random node id (the only use of crypto randomness in the package;
// call it in the process's main, not in tests that need determinism).
func NewNodeID() NodeID {
	var id NodeID
	if _, err := rand.Read(id[:]); err != nil {
		panic(err)
	}
	return id
}

// String is the first 8 bytes in hex (enough to tell nodes apart in logs).
func (id NodeID) String() string { return hex.EncodeToString(id[:8]) }

// Hex is the full id in hex.
func (id NodeID) Hex() string { return hex.EncodeToString(id[:]) }

// ParseNodeID parses a full 64-hex-digit node id.
func ParseNodeID(s string) (NodeID, error) {
	var id NodeID
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != len(id) {
		return id, fmt.Errorf("p2p: bad node id %q", s)
	}
	copy(id[:], b)
	return id, nil
}

// BlockEvent is reported to Config.OnBlock for every block received from a peer and
// processed (accepted or not).
type BlockEvent struct {
	Hash     chain.Hash
	Peer     NodeID
	PeerAddr string
	Received time.Time // when its last byte was read
	Size     int
	Result   *ChainResult // nil when Err != nil
	Err      error
}

// SyncProgress is reported to Config.OnSyncProgress while a node downloads blocks.
type SyncProgress struct {
	Height       uint64 // local tip height
	Target       uint64 // best height known from headers or peers
	BlocksPerSec float64
	Done         bool
}

// Config configures a Server. Chain, GenesisHash, Magic and a non-zero NodeID are required.
type Config struct {
	Chain       Chain
	TxPool      TxPool   // optional: without it transactions are ignored
	VotePool    VotePool // optional: without it votes/evidence are ignored
	GenesisHash chain.Hash
	Magic       uint32
	NodeID      NodeID
	// ListenAddr is host:port for Start to listen on (empty: no listener; mount Handler()
	// yourself). AdvertiseAddr is the address sent to peers (default: the listener's).
	ListenAddr    string
	AdvertiseAddr string
	UserAgent     string
	StaticPeers   []string // host:port or ws://host:port/p2p; always reconnected
	MaxInbound    int      // default 32
	// TargetOutbound is how many outbound peers to keep from static peers and the address
	// book (default 8; static peers are dialled even beyond it).
	TargetOutbound int
	Logger         *slog.Logger
	Seed           uint64 // seeds the link emulation and peer selection randomness

	MaxBlockBytes int // default DefaultMaxBlockSize; pass genesis MaxBlockSize (+ slack)
	MaxTxBytes    int // default DefaultMaxTxSize

	HandshakeTimeout time.Duration // default 5 s
	PingInterval     time.Duration // default 30 s
	PingTimeout      time.Duration // default 2 min (no pong: disconnect)
	StallTimeout     time.Duration // a requested block not delivered in this time is re-requested elsewhere; default 5 s
	BanThreshold     int           // default 100
	BanDuration      time.Duration // default 24 h
	ScoreHalfLife    time.Duration // misbehaviour score decay; default 1 min
	ReconnectMin     time.Duration // default 500 ms
	ReconnectMax     time.Duration // default 1 min
	TipRefresh       time.Duration // the tip is re-announced to every peer this often; default 10 s
	// BlockWindow is how far beyond the local tip blocks are requested during sync (default 1024);
	// PerPeerInFlight caps the block requests outstanding at one peer (default 128).
	BlockWindow     int
	PerPeerInFlight int
	// Links and Partition are the initial link emulation (see SetLink, SetPartition).
	Links     map[NodeID]LinkParams
	Partition [][]NodeID

	OnBlock        func(BlockEvent)   // optional; called from the sync goroutine, keep it short
	OnSyncProgress func(SyncProgress) // optional; e.g. a terminal progress bar
	// Now is the clock (default time.Now); the chain gets it as `now`.
	Now func() time.Time
}

func (c *Config) setDefaults() error {
	if c.Chain == nil {
		return errors.New("p2p: Config.Chain is required")
	}
	if c.GenesisHash.IsZero() {
		return errors.New("p2p: Config.GenesisHash is required")
	}
	if c.NodeID == (NodeID{}) {
		return errors.New("p2p: Config.NodeID is required (use NewNodeID)")
	}
	if c.GenesisHash != c.Chain.GenesisHash() {
		return fmt.Errorf("p2p: Config.GenesisHash %s differs from the chain's %s", c.GenesisHash, c.Chain.GenesisHash())
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.UserAgent == "" {
		c.UserAgent = "chainlab"
	}
	if len(c.UserAgent) > MaxUserAgent || len(c.AdvertiseAddr) > MaxAddrLen {
		return errors.New("p2p: UserAgent or AdvertiseAddr too long")
	}
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	defD := func(v *time.Duration, d time.Duration) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&c.MaxInbound, 32)
	def(&c.TargetOutbound, 8)
	def(&c.MaxBlockBytes, DefaultMaxBlockSize)
	def(&c.MaxTxBytes, DefaultMaxTxSize)
	def(&c.BanThreshold, 100)
	def(&c.BlockWindow, 1024)
	def(&c.PerPeerInFlight, 128)
	defD(&c.HandshakeTimeout, 5*time.Second)
	defD(&c.PingInterval, 30*time.Second)
	defD(&c.PingTimeout, 2*time.Minute)
	defD(&c.StallTimeout, 5*time.Second)
	defD(&c.BanDuration, 24*time.Hour)
	defD(&c.ScoreHalfLife, time.Minute)
	defD(&c.ReconnectMin, 500*time.Millisecond)
	defD(&c.ReconnectMax, time.Minute)
	defD(&c.TipRefresh, 10*time.Second)
	if c.MaxBlockBytes > chain.MaxEncodedBlock {
		return fmt.Errorf("p2p: MaxBlockBytes %d exceeds %d", c.MaxBlockBytes, chain.MaxEncodedBlock)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	for id, lp := range c.Links {
		if err := lp.validate(); err != nil {
			return fmt.Errorf("p2p: link %s: %w", id, err)
		}
	}
	return nil
}
