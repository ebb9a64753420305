package main

import (
	"encoding/hex"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"

	"github.com/BurntSushi/toml"
	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/urfave/cli/v2"

	"chainlab/address"
	"chainlab/genesis"
	"chainlab/node"
)

func nodeFlags() []cli.Flag {
	env := func(name string) []string {
		return []string{"CHAINLAB_" + strings.ToUpper(strings.ReplaceAll(name, "-", "_"))}
	}
	return []cli.Flag{
		&cli.StringFlag{Name: "config", Usage: "TOML file whose keys are these flags' names (flags and env vars win)", EnvVars: env("config")},
		&cli.StringFlag{Name: "datadir", Usage: "data directory", Value: defaultDatadir(), EnvVars: env("datadir")},
		&cli.StringFlag{Name: "genesis", Usage: "genesis file or preset (pow-dev, pos-dev)", Value: "pow-dev", EnvVars: env("genesis")},
		&cli.StringFlag{Name: "p2p-listen", Usage: "p2p websocket listen address", Value: "127.0.0.1:18444", EnvVars: env("p2p-listen")},
		&cli.StringFlag{Name: "rpc-listen", Usage: "JSON-RPC listen address (\"off\" to disable)", Value: "127.0.0.1:18443", EnvVars: env("rpc-listen")},
		&cli.StringSliceFlag{Name: "peer", Usage: "static peer host:port (repeatable)", EnvVars: env("peer")},
		&cli.IntFlag{Name: "max-inbound", Usage: "maximum inbound peers", Value: 32, EnvVars: env("max-inbound")},
		&cli.IntFlag{Name: "outbound", Usage: "target outbound peers", Value: 8, EnvVars: env("outbound")},
		&cli.StringFlag{Name: "rpc-user", Usage: "RPC user (default: cookie auth)", EnvVars: env("rpc-user")},
		&cli.StringFlag{Name: "rpc-password", Usage: "RPC password", EnvVars: env("rpc-password")},
		&cli.BoolFlag{Name: "mine", Usage: "mine blocks (PoW)", EnvVars: env("mine")},
		&cli.IntFlag{Name: "threads", Usage: "mining threads (0 = all cores)", EnvVars: env("threads")},
		&cli.StringFlag{Name: "hashrate", Usage: "target hash rate, e.g. 200k, 1.5M (0 = unthrottled)", Value: "0", EnvVars: env("hashrate")},
		&cli.StringFlag{Name: "mining-address", Usage: "address paid by mined or proposed blocks", EnvVars: env("mining-address")},
		&cli.StringSliceFlag{Name: "validator-key", Usage: "file holding a validator private key in hex (repeatable, PoS)", EnvVars: env("validator-key")},
		&cli.StringFlag{Name: "adversary", Usage: "misbehave on purpose (experiments): double-vote, surround-vote (pos), withhold (pos or pow)", EnvVars: env("adversary")},
		&cli.Uint64Flag{Name: "seed", Usage: "seed for link emulation and peer selection", EnvVars: env("seed")},
		&cli.StringFlag{Name: "user-agent", Usage: "user agent sent to peers", Value: "chainlab:" + Version, EnvVars: env("user-agent")},
		&cli.StringFlag{Name: "log-level", Usage: "debug, info, warn or error", Value: "info", EnvVars: env("log-level")},
		&cli.StringFlag{Name: "log-format", Usage: "text or json", Value: "text", EnvVars: env("log-format")},
	}
}

func defaultDatadir() string {
	if d, err := os.UserHomeDir(); err == nil {
		return filepath.Join(d, ".chainlab")
	}
	return ".chainlab"
}

func nodeCommand() *cli.Command {
	return &cli.Command{
		Name:   "node",
		Usage:  "run a chainlab node",
		Flags:  nodeFlags(),
		Before: applyConfigFile,
		Action: runNode,
	}
}

// applyConfigFile sets flags from --config for every flag not given on the command line
// or in the environment. Unknown keys are errors that name the key.
func applyConfigFile(c *cli.Context) error {
	path := c.String("config")
	if path == "" {
		return nil
	}
	var m map[string]any
	md, err := toml.DecodeFile(path, &m)
	if err != nil {
		return fmt.Errorf("config %s: %w", path, err)
	}
	_ = md
	known := map[string]bool{}
	for _, f := range c.Command.Flags {
		known[f.Names()[0]] = true
	}
	for k, v := range m {
		if !known[k] || k == "config" {
			return fmt.Errorf("config %s: unknown key %q", path, k)
		}
		if c.IsSet(k) {
			continue
		}
		switch x := v.(type) {
		case []any:
			for _, e := range x {
				if err := c.Set(k, fmt.Sprint(e)); err != nil {
					return fmt.Errorf("config %s: key %q: %w", path, k, err)
				}
			}
		default:
			if err := c.Set(k, fmt.Sprint(x)); err != nil {
				return fmt.Errorf("config %s: key %q: %w", path, k, err)
			}
		}
	}
	return nil
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: %w", level, err)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	}
	return nil, fmt.Errorf("--log-format %q: want text or json", format)
}

