package node

import (
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"

	"chainlab/genesis"
)

// Config configures a node. DataDir and Params are required.
type Config struct {
	DataDir string          // required
	Params  *genesis.Params // required

	P2PListen  string   // host:port for the websocket p2p listener ("" = 127.0.0.1:0)
	RPCListen  string   // host:port for JSON-RPC ("" = 127.0.0.1:0; "off" disables RPC)
	Peers      []string // static peers (host:port)
	MaxInbound int
	Outbound   int
	UserAgent  string

	RPCUser, RPCPassword string
	RPCNoAuth            bool // only allowed on loopback

	// PoW mining.
	Mine          bool
	Threads       int
	HashRate      float64  // hashes per second; 0 = unthrottled
	MiningAddress [32]byte // x-only key paid by mined/proposed blocks (zero = a burn key)

	// PoS: validator private keys this node signs with.
	ValidatorKeys []*btcec.PrivateKey

	// Adversary makes the node misbehave on purpose (see Adversary); "" = honest.
	Adversary Adversary

	// Mempool.
	MempoolBytes int
	MinFeeRate   uint64

	Logger *slog.Logger
	Seed   uint64           // seeds link emulation and peer selection
	Now    func() time.Time // the clock (default time.Now)
}

func (c *Config) check() error {
	if c.DataDir == "" {
		return errors.New("node: Config.DataDir is required")
	}
	if c.Params == nil {
		return errors.New("node: Config.Params is required")
	}
	if err := c.Params.Validate(); err != nil {
		return fmt.Errorf("node: %w", err)
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	if c.Now == nil {
		c.Now = time.Now
	}
	if c.P2PListen == "" {
		c.P2PListen = "127.0.0.1:0"
	}
	if c.RPCListen == "" {
		c.RPCListen = "127.0.0.1:0"
	}
	if c.UserAgent == "" {
		c.UserAgent = "chainlab"
	}
	if c.MempoolBytes == 0 {
		c.MempoolBytes = 64 << 20
	}
	if c.Mine && c.Params.Consensus != genesis.PoW {
		return errors.New("node: --mine needs a proof-of-work genesis")
	}
	if len(c.ValidatorKeys) > 0 && c.Params.Consensus != genesis.PoS {
		return errors.New("node: validator keys need a proof-of-stake genesis")
	}
	return checkAdversary(c.Adversary, c.Params.Consensus)
}
