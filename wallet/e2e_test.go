package wallet_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"chainlab/genesis"
	"chainlab/node"
	"chainlab/rpc"
	"chainlab/wallet"
)

const coin = genesis.Coin

// startNode runs a real node (LevelDB datadir, RPC on 127.0.0.1:0 with a cookie) and returns
// a wallet client connected to it over JSON-RPC.
func startNode(t *testing.T, cfg node.Config, store *wallet.Store) (*node.Node, *wallet.Client) {
	t.Helper()
	if cfg.DataDir == "" {
		cfg.DataDir = filepath.Join(t.TempDir(), "node")
	}
	n, err := node.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		n.Stop()
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Stop() })
	rc, err := rpc.NewClient(n.RPCURL(), rpc.WithCookieFile(n.CookiePath()))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(rc.Close)
	rn := wallet.NewRPCNode(rc)
	c, err := wallet.New(wallet.Config{Node: rn, Store: store, Miner: rn, Staking: rn})
	if err != nil {
		t.Fatal(err)
	}
	return n, c
}

func newStore(t *testing.T) *wallet.Store {
	t.Helper()
	s, err := wallet.NewStore(wallet.StoreConfig{Dir: filepath.Join(t.TempDir(), "wallets"), Scrypt: wallet.ScryptParams{N: 1 << 10, R: 8, P: 1}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func balance(t *testing.T, c *wallet.Client, w *wallet.Wallet) wallet.Balance {
	t.Helper()
	pub := w.Public()
	st, err := c.Sync(context.Background(), &pub)
	if err != nil {
		t.Fatal(err)
	}
	return st.Balance()
}

// TestE2EPoW: two wallets on a real PoW node; mine to the first, wait for maturity, pay the
// second, and check both balances after confirmation.
func TestE2EPoW(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p := genesis.PowDev()
	store := newStore(t)
	_, c := startNode(t, node.Config{Params: p}, store)
	alice, err := store.Create([]byte("a"), wallet.CreateOptions{Name: "alice", Network: p.Network, Prefix: p.AddressPrefix})
	if err != nil {
		t.Fatal(err)
	}
	bob, err := store.Create([]byte("b"), wallet.CreateOptions{Name: "bob", Network: p.Network, Prefix: p.AddressPrefix})
	if err != nil {
		t.Fatal(err)
	}
	apub := alice.Public()
	if _, err := c.Mine(ctx, &apub, 1); err != nil {
		t.Fatal(err)
	}
	if b := balance(t, c, alice); b.Immature != p.Subsidy || b.Confirmed != 0 {
		t.Fatalf("after one block: %+v", b)
	}
	_, err = c.Send(ctx, alice, bob.Public().Addresses[0].Address, coin, wallet.SendOptions{})
	if !errors.Is(err, wallet.ErrInsufficientFunds) {
		t.Fatalf("spending an immature coinbase: %v", err)
	}
	// Maturity: mine to bob until alice's coinbase is spendable.
	bpub := bob.Public()
	if _, err := c.Mine(ctx, &bpub, int(p.CoinbaseMaturity)); err != nil {
		t.Fatal(err)
	}
	if b := balance(t, c, alice); b.Confirmed != p.Subsidy || b.Immature != 0 {
		t.Fatalf("after maturity: %+v", b)
	}
	_, err = c.Send(ctx, alice, bob.Public().Addresses[0].Address, p.Subsidy+1, wallet.SendOptions{})
	if !errors.Is(err, wallet.ErrInsufficientFunds) {
		t.Fatalf("overspend: %v", err)
	}
	amount := uint64(12*coin + 34_567)
	res, err := c.Send(ctx, alice, bob.Public().Addresses[0].Address, amount, wallet.SendOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if b := balance(t, c, alice); b.Unconfirmed != res.Change || b.Pending != p.Subsidy {
		t.Fatalf("alice before confirmation: %+v", b)
	}
	bobBefore := balance(t, c, bob)
	if bobBefore.Unconfirmed != amount {
		t.Fatalf("bob before confirmation: %+v", bobBefore)
	}
	// A second payment spends the first one's unconfirmed change (a chained mempool tx).
	res2, err := c.Send(ctx, alice, bob.Public().Addresses[0].Address, coin, wallet.SendOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if res2.Tx.Inputs[0].Prev.TxID != res.TxID {
		t.Fatal("second payment does not spend the first one's change")
	}
	amount += coin
	fees := res.Fee + res2.Fee
	// Confirm with a block paying neither wallet.
	if _, err := c.Mine(ctx, &wallet.Public{Addresses: []wallet.AddressInfo{{Address: burnAddress(t, p)}}}, 1); err != nil {
		t.Fatal(err)
	}
	ab, bb := balance(t, c, alice), balance(t, c, bob)
	if ab.Confirmed != p.Subsidy-amount-fees || ab.Unconfirmed != 0 || ab.Pending != 0 {
		t.Fatalf("alice after confirmation: %+v (fees %d)", ab, fees)
	}
	// Bob holds the payment plus his own coinbases (the oldest one matured with this block).
	if bb.Confirmed != amount+p.Subsidy || bb.Unconfirmed != 0 {
		t.Fatalf("bob after confirmation: %+v", bb)
	}
	if bb.Total() != amount+p.CoinbaseMaturity*p.Subsidy {
		t.Fatalf("bob total %d, want %d", bb.Total(), amount+p.CoinbaseMaturity*p.Subsidy)
	}
}

func burnAddress(t *testing.T, p *genesis.Params) string {
	var k [32]byte
	k[0] = 1 // not a wallet key; any 32 bytes encode
	a, err := wallet.EncodeAddress(p.AddressPrefix, k)
	if err != nil {
		t.Fatal(err)
	}
	return a
}
