package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"chainlab/genesis"
	"chainlab/rpc"
	"chainlab/wallet"
)

// Environment variables of the wallet command.
const (
	envWalletPassword = "CHAINLAB_WALLET_PASSWORD"
	envWalletDir      = "CHAINLAB_WALLET_DIR"
	envWalletName     = "CHAINLAB_WALLET"
)

func walletFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "wallet-dir", EnvVars: []string{envWalletDir}, Usage: "wallet directory (default <user config dir>/chainlab/wallets)"},
		&cli.StringFlag{Name: "wallet", Aliases: []string{"w"}, Value: "default", EnvVars: []string{envWalletName}, Usage: "wallet name"},
		&cli.StringFlag{Name: "password-file", Usage: "read the wallet password from this file (else $" + envWalletPassword + ", else a prompt)"},
		&cli.BoolFlag{Name: "json", Usage: "print JSON instead of tables"},
		&cli.StringFlag{Name: "rpc", Value: "127.0.0.1:18443", EnvVars: []string{"CHAINLAB_RPC"}, Usage: "node RPC host:port or URL (chainlab node's default)"},
		&cli.StringFlag{Name: "rpc-user", EnvVars: []string{"CHAINLAB_RPC_USER"}},
		&cli.StringFlag{Name: "rpc-password", EnvVars: []string{"CHAINLAB_RPC_PASSWORD"}},
		&cli.StringFlag{Name: "rpc-cookie", Usage: "node cookie file (default <datadir>/.cookie with --datadir)"},
		&cli.StringFlag{Name: "datadir", EnvVars: []string{"CHAINLAB_DATADIR"}, Usage: "node data directory, for its .cookie (default ~/.chainlab, as chainlab node)"},
		&cli.DurationFlag{Name: "timeout", Value: 10 * time.Minute, Usage: "timeout of the whole command"},
		&cli.IntFlag{Name: "scrypt-log-n", Value: 17, Hidden: true, Usage: "log2 of scrypt N for new wallets (tests use less)"},
	}
}

func feeFlags() []cli.Flag {
	return []cli.Flag{
		&cli.Uint64Flag{Name: "fee-rate", Usage: "fee in base units per byte (default: estimated from the node's mempool)"},
		&cli.BoolFlag{Name: "dry-run", Usage: "build and sign, print, do not broadcast"},
		&cli.BoolFlag{Name: "confirmed-only", Usage: "do not spend the change of this wallet's unconfirmed transactions"},
	}
}

func withFlags(cmds ...*cli.Command) []*cli.Command {
	for _, c := range cmds {
		c.Flags = append(c.Flags, walletFlags()...)
	}
	return cmds
}

