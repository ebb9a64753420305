package wallet

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"sort"
	"time"

	"chainlab/chain"
)

// Operation errors.
var (
	ErrWrongNetwork = errors.New("wallet: node is on another network")
	ErrNoStaking    = errors.New("wallet: the node does not run proof of stake")
	ErrNoMiner      = errors.New("wallet: the node offers no miner control")
	ErrNoValidator  = errors.New("wallet: no such validator in this wallet")
)

// maxMempoolScan bounds how many mempool transactions the wallet fetches to find its
// unconfirmed coins; beyond it the unconfirmed balance is incomplete (never wrong about
// confirmed coins: a conflicting spend is then refused by the node).
const maxMempoolScan = 5000

// Config configures a Client.
type Config struct {
	Node    Node         // required
	Store   *Store       // required for operations that change the wallet
	Miner   Miner        // optional: wallet mine
	Staking Staking      // optional: validator status, registration
	Logger  *slog.Logger // optional
	Now     func() time.Time
}

// Client runs wallet operations against a node.
type Client struct {
	cfg Config
	log *slog.Logger
}

// New checks cfg and returns a Client.
func New(cfg Config) (*Client, error) {
	if cfg.Node == nil {
		return nil, errors.New("wallet: Config.Node is required")
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &Client{cfg: cfg, log: log}, nil
}

// State is a snapshot plus the parameters and tip it was taken at.
type State struct {
	Params NodeParams
	Tip    Tip
	Snap   *Snapshot
	View   *CoinView
}

// Balance returns the balance by category.
func (s *State) Balance() Balance { return s.View.Balance(s.Snap.Epoch) }

// watchAddresses lists every address whose coins belong to the wallet: its spending
// addresses and (for proposer rewards paid to a validator key) its validator keys.
func watchAddresses(pub *Public) (addrs []string, keys map[[32]byte]bool, err error) {
	keys = map[[32]byte]bool{}
	for _, a := range pub.Addresses {
		if !keys[a.Key] {
			addrs = append(addrs, a.Address)
			keys[a.Key] = true
		}
	}
	for _, v := range pub.Validators {
		if !keys[v.Key] {
			s, err := EncodeAddress(pub.Prefix, v.Key)
			if err != nil {
				return nil, nil, err
			}
			addrs = append(addrs, s)
			keys[v.Key] = true
		}
	}
	return addrs, keys, nil
}

// Sync reads the wallet's coins from the node.
func (c *Client) Sync(ctx context.Context, pub *Public) (*State, error) {
	n := c.cfg.Node
	p, err := n.Params(ctx)
	if err != nil {
		return nil, fmt.Errorf("node params: %w", err)
	}
	if p.Network != pub.Network {
		return nil, fmt.Errorf("%w: wallet %q is for %q, node runs %q", ErrWrongNetwork, pub.Name, pub.Network, p.Network)
	}
	tip, err := n.Tip(ctx)
	if err != nil {
		return nil, fmt.Errorf("node tip: %w", err)
	}
	addrs, keys, err := watchAddresses(pub)
	if err != nil {
		return nil, err
	}
	utxos, err := n.ListUnspent(ctx, addrs)
	if err != nil {
		return nil, fmt.Errorf("listunspent: %w", err)
	}
	pool, err := n.Mempool(ctx)
	if err != nil {
		return nil, fmt.Errorf("mempool: %w", err)
	}
	snap := &Snapshot{Height: tip.Height, Epoch: tip.Epoch(p), Maturity: p.CoinbaseMaturity, Confirmed: utxos, Mempool: pool}
	view := snap.View(func(k [32]byte) bool { return keys[k] })
	return &State{Params: p, Tip: tip, Snap: snap, View: view}, nil
}

// feeRate returns the requested rate, or the node-based estimate when rate is 0.
func (c *Client) feeRate(ctx context.Context, rate uint64) (uint64, error) {
	fi, err := c.cfg.Node.FeeInfo(ctx)
	if err != nil {
		return 0, fmt.Errorf("fee info: %w", err)
	}
	if rate == 0 {
		return EstimateFeeRate(fi), nil
	}
	if rate < fi.MinRate {
		return 0, fmt.Errorf("wallet: fee rate %d is below the node's relay floor %d units/byte", rate, fi.MinRate)
	}
	return rate, nil
}

// TxResult is a transaction the wallet built, signed and broadcast.
type TxResult struct {
	TxID    chain.Hash `json:"txid"`
	Kind    string     `json:"kind"`
	Amount  uint64     `json:"amount"`
	Fee     uint64     `json:"fee"`
	FeeRate uint64     `json:"fee_rate"`
	Size    int        `json:"size"`
	To      string     `json:"to,omitempty"`
	Change  uint64     `json:"change"`
	Inputs  int        `json:"inputs"`
	Tx      *chain.Tx  `json:"-"`
}

// SendOptions tune Send, Stake, Unstake and Withdraw.
type SendOptions struct {
	FeeRate uint64 // base units per byte; 0 = estimate from the node's mempool
	DryRun  bool   // build and sign but do not broadcast or save
	// ConfirmedOnly refuses to spend the change of the wallet's own unconfirmed transactions
	// (spent by default, as Bitcoin Core's spendzeroconfchange: the mempool accepts chained
	// transactions, and only the wallet's own change is trusted, never unconfirmed payments
	// from others).
	ConfirmedOnly bool
}

// coins returns the coins a transaction may select: the spendable confirmed coins and, unless
// o.ConfirmedOnly, the unconfirmed outputs of transactions this wallet journaled.
func coins(st *State, pub *Public, o SendOptions) []UTXO {
	out := append([]UTXO(nil), st.View.Spendable...)
	if o.ConfirmedOnly {
		return out
	}
	mine := make(map[string]bool, len(pub.Journal))
	for _, j := range pub.Journal {
		mine[j.TxID] = true
	}
	for _, u := range st.View.Unconfirmed {
		if mine[u.OutPoint.TxID.String()] {
			out = append(out, u)
		}
	}
	return out
}

// Send pays amount to the address to.
func (c *Client) Send(ctx context.Context, w *Wallet, to string, amount uint64, o SendOptions) (*TxResult, error) {
	key, err := DecodeAddress(w.pub.Prefix, to)
	if err != nil {
		return nil, err
	}
	return c.buildAndSend(ctx, w, w.Public(), "send", to, o, func(st *State, rate uint64, change chain.Lock) (TxRequest, error) {
		return TxRequest{Outputs: []chain.TxOut{{Value: amount, Lock: chain.PayTo(key)}}, Coins: coins(st, &w.pub, o),
			FeeRate: rate, Change: change, Available: st.View}, nil
	})
}

type requestFunc func(st *State, rate uint64, change chain.Lock) (TxRequest, error)

// buildAndSend is the common path: sync, derive a change key, build, sign, run prepare (if
// any), save the wallet (so the change key is on disk before any coin is sent to it),
// broadcast, journal.
//
// Keys derived for the operation (change, owner, validator) are forgotten again if it fails
// before the wallet is saved (saved is the public record from before the operation), so a
// failed attempt leaves no trace; derivation is deterministic, so the next attempt derives
// the same keys.
func (c *Client) buildAndSend(ctx context.Context, w *Wallet, saved Public, kind, to string, o SendOptions, mk requestFunc, prepare ...func() error) (res *TxResult, err error) {
	committed := false
	defer func() {
		if err != nil && !committed {
			w.pub = saved
		}
	}()
	st, err := c.Sync(ctx, &w.pub)
	if err != nil {
		return nil, err
	}
	rate, err := c.feeRate(ctx, o.FeeRate)
	if err != nil {
		return nil, err
	}
	var change chain.Lock
	if w.kc != nil {
		a, err := w.NewAddress(BranchChange)
		if err != nil {
			return nil, err
		}
		change = chain.PayTo(a.Key)
	} else {
		change = chain.PayTo(w.pub.Addresses[0].Key)
	}
	req, err := mk(st, rate, change)
	if err != nil {
		return nil, err
	}
	b, err := BuildTx(req)
	if err != nil {
		return nil, err
	}
	if err := w.Sign(b); err != nil {
		return nil, err
	}
	res = &TxResult{TxID: b.Tx.TxID(), Kind: kind, Fee: b.Fee, FeeRate: rate, Size: b.Tx.SerializeSize(), To: to, Inputs: len(b.Tx.Inputs), Tx: b.Tx}
	for i, out := range b.Tx.Outputs {
		if i == b.Change {
			res.Change = out.Value
		} else {
			res.Amount += out.Value
		}
	}
	if o.DryRun {
		w.pub = saved
		return res, nil
	}
	if c.cfg.Store == nil {
		return nil, errors.New("wallet: Config.Store is required to send")
	}
	for _, f := range prepare {
		if err := f(); err != nil {
			return nil, err
		}
	}
	if err := c.cfg.Store.Save(w); err != nil {
		return nil, fmt.Errorf("saving the change key before sending: %w", err)
	}
	committed = true
	txid, err := c.cfg.Node.SendRawTransaction(ctx, b.Tx)
	if err != nil {
		return nil, fmt.Errorf("node refused %s transaction %s: %w", kind, res.TxID, err)
	}
	if txid != res.TxID {
		return nil, fmt.Errorf("node returned txid %s for %s", txid, res.TxID)
	}
	c.log.Info("broadcast", "kind", kind, "txid", txid, "amount", res.Amount, "fee", res.Fee)
	w.Record(JournalEntry{TxID: txid.String(), Time: c.cfg.Now().UTC().Truncate(time.Second), Kind: kind, To: to,
		Amount: res.Amount, Fee: res.Fee, Raw: b.Tx.Bytes()})
	if err := c.cfg.Store.Save(w); err != nil {
		return res, fmt.Errorf("transaction %s sent, but the journal was not saved: %w", txid, err)
	}
	return res, nil
}

// StakeResult is the outcome of Stake.
type StakeResult struct {
	TxResult
	Validator Key32  `json:"validator"`
	Owner     string `json:"owner"`
	KeyFile   string `json:"key_file,omitempty"`
	// Registered is true when the node accepted the validator key over RPC.
	Registered bool `json:"registered"`
}

// StakeOptions tune Stake.
type StakeOptions struct {
	SendOptions
	KeyFile  string // write the validator secret here (hex, 0600); "" = <wallet dir>/<wallet>-validator-<i>.key
	Register bool   // also hand the key to the node over RPC (registervalidator)
}

// Stake bonds amount to a new validator key derived from the wallet's seed, owned by a new
// receive key of the wallet. The validator's secret is written to a 0600 file (hex) for
// `chainlab node --validator-key <file>`, and optionally registered with the node.
func (c *Client) Stake(ctx context.Context, w *Wallet, amount uint64, o StakeOptions) (*StakeResult, error) {
	p, err := c.cfg.Node.Params(ctx)
	if err != nil {
		return nil, err
	}
	if p.Engine != "pos" {
		return nil, fmt.Errorf("%w (engine %q)", ErrNoStaking, p.Engine)
	}
	if amount < p.MinStake {
		return nil, fmt.Errorf("wallet: stake %s is below the minimum %s", FormatAmount(amount), FormatAmount(p.MinStake))
	}
	saved := w.Public()
	v, vk, err := w.NewValidatorKey(c.cfg.Now())
	if err != nil {
		return nil, err
	}
	owner, err := w.NewAddress(BranchReceive)
	if err != nil {
		w.pub = saved
		return nil, err
	}
	keyFile := o.KeyFile
	if keyFile == "" && c.cfg.Store != nil {
		keyFile = filepath.Join(c.cfg.Store.Dir(), fmt.Sprintf("%s-validator-%d.key", w.pub.Name, v.Index))
	}
	// The key file is written once the transaction is built and signed, before the wallet is
	// saved and the stake broadcast: a stake never exists without its key on disk.
	writeKey := func() error {
		if keyFile == "" {
			return nil
		}
		if err := WriteValidatorKey(keyFile, vk.Serialize()); err != nil {
			return err
		}
		w.SetValidatorKeyFile(v.Key, keyFile)
		return nil
	}
	lock := chain.Lock{Kind: chain.LockStake, Key: v.Key, Owner: owner.Key}
	res, err := c.buildAndSend(ctx, w, saved, "stake", owner.Address, o.SendOptions, func(st *State, rate uint64, change chain.Lock) (TxRequest, error) {
		return TxRequest{Outputs: []chain.TxOut{{Value: amount, Lock: lock}}, Coins: coins(st, &w.pub, o.SendOptions), FeeRate: rate, Change: change, Available: st.View}, nil
	}, writeKey)
	if err != nil {
		return nil, err
	}
	out := &StakeResult{TxResult: *res, Validator: v.Key, Owner: owner.Address, KeyFile: keyFile}
	if o.Register && !o.DryRun {
		if c.cfg.Staking == nil {
			return out, fmt.Errorf("stake sent, but %w: cannot register the validator key", ErrNoStaking)
		}
		got, err := c.cfg.Staking.RegisterValidator(ctx, vk.Serialize())
		if err != nil {
			return out, fmt.Errorf("stake sent, but registering the validator key failed: %w", err)
		}
		if got != v.Key {
			return out, fmt.Errorf("node registered key %s, want %s", got, v.Key)
		}
		out.Registered = true
	}
	return out, nil
}

// WriteValidatorKey writes a validator secret key as 64 hex characters and a newline to a
// new 0600 file. It never replaces a file holding another key (ErrExists); a file already
// holding this key is left as it is. This is the format `chainlab node --validator-key` reads.
func WriteValidatorKey(path string, secret []byte) error {
	if len(secret) != 32 {
		return fmt.Errorf("%w: validator key is %d bytes", ErrKey, len(secret))
	}
	if old, err := ReadValidatorKey(path); err == nil && string(old) == string(secret) {
		return nil
	}
	data := []byte(hex.EncodeToString(secret) + "\n")
	if err := writeFileAtomic(path, data, true, nil); err != nil {
		return fmt.Errorf("validator key file: %w", err)
	}
	return nil
}

// ReadValidatorKey reads a file written by WriteValidatorKey.
func ReadValidatorKey(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	k, err := ParsePrivateKey(string(b))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return k.Serialize(), nil
}

// validatorBalances returns the node's validators by key (nil map without staking).
func (c *Client) validatorBalances(ctx context.Context) (map[Key32]ValidatorStatus, error) {
	if c.cfg.Staking == nil {
		return nil, ErrNoStaking
	}
	p, err := c.cfg.Node.Params(ctx)
	if err != nil {
		return nil, err
	}
	if p.Engine != "pos" {
		return nil, fmt.Errorf("%w (engine %q)", ErrNoStaking, p.Engine)
	}
	vs, err := c.cfg.Staking.Validators(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[Key32]ValidatorStatus, len(vs))
	for _, v := range vs {
		m[v.Key] = v
	}
	return m, nil
}

// Unstake spends the stake output of validator (nil: the wallet's only staked validator)
// into an unbonding output of the validator's current balance, released UnbondingEpochs + 1
// epochs after the tip's epoch (the staking rules accept E+U or E+U+1 for the parent's epoch E;
// +1 keeps the transaction valid if it is mined after an epoch boundary). The fee comes from
// the wallet's spendable coins.
func (c *Client) Unstake(ctx context.Context, w *Wallet, validator *Key32, o SendOptions) (*TxResult, error) {
	vals, err := c.validatorBalances(ctx)
	if err != nil {
		return nil, err
	}
	return c.buildAndSend(ctx, w, w.Public(), "unstake", "", o, func(st *State, rate uint64, change chain.Lock) (TxRequest, error) {
		var pick []UTXO
		for _, u := range st.View.Staked {
			if u.Confirmations > 0 && (validator == nil || Key32(u.Lock.Key) == *validator) {
				pick = append(pick, u)
			}
		}
		switch {
		case len(pick) == 0:
			return TxRequest{}, fmt.Errorf("%w: no confirmed stake output to unstake", ErrNothingToDo)
		case len(pick) > 1:
			return TxRequest{}, fmt.Errorf("wallet: %d validators are staked; choose one with --validator", len(pick))
		}
		u := pick[0]
		bal := u.Value
		if v, ok := vals[Key32(u.Lock.Key)]; ok {
			bal = v.Balance
		}
		release := st.Snap.Epoch + st.Params.UnbondingEpochs + 1
		out := chain.TxOut{Value: bal, Lock: chain.Lock{Kind: chain.LockUnbonding, Key: u.Lock.Key, Owner: u.Lock.Owner, Release: release}}
		return TxRequest{Outputs: []chain.TxOut{out}, Fixed: []Input{{UTXO: u, Effective: bal}}, Coins: coins(st, &w.pub, o),
			FeeRate: rate, Change: change, Available: st.View}, nil
	})
}

// Withdraw spends every released unbonding output (release epoch reached and the validator
// exited) to a new receive address, paying the fee out of the withdrawn coins.
func (c *Client) Withdraw(ctx context.Context, w *Wallet, o SendOptions) (*TxResult, error) {
	vals, err := c.validatorBalances(ctx)
	if err != nil && !errors.Is(err, ErrNoStaking) {
		return nil, err
	}
	saved := w.Public()
	var dest AddressInfo
	if w.kc != nil {
		if dest, err = w.NewAddress(BranchReceive); err != nil {
			return nil, err
		}
	} else {
		dest = w.pub.Addresses[0]
	}
	return c.buildAndSend(ctx, w, saved, "withdraw", dest.Address, o, func(st *State, rate uint64, _ chain.Lock) (TxRequest, error) {
		var in []Input
		var waiting []string
		for _, u := range st.View.Unbonding {
			if u.Confirmations == 0 {
				continue
			}
			eff := u.Value
			v, known := vals[Key32(u.Lock.Key)]
			if known {
				eff = v.Balance
			}
			exit := uint64(0)
			if known && v.Exit != 0 {
				exit = v.Exit
			}
			if st.Snap.Epoch < u.Lock.Release || st.Snap.Epoch < exit {
				waiting = append(waiting, fmt.Sprintf("%s until epoch %d", FormatAmount(u.Value), max(u.Lock.Release, exit)))
				continue
			}
			in = append(in, Input{UTXO: u, Effective: eff})
		}
		if len(in) == 0 {
			if len(waiting) > 0 {
				return TxRequest{}, fmt.Errorf("%w: unbonding not yet released (epoch %d): %v", ErrNothingToDo, st.Snap.Epoch, waiting)
			}
			return TxRequest{}, fmt.Errorf("%w: no unbonding outputs", ErrNothingToDo)
		}
		to := chain.PayTo(dest.Key)
		return TxRequest{Fixed: in, FeeRate: rate, SweepTo: &to}, nil
	})
}

// Mine asks the node to mine n blocks paying the wallet's first receive address.
func (c *Client) Mine(ctx context.Context, pub *Public, n int) ([]chain.Hash, error) {
	if c.cfg.Miner == nil {
		return nil, ErrNoMiner
	}
	if len(pub.Addresses) == 0 {
		return nil, errors.New("wallet: no address")
	}
	return c.cfg.Miner.GenerateToAddress(ctx, n, pub.Addresses[0].Address)
}

// ValidatorReport joins a wallet validator with the node's view of it.
type ValidatorReport struct {
	Key        Key32  `json:"key"`
	Path       string `json:"path"`
	KeyFile    string `json:"key_file,omitempty"`
	Known      bool   `json:"known"` // the node's state has it (its stake is confirmed)
	Status     string `json:"status"`
	Bonded     uint64 `json:"bonded"`  // value of its stake output
	Balance    uint64 `json:"balance"` // bonded + rewards - penalties
	Rewards    int64  `json:"rewards"` // Balance - Bonded
	Active     bool   `json:"active"`
	Activation uint64 `json:"activation_epoch"`
	Exit       uint64 `json:"exit_epoch,omitempty"`
	Slashed    bool   `json:"slashed"`
	Local      bool   `json:"local"` // the node holds its signing key (it proposes and votes)
}

// Validators reports the wallet's validators.
func (c *Client) Validators(ctx context.Context, st *State, pub *Public) ([]ValidatorReport, error) {
	vals, err := c.validatorBalances(ctx)
	if err != nil {
		return nil, err
	}
	bonded := map[Key32]uint64{}
	for _, u := range append(append([]UTXO(nil), st.View.Staked...), st.View.Unbonding...) {
		if u.Lock.Kind == chain.LockStake {
			bonded[Key32(u.Lock.Key)] = u.Value
		}
	}
	var out []ValidatorReport
	for _, v := range pub.Validators {
		r := ValidatorReport{Key: v.Key, Path: v.Path, KeyFile: v.KeyFile, Bonded: bonded[v.Key], Status: "pending"}
		if nv, ok := vals[v.Key]; ok {
			r.Known, r.Balance, r.Active, r.Activation, r.Slashed, r.Local = true, nv.Balance, nv.Active, nv.Activation, nv.Slashed, nv.Local
			if nv.Exit != 0 && nv.Exit != ^uint64(0) {
				r.Exit = nv.Exit
			}
			if r.Bonded > 0 {
				r.Rewards = int64(r.Balance) - int64(r.Bonded)
			}
			switch {
			case nv.Slashed:
				r.Status = "slashed"
			case nv.Active:
				r.Status = "active"
			case r.Exit != 0 && st.Snap.Epoch >= r.Exit:
				r.Status = "exited"
			case r.Exit != 0:
				r.Status = "exiting"
			default:
				r.Status = "activating"
			}
		}
		out = append(out, r)
	}
	return out, nil
}

// HistoryEntry is one line of wallet history.
type HistoryEntry struct {
	Time    time.Time  `json:"time,omitzero"`
	Height  uint64     `json:"height,omitempty"`
	Kind    string     `json:"kind"` // receive, coinbase, send, stake, unstake, withdraw, stake-output, unbonding
	TxID    chain.Hash `json:"txid"`
	Amount  uint64     `json:"amount"`
	Fee     uint64     `json:"fee,omitempty"`
	Address string     `json:"address,omitempty"`
	Status  string     `json:"status"` // confirmed, unconfirmed, immature
}

// History lists the transactions the wallet sent (its journal) and the coins it holds
// (received outputs still unspent, confirmed or in the mempool), newest first. The node keeps
// no per-address history of spent outputs, so received coins that were later spent show
// only through the journal entry of the transaction that spent them.
func (c *Client) History(st *State, pub *Public) []HistoryEntry {
	var out []HistoryEntry
	sent := map[string]bool{}
	for _, j := range pub.Journal {
		id, _ := chain.ParseHash(j.TxID)
		sent[j.TxID] = true
		out = append(out, HistoryEntry{Time: j.Time, Kind: j.Kind, TxID: id, Amount: j.Amount, Fee: j.Fee, Address: j.To, Status: "sent"})
	}
	add := func(l []UTXO, kind, status string) {
		for _, u := range l {
			if sent[u.OutPoint.TxID.String()] && kind == "receive" {
				continue // change of our own transaction
			}
			k := kind
			if u.Coinbase {
				k = "coinbase"
			}
			a, _ := EncodeAddress(pub.Prefix, u.Lock.SpendKey())
			out = append(out, HistoryEntry{Height: u.Height, Kind: k, TxID: u.OutPoint.TxID, Amount: u.Value, Address: a, Status: status})
		}
	}
	add(st.View.Spendable, "receive", "confirmed")
	add(st.View.Immature, "receive", "immature")
	add(st.View.Unconfirmed, "receive", "unconfirmed")
	add(st.View.Staked, "stake-output", "confirmed")
	add(st.View.Unbonding, "unbonding", "confirmed")
	sort.SliceStable(out, func(i, j int) bool {
		hi, hj := out[i].Height, out[j].Height
		if out[i].Status == "unconfirmed" || out[i].Status == "sent" {
			hi = ^uint64(0)
		}
		if out[j].Status == "unconfirmed" || out[j].Status == "sent" {
			hj = ^uint64(0)
		}
		if hi != hj {
			return hi > hj
		}
		return out[i].Time.After(out[j].Time)
	})
	return out
}

// RebroadcastResult is the node's answer to one resent transaction.
type RebroadcastResult struct {
	TxID   string `json:"txid"`
	Kind   string `json:"kind"`
	Result string `json:"result"` // "accepted", or the node's refusal (spent inputs: mined or replaced)
}

// Rebroadcast sends the journal's transactions that are not in the node's mempool again (a
// node forgets its mempool when it restarts). Transactions already mined come back with a
// missing-input refusal, which is reported, not treated as an error.
func (c *Client) Rebroadcast(ctx context.Context, pub *Public) ([]RebroadcastResult, error) {
	pool, err := c.cfg.Node.Mempool(ctx)
	if err != nil {
		return nil, err
	}
	pooled := map[chain.Hash]bool{}
	for _, tx := range pool {
		pooled[tx.TxID()] = true
	}
	var out []RebroadcastResult
	for _, j := range pub.Journal {
		if len(j.Raw) == 0 {
			continue
		}
		tx, err := chain.DecodeTx(j.Raw)
		if err != nil {
			return out, fmt.Errorf("%w: journal entry %s: %v", ErrCorrupt, j.TxID, err)
		}
		if pooled[tx.TxID()] {
			continue
		}
		r := RebroadcastResult{TxID: j.TxID, Kind: j.Kind, Result: "accepted"}
		if _, err := c.cfg.Node.SendRawTransaction(ctx, tx); err != nil {
			if ctx.Err() != nil {
				return out, ctx.Err()
			}
			r.Result = err.Error()
		}
		out = append(out, r)
	}
	return out, nil
}