// parseHashRate parses "200k", "1.5M", "3G" or a plain number of hashes per second.
func parseHashRate(s string) (float64, error) {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(strings.ToLower(s), "h/s"), "/s"))
	mult := 1.0
	switch {
	case strings.HasSuffix(s, "k"):
		mult, s = 1e3, strings.TrimSuffix(s, "k")
	case strings.HasSuffix(s, "m"):
		mult, s = 1e6, strings.TrimSuffix(s, "m")
	case strings.HasSuffix(s, "g"):
		mult, s = 1e9, strings.TrimSuffix(s, "g")
	}
	var v float64
	if _, err := fmt.Sscanf(s, "%g", &v); err != nil || v < 0 {
		return 0, fmt.Errorf("--hashrate %q: want a non-negative number with an optional k, M or G suffix", s)
	}
	return v * mult, nil
}

// readValidatorKey reads a hex private key file (whitespace ignored).
func readValidatorKey(path string) (*btcec.PrivateKey, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("--validator-key: %w", err)
	}
	raw, err := hex.DecodeString(strings.TrimSpace(string(b)))
	if err != nil || len(raw) != 32 {
		return nil, fmt.Errorf("--validator-key %s: want 64 hex characters of a private key", path)
	}
	k, _ := btcec.PrivKeyFromBytes(raw)
	return k, nil
}

func nodeConfigFromFlags(c *cli.Context, log *slog.Logger) (node.Config, error) {
	p, err := genesis.Load(c.String("genesis"))
	if err != nil {
		return node.Config{}, err
	}
	hr, err := parseHashRate(c.String("hashrate"))
	if err != nil {
		return node.Config{}, err
	}
	cfg := node.Config{
		DataDir:     c.String("datadir"),
		Params:      p,
		P2PListen:   c.String("p2p-listen"),
		RPCListen:   c.String("rpc-listen"),
		Peers:       c.StringSlice("peer"),
		MaxInbound:  c.Int("max-inbound"),
		Outbound:    c.Int("outbound"),
		UserAgent:   c.String("user-agent"),
		RPCUser:     c.String("rpc-user"),
		RPCPassword: c.String("rpc-password"),
		Mine:        c.Bool("mine"),
		Threads:     c.Int("threads"),
		HashRate:    hr,
		Seed:        c.Uint64("seed"),
		Adversary:   node.Adversary(c.String("adversary")),
		Logger:      log,
	}
	if a := c.String("mining-address"); a != "" {
		k, err := address.Decode(p.AddressPrefix, a)
		if err != nil {
			return cfg, fmt.Errorf("--mining-address: %w", err)
		}
		cfg.MiningAddress = k
	}
	for _, f := range c.StringSlice("validator-key") {
		k, err := readValidatorKey(f)
		if err != nil {
			return cfg, err
		}
		cfg.ValidatorKeys = append(cfg.ValidatorKeys, k)
	}
	if cfg.MiningAddress == ([32]byte{}) && len(cfg.ValidatorKeys) > 0 {
		// Proposer rewards go to the first validator key unless told otherwise.
		cfg.MiningAddress = genesis.XOnly(cfg.ValidatorKeys[0])
	}
	if cfg.Mine && cfg.MiningAddress == ([32]byte{}) {
		return cfg, fmt.Errorf("--mine needs --mining-address (an address of network %q, prefix %q)", p.Network, p.AddressPrefix)
	}
	return cfg, nil
}

func runNode(c *cli.Context) error {
	log, err := newLogger(c.App.ErrWriter, c.String("log-level"), c.String("log-format"))
	if err != nil {
		return err
	}
	cfg, err := nodeConfigFromFlags(c, log)
	if err != nil {
		return err
	}
	n, err := node.New(cfg)
	if err != nil {
		return err
	}
	if err := n.Start(); err != nil {
		_ = n.Stop()
		return err
	}
	sig := make(chan os.Signal, 2)
	signal.Notify(sig, syscall.SIGINT, syscall.SIGTERM)
	select {
	case s := <-sig:
		log.Info("signal received, shutting down (send again to force)", "signal", s.String())
		go func() {
			<-sig
			log.Error("second signal: exiting now")
			os.Exit(2)
		}()
		return n.Stop()
	case <-n.Done():
		return nil
	}
}