func walletCommand() *cli.Command {
	return &cli.Command{
		Name:  "wallet",
		Usage: "keys, encrypted keystore, payments, mining and staking (a client of a node's RPC)",
		Description: "Keys never leave the wallet: it reads coins over RPC, signs locally and sends signed\n" +
			"transactions. Wallet files are <wallet-dir>/<name>.wallet (scrypt + XChaCha20-Poly1305).",
		Subcommands: withFlags(
			&cli.Command{Name: "create", Usage: "create a wallet with a new 24-word BIP-39 mnemonic", Action: walletCreate,
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "network", Value: "pow-dev", Usage: "genesis preset or file the wallet is for"},
					&cli.IntFlag{Name: "words", Value: 24, Usage: "mnemonic length (12-24)"},
				}},
			&cli.Command{Name: "import", Usage: "restore a wallet from a mnemonic, or add a private key to a wallet", Action: walletImport,
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "network", Value: "pow-dev", Usage: "genesis preset or file (new wallets)"},
					&cli.StringFlag{Name: "mnemonic-file", Usage: "read the mnemonic from this file ('-' = stdin); default: prompt"},
					&cli.StringFlag{Name: "key-file", Usage: "add the hex private key in this file to the wallet"},
					&cli.StringFlag{Name: "dev-key", Usage: "add a public development key, role/index (e.g. alloc/0, owner/1)"},
					&cli.IntFlag{Name: "addresses", Value: 1, Usage: "receive addresses to derive when restoring"},
					&cli.BoolFlag{Name: "rescan", Value: true, Usage: "ask the node which addresses hold coins (gap limit 20)"},
				}},
			&cli.Command{Name: "rescan", Usage: "find the coins of a restored wallet on the node (derives used addresses)", Action: walletRescan,
				Flags: []cli.Flag{&cli.IntFlag{Name: "gap", Value: wallet.DefaultGap, Usage: "consecutive unused addresses that end a branch"}}},
			&cli.Command{Name: "export", Usage: "print the wallet's secrets (mnemonic, imported and validator keys)", Action: walletExport},
			&cli.Command{Name: "list", Usage: "list the wallets in the wallet directory", Action: walletList},
			&cli.Command{Name: "address", Usage: "show the wallet's addresses", Action: walletAddress,
				Flags: []cli.Flag{&cli.BoolFlag{Name: "new", Usage: "derive a new receive address"}}},
			&cli.Command{Name: "balance", Usage: "confirmed, unconfirmed, immature, staked and unbonding coins", Action: walletBalance},
			&cli.Command{Name: "send", Usage: "pay an amount of coins to an address", ArgsUsage: "<address> <amount>", Action: walletSend, Flags: feeFlags()},
			&cli.Command{Name: "history", Usage: "transactions sent and coins received", Action: walletHistory},
			&cli.Command{Name: "rebroadcast", Usage: "send this wallet's transactions missing from the node's mempool again", Action: walletRebroadcast},
			&cli.Command{Name: "mine", Usage: "mine to this wallet (PoW node)", Action: walletMine,
				Flags: []cli.Flag{
					&cli.IntFlag{Name: "blocks", Usage: "mine N blocks now (generatetoaddress)"},
					&cli.BoolFlag{Name: "start", Usage: "start the node's miner"},
					&cli.BoolFlag{Name: "stop", Usage: "stop the node's miner"},
					&cli.IntFlag{Name: "threads", Value: 1, Usage: "miner threads (--start)"},
					&cli.Float64Flag{Name: "hashrate", Usage: "throttle the miner to this many hashes/s (0 = unthrottled)"},
				}},
			&cli.Command{Name: "stake", Usage: "bond coins to a new validator key", ArgsUsage: "<amount>", Action: walletStake,
				Flags: append(feeFlags(),
					&cli.StringFlag{Name: "key-file", Usage: "write the validator private key here (default <wallet-dir>/<wallet>-validator-<i>.key)"},
					&cli.BoolFlag{Name: "register", Usage: "also give the validator key to the node over RPC (registervalidator)"},
				)},
			&cli.Command{Name: "unstake", Usage: "start unbonding a validator's stake", Action: walletUnstake,
				Flags: append(feeFlags(), &cli.StringFlag{Name: "validator", Usage: "validator key (hex) when the wallet has several"})},
			&cli.Command{Name: "withdraw", Usage: "spend released unbonding outputs back to the wallet", Action: walletWithdraw, Flags: feeFlags()},
			&cli.Command{Name: "validator", Usage: "status, duties, rewards and slashing of the wallet's validators", Action: walletValidator},
		),
	}
}

// ---- plumbing ----

func openStore(c *cli.Context) (*wallet.Store, error) {
	dir := c.String("wallet-dir")
	if dir == "" {
		base, err := os.UserConfigDir()
		if err != nil {
			return nil, fmt.Errorf("no --wallet-dir and no user config dir: %w", err)
		}
		dir = filepath.Join(base, "chainlab", "wallets")
	}
	logN := c.Int("scrypt-log-n")
	if logN < 10 || logN > 22 {
		return nil, fmt.Errorf("--scrypt-log-n %d out of range 10..22", logN)
	}
	return wallet.NewStore(wallet.StoreConfig{Dir: dir, Scrypt: wallet.ScryptParams{N: 1 << logN, R: 8, P: 1}})
}

// password returns the wallet password from --password-file, $CHAINLAB_WALLET_PASSWORD or
// a no-echo terminal prompt (twice when confirm is set).
func password(c *cli.Context, confirm bool) ([]byte, error) {
	if f := c.String("password-file"); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		return []byte(strings.TrimRight(string(b), "\r\n")), nil
	}
	if p, ok := os.LookupEnv(envWalletPassword); ok {
		return []byte(p), nil
	}
	fd := int(os.Stdin.Fd())
	if !term.IsTerminal(fd) {
		return nil, fmt.Errorf("no password: use --password-file, $%s, or run on a terminal", envWalletPassword)
	}
	fmt.Fprintf(os.Stderr, "Password for wallet %q: ", c.String("wallet"))
	p, err := term.ReadPassword(fd)
	fmt.Fprintln(os.Stderr)
	if err != nil {
		return nil, err
	}
	if confirm {
		fmt.Fprint(os.Stderr, "Repeat password: ")
		q, err := term.ReadPassword(fd)
		fmt.Fprintln(os.Stderr)
		if err != nil {
			return nil, err
		}
		if string(p) != string(q) {
			return nil, errors.New("passwords differ")
		}
	}
	return p, nil
}

func openWallet(c *cli.Context) (*wallet.Store, *wallet.Wallet, error) {
	s, err := openStore(c)
	if err != nil {
		return nil, nil, err
	}
	pw, err := password(c, false)
	if err != nil {
		return nil, nil, err
	}
	w, err := s.Open(c.String("wallet"), pw)
	if errors.Is(err, wallet.ErrWrongPassword) {
		return nil, nil, fmt.Errorf("wallet %q: wrong password (the file is unchanged)", c.String("wallet"))
	}
	return s, w, err
}

func readPublic(c *cli.Context) (*wallet.Store, *wallet.Public, error) {
	s, err := openStore(c)
	if err != nil {
		return nil, nil, err
	}
	p, err := s.ReadPublic(c.String("wallet"))
	return s, p, err
}

type walletSession struct {
	client *wallet.Client
	node   *wallet.RPCNode
	rpc    *rpc.Client
	ctx    context.Context
	cancel context.CancelFunc
}

func (s *walletSession) Close() { s.cancel(); s.rpc.Close() }

func connect(c *cli.Context, store *wallet.Store) (*walletSession, error) {
	rc, err := rpc.NewClient(c.String("rpc"), rpcAuthOptions(c)...)
	if err != nil {
		return nil, err
	}
	n := wallet.NewRPCNode(rc)
	wc, err := wallet.New(wallet.Config{Node: n, Store: store, Miner: n, Staking: n})
	if err != nil {
		rc.Close()
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.Duration("timeout"))
	return &walletSession{client: wc, node: n, rpc: rc, ctx: ctx, cancel: cancel}, nil
}

func out(c *cli.Context) io.Writer {
	if c.App.Writer != nil {
		return c.App.Writer
	}
	return os.Stdout
}

func printJSON(c *cli.Context, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(out(c), "%s\n", b)
	return err
}

func table(c *cli.Context, header string, rows [][]string) error {
	tw := tabwriter.NewWriter(out(c), 2, 4, 2, ' ', 0)
	if header != "" {
		fmt.Fprintln(tw, header)
	}
	for _, r := range rows {
		fmt.Fprintln(tw, strings.Join(r, "\t"))
	}
	return tw.Flush()
}

func networkParams(c *cli.Context) (*genesis.Params, error) {
	return genesis.Load(c.String("network"))
}

// ---- commands ----

func walletCreate(c *cli.Context) error {
	s, err := openStore(c)
	if err != nil {
		return err
	}
	p, err := networkParams(c)
	if err != nil {
		return err
	}
	m, err := wallet.NewMnemonic(c.Int("words"))
	if err != nil {
		return err
	}
	pw, err := password(c, true)
	if err != nil {
		return err
	}
	w, err := s.Create(pw, wallet.CreateOptions{Name: c.String("wallet"), Network: p.Network, Prefix: p.AddressPrefix, Mnemonic: m})
	if err != nil {
		return err
	}
	pub := w.Public()
	if c.Bool("json") {
		return printJSON(c, map[string]any{"wallet": pub.Name, "file": s.Path(pub.Name), "network": pub.Network,
			"address": pub.Addresses[0].Address, "mnemonic": w.Mnemonic()})
	}
	fmt.Fprintf(out(c), "Created wallet %q for %s in %s\nAddress: %s\n\n", pub.Name, pub.Network, s.Path(pub.Name), pub.Addresses[0].Address)
	fmt.Fprintf(out(c), "Recovery phrase (write it down; anyone who has it owns the coins):\n  %s\n", w.Mnemonic())
	return nil
}

func walletImport(c *cli.Context) error {
	s, err := openStore(c)
	if err != nil {
		return err
	}
	name := c.String("wallet")
	if c.String("key-file") != "" || c.String("dev-key") != "" {
		return importKey(c, s, name)
	}
	p, err := networkParams(c)
	if err != nil {
		return err
	}
	m, err := readMnemonic(c)
	if err != nil {
		return err
	}
	pw, err := password(c, true)
	if err != nil {
		return err
	}
	w, err := s.Create(pw, wallet.CreateOptions{Name: name, Network: p.Network, Prefix: p.AddressPrefix, Mnemonic: m})
	if err != nil {
		return err
	}
	for i := 1; i < c.Int("addresses"); i++ {
		if _, err := w.NewAddress(wallet.BranchReceive); err != nil {
			return err
		}
	}
	if c.Bool("rescan") {
		if err := rescan(c, s, w, wallet.DefaultGap); err != nil {
			fmt.Fprintf(c.App.ErrWriter, "warning: no rescan (%v); run `chainlab wallet rescan` once the node is up\n", err)
		}
	}
	if err := s.Save(w); err != nil {
		return err
	}
	pub := w.Public()
	if c.Bool("json") {
		return printJSON(c, map[string]any{"wallet": name, "file": s.Path(name), "addresses": pub.Addresses})
	}
	fmt.Fprintf(out(c), "Restored wallet %q (%d addresses) in %s\n", name, len(pub.Addresses), s.Path(name))
	return nil
}

func rescan(c *cli.Context, s *wallet.Store, w *wallet.Wallet, gap int) error {
	sess, err := connect(c, s)
	if err != nil {
		return err
	}
	defer sess.Close()
	res, err := sess.client.Rescan(sess.ctx, w, gap)
	if err != nil {
		return err
	}
	if !c.Bool("json") {
		fmt.Fprintf(out(c), "Rescan: %d receive and %d change addresses in use (%d added), %d validator keys recovered\n",
			res.Receive, res.Change, res.Added, res.Validators)
	}
	return nil
}

func walletRescan(c *cli.Context) error {
	s, w, err := openWallet(c)
	if err != nil {
		return err
	}
	if err := rescan(c, s, w, c.Int("gap")); err != nil {
		return err
	}
	return s.Save(w)
}

func readMnemonic(c *cli.Context) (string, error) {
	f := c.String("mnemonic-file")
	switch {
	case f == "-":
		b, err := io.ReadAll(io.LimitReader(os.Stdin, 4096))
		return string(b), err
	case f != "":
		b, err := os.ReadFile(f)
		return string(b), err
	case term.IsTerminal(int(os.Stdin.Fd())):
		fmt.Fprint(os.Stderr, "Mnemonic: ")
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		return line, err
	}
	return "", errors.New("no mnemonic: use --mnemonic-file or run on a terminal")
}

func importKey(c *cli.Context, s *wallet.Store, name string) error {
	var (
		hexKey, label string
	)
	if f := c.String("key-file"); f != "" {
		b, err := os.ReadFile(f)
		if err != nil {
			return err
		}
		hexKey, label = string(b), "imported from "+filepath.Base(f)
	} else {
		role, idx, ok := strings.Cut(c.String("dev-key"), "/")
		var i int
		if _, err := fmt.Sscanf(idx, "%d", &i); !ok || err != nil || i < 0 {
			return fmt.Errorf("--dev-key %q: want role/index, e.g. alloc/0", c.String("dev-key"))
		}
		hexKey, label = wallet.PrivateKeyHex(genesis.DevKey(role, i)), "dev "+c.String("dev-key")
	}
	k, err := wallet.ParsePrivateKey(hexKey)
	if err != nil {
		return err
	}
	_, w, err := openWallet(c)
	if err != nil {
		if errors.Is(err, wallet.ErrNotFound) {
			return fmt.Errorf("%w: create wallet %q first (wallet create), then import keys into it", err, name)
		}
		return err
	}
	a, err := w.ImportKey(k, label)
	if err != nil {
		return err
	}
	if err := s.Save(w); err != nil {
		return err
	}
	if c.Bool("json") {
		return printJSON(c, a)
	}
	fmt.Fprintf(out(c), "Imported %s into wallet %q\n", a.Address, name)
	return nil
}

func walletExport(c *cli.Context) error {
	_, w, err := openWallet(c)
	if err != nil {
		return err
	}
	type vkey struct {
		Key, Path, Secret string
	}
	var vals []vkey
	for _, v := range w.Public().Validators {
		k, _ := w.ValidatorKey(v.Key)
		vals = append(vals, vkey{v.Key.String(), v.Path, wallet.PrivateKeyHex(k)})
	}
	if c.Bool("json") {
		return printJSON(c, map[string]any{"wallet": w.Name(), "mnemonic": w.Mnemonic(), "imported_keys": w.ImportedKeys(), "validator_keys": vals})
	}
	o := out(c)
	fmt.Fprintf(o, "Secrets of wallet %q: anyone who sees them owns its coins.\n", w.Name())
	fmt.Fprintf(o, "Mnemonic (BIP-39, no passphrase; keys at m/86'/1'/0'/{0,1}/i, validators m/86'/1'/1'/i'):\n  %s\n", w.Mnemonic())
	for _, k := range w.ImportedKeys() {
		fmt.Fprintf(o, "Imported key: %s\n", k)
	}
	for _, v := range vals {
		fmt.Fprintf(o, "Validator %s (%s): %s\n", v.Key, v.Path, v.Secret)
	}
	return nil
}

func walletList(c *cli.Context) error {
	s, err := openStore(c)
	if err != nil {
		return err
	}
	names, err := s.List()
	if err != nil {
		return err
	}
	type entry struct {
		Name       string `json:"name"`
		Network    string `json:"network"`
		Addresses  int    `json:"addresses"`
		Validators int    `json:"validators"`
		Error      string `json:"error,omitempty"`
	}
	var list []entry
	var rows [][]string
	for _, n := range names {
		e := entry{Name: n}
		if p, err := s.ReadPublic(n); err != nil {
			e.Error = err.Error()
		} else {
			e.Network, e.Addresses, e.Validators = p.Network, len(p.Addresses), len(p.Validators)
		}
		list = append(list, e)
		rows = append(rows, []string{e.Name, e.Network, fmt.Sprint(e.Addresses), fmt.Sprint(e.Validators), e.Error})
	}
	if c.Bool("json") {
		if list == nil {
			list = []entry{}
		}
		return printJSON(c, list)
	}
	fmt.Fprintf(out(c), "Wallets in %s\n", s.Dir())
	return table(c, "NAME\tNETWORK\tADDRESSES\tVALIDATORS\t", rows)
}

func walletAddress(c *cli.Context) error {
	if c.Bool("new") {
		s, w, err := openWallet(c)
		if err != nil {
			return err
		}
		a, err := w.NewAddress(wallet.BranchReceive)
		if err != nil {
			return err
		}
		if err := s.Save(w); err != nil {
			return err
		}
		if c.Bool("json") {
			return printJSON(c, a)
		}
		fmt.Fprintln(out(c), a.Address)
		return nil
	}
	_, pub, err := readPublic(c)
	if err != nil {
		return err
	}
	if c.Bool("json") {
		return printJSON(c, pub.Addresses)
	}
	var rows [][]string
	for _, a := range pub.Addresses {
		rows = append(rows, []string{a.Address, a.Branch, a.Path, a.Label})
	}
	return table(c, "ADDRESS\tBRANCH\tPATH\tLABEL", rows)
}
