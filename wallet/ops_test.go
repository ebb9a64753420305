package wallet

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"chainlab/chain"
)

func newClient(t *testing.T, f *fakeNode, s *Store) *Client {
	t.Helper()
	c, err := New(Config{Node: f, Store: s, Miner: f, Staking: f, Now: func() time.Time { return testNow }})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestSendBetweenWallets mines to one wallet, waits for maturity and pays another, checking
// both balances at every step and that sending more than the balance is refused.
func TestSendBetweenWallets(t *testing.T) {
	ctx := context.Background()
	f := newFakeNode("pow")
	s := newTestStore(t)
	alice, err := s.Create([]byte("a"), CreateOptions{Name: "alice", Network: "pow-dev", Prefix: "clpow"})
	if err != nil {
		t.Fatal(err)
	}
	bob, err := s.Create([]byte("b"), CreateOptions{Name: "bob", Network: "pow-dev", Prefix: "clpow"})
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, f, s)
	apub := alice.Public()
	if _, err := c.Mine(ctx, &apub, 1); err != nil {
		t.Fatal(err)
	}
	st, err := c.Sync(ctx, &apub)
	if err != nil {
		t.Fatal(err)
	}
	if b := st.Balance(); b.Immature != 50*unitsPerCoin || b.Confirmed != 0 {
		t.Fatalf("after 1 block: %+v", b)
	}
	_, err = c.Send(ctx, alice, bob.Public().Addresses[0].Address, unitsPerCoin, SendOptions{})
	if !errors.Is(err, ErrInsufficientFunds) || !strings.Contains(err.Error(), "immature coinbase 50.00000000") {
		t.Fatalf("send from immature: %v", err)
	}
	f.mine(10, [32]byte{1}) // maturity: 10 blocks on top
	st, _ = c.Sync(ctx, &apub)
	if b := st.Balance(); b.Confirmed != 50*unitsPerCoin || b.Immature != 0 {
		t.Fatalf("after maturity: %+v", b)
	}

	_, err = c.Send(ctx, alice, bob.Public().Addresses[0].Address, 51*unitsPerCoin, SendOptions{})
	var ie *InsufficientFundsError
	if !errors.As(err, &ie) || ie.Spendable != 50*unitsPerCoin || !strings.Contains(err.Error(), "need 51.0000") {
		t.Fatalf("overspend: %v", err)
	}
	if _, err := c.Send(ctx, alice, "clpos1qqqq", unitsPerCoin, SendOptions{}); err == nil {
		t.Fatal("bad address accepted")
	}

	res, err := c.Send(ctx, alice, bob.Public().Addresses[0].Address, 12*unitsPerCoin+34, SendOptions{FeeRate: 3})
	if err != nil {
		t.Fatal(err)
	}
	if res.Amount != 12*unitsPerCoin+34 || res.Fee != uint64(res.Size)*3 || res.Change != 50*unitsPerCoin-res.Amount-res.Fee {
		t.Fatalf("result %+v", res)
	}
	// Unconfirmed: alice's change and bob's payment are in the mempool.
	apub = alice.Public()
	bpub := bob.Public()
	sa, _ := c.Sync(ctx, &apub)
	sb, _ := c.Sync(ctx, &bpub)
	if b := sa.Balance(); b.Confirmed != 0 || b.Unconfirmed != res.Change || b.Pending != 50*unitsPerCoin {
		t.Fatalf("alice unconfirmed: %+v", b)
	}
	if b := sb.Balance(); b.Unconfirmed != res.Amount {
		t.Fatalf("bob unconfirmed: %+v", b)
	}
	// A second send before confirmation must not reuse the pending coin; with ConfirmedOnly
	// nothing is left, by default it spends its own unconfirmed change.
	if _, err := c.Send(ctx, alice, bob.Public().Addresses[0].Address, unitsPerCoin, SendOptions{ConfirmedOnly: true}); !errors.Is(err, ErrInsufficientFunds) {
		t.Fatalf("double spend of a pending coin: %v", err)
	}
	// Bob may not spend alice's unconfirmed payment to him (not his own change).
	if _, err := c.Send(ctx, bob, alice.Public().Addresses[0].Address, unitsPerCoin, SendOptions{}); !errors.Is(err, ErrInsufficientFunds) {
		t.Fatalf("bob spent an untrusted unconfirmed payment: %v", err)
	}
	res2, err := c.Send(ctx, alice, bob.Public().Addresses[0].Address, unitsPerCoin, SendOptions{})
	if err != nil {
		t.Fatalf("spending own unconfirmed change: %v", err)
	}
	if len(res2.Tx.Inputs) != 1 || res2.Tx.Inputs[0].Prev.TxID != res.TxID {
		t.Fatalf("second send does not spend the first one's change: %+v", res2.Tx.Inputs)
	}
	f.mine(1, [32]byte{1})
	apub = alice.Public()
	sa, _ = c.Sync(ctx, &apub)
	sb, _ = c.Sync(ctx, &bpub)
	if b := sa.Balance(); b.Confirmed != res2.Change || b.Total() != 50*unitsPerCoin-res.Amount-res.Fee-res2.Amount-res2.Fee {
		t.Fatalf("alice confirmed: %+v", b)
	}
	if b := sb.Balance(); b.Confirmed != res.Amount+res2.Amount {
		t.Fatalf("bob confirmed: %+v", b)
	}
	// The journal and the change key survived on disk.
	reopened, err := s.Open("alice", []byte("a"))
	if err != nil {
		t.Fatal(err)
	}
	p := reopened.Public()
	if len(p.Journal) != 2 || p.Journal[0].TxID != res.TxID.String() || p.Change != 2 { // failed sends derived no lasting change key
		t.Fatalf("journal %+v change %d", p.Journal, p.Change)
	}
	h := c.History(sa, &p)
	if len(h) != 2 || h[0].Kind != "send" || h[1].Kind != "send" { // the change is not a receipt
		t.Fatalf("history %+v", h)
	}
}

func TestStakeUnstakeWithdraw(t *testing.T) {
	ctx := context.Background()
	f := newFakeNode("pos")
	s := newTestStore(t)
	w, err := s.Create([]byte("pw"), CreateOptions{Name: "val", Network: "pos-dev", Prefix: "clpos"})
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, f, s)
	f.fund(w.Public().Addresses[0].Key, 1000*unitsPerCoin)

	if _, err := c.Stake(ctx, w, 99*unitsPerCoin, StakeOptions{}); err == nil || !strings.Contains(err.Error(), "below the minimum 100.00000000") {
		t.Fatalf("stake below minimum: %v", err)
	}
	if _, err := c.Stake(ctx, w, 5000*unitsPerCoin, StakeOptions{}); !errors.Is(err, ErrInsufficientFunds) {
		t.Fatalf("stake above the balance: %v", err)
	}
	if ents, _ := os.ReadDir(s.Dir()); len(ents) != 1 {
		t.Fatalf("a failed stake left files: %v", ents)
	}
	sr, err := c.Stake(ctx, w, 300*unitsPerCoin, StakeOptions{Register: true})
	if err != nil {
		t.Fatal(err)
	}
	if !sr.Registered || len(f.registered) != 1 || f.registered[0] != sr.Validator {
		t.Fatalf("registration: %+v", sr)
	}
	key, err := ReadValidatorKey(sr.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	if k, _ := w.ValidatorKey(sr.Validator); string(k.Serialize()) != string(key) {
		t.Fatal("key file holds another key")
	}
	if fi, _ := os.Stat(sr.KeyFile); fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file mode %v", fi.Mode().Perm())
	}
	f.mine(1, [32]byte{1})
	pub := w.Public()
	st, _ := c.Sync(ctx, &pub)
	total := 1000*unitsPerCoin - sr.Fee
	if b := st.Balance(); b.Staked != 300*unitsPerCoin || b.Confirmed != 700*unitsPerCoin-sr.Fee || b.Total() != total {
		t.Fatalf("after stake: %+v", b)
	}
	f.mine(24, [32]byte{1})                                // three epochs: active
	f.validators[sr.Validator].Balance += 2 * unitsPerCoin // rewards
	st, _ = c.Sync(ctx, &pub)
	reps, err := c.Validators(ctx, st, &pub)
	if err != nil || len(reps) != 1 || reps[0].Status != "active" || reps[0].Rewards != 2*unitsPerCoin || !reps[0].Local {
		t.Fatalf("validator report %+v %v", reps, err)
	}

	ur, err := c.Unstake(ctx, w, nil, SendOptions{})
	if err != nil {
		t.Fatal(err)
	}
	total += 2*unitsPerCoin - ur.Fee
	f.mine(1, [32]byte{1})
	pub = w.Public()
	st, _ = c.Sync(ctx, &pub)
	if b := st.Balance(); b.Staked != 0 || b.Unbonding != 302*unitsPerCoin || b.Total() != total {
		t.Fatalf("after unstake: %+v (total %d)", b, total)
	}
	if _, err := c.Withdraw(ctx, w, SendOptions{}); !errors.Is(err, ErrNothingToDo) || !strings.Contains(err.Error(), "until epoch") {
		t.Fatalf("early withdraw: %v", err)
	}
	f.mine(5*8, [32]byte{1})
	pub = w.Public()
	st, _ = c.Sync(ctx, &pub)
	if b := st.Balance(); b.Withdrawable != 302*unitsPerCoin {
		t.Fatalf("before withdraw: %+v", b)
	}
	wr, err := c.Withdraw(ctx, w, SendOptions{})
	if err != nil {
		t.Fatal(err)
	}
	total -= wr.Fee
	f.mine(1, [32]byte{1})
	pub = w.Public()
	st, _ = c.Sync(ctx, &pub)
	if b := st.Balance(); b.Unbonding+b.Withdrawable+b.Staked != 0 || b.Confirmed != total {
		t.Fatalf("after withdraw: %+v want confirmed %d", b, total)
	}
	// The coins add up: funding + rewards - every fee.
	if total != 1000*unitsPerCoin+2*unitsPerCoin-sr.Fee-ur.Fee-wr.Fee {
		t.Fatal("coins do not add up")
	}
}

func TestWrongNetwork(t *testing.T) {
	f := newFakeNode("pos")
	s := newTestStore(t)
	w := createTestWallet(t, s, "powwallet")
	c := newClient(t, f, s)
	pub := w.Public()
	if _, err := c.Sync(context.Background(), &pub); !errors.Is(err, ErrWrongNetwork) {
		t.Fatalf("err = %v", err)
	}
}

func TestEstimateFeeRate(t *testing.T) {
	if r := EstimateFeeRate(FeeInfo{MinRate: 2, MaxBlockSize: 1000}); r != 2 {
		t.Fatalf("empty pool: %d", r)
	}
	pool := []PoolEntry{{Fee: 100 * 200, Size: 200}, {Fee: 50 * 200, Size: 200}, {Fee: 10 * 200, Size: 200}, {Fee: 5 * 200, Size: 200}}
	// Half a block is 400 bytes: the two best transactions fill it, the third sets the price.
	if r := EstimateFeeRate(FeeInfo{MinRate: 1, MaxBlockSize: 800, Pool: pool}); r != 11 {
		t.Fatalf("busy pool: %d", r)
	}
	if r := EstimateFeeRate(FeeInfo{MinRate: 1, MaxBlockSize: 1 << 20, Pool: pool}); r != 1 {
		t.Fatalf("pool fits: %d", r)
	}
}

func TestStakingOnPoW(t *testing.T) {
	f := newFakeNode("pow")
	s := newTestStore(t)
	w := createTestWallet(t, s, "w")
	c := newClient(t, f, s)
	ctx := context.Background()
	if _, err := c.Stake(ctx, w, 100*unitsPerCoin, StakeOptions{}); !errors.Is(err, ErrNoStaking) {
		t.Errorf("stake: %v", err)
	}
	if _, err := c.Unstake(ctx, w, nil, SendOptions{}); !errors.Is(err, ErrNoStaking) {
		t.Errorf("unstake: %v", err)
	}
	if _, err := c.Withdraw(ctx, w, SendOptions{}); !errors.Is(err, ErrNothingToDo) {
		t.Errorf("withdraw: %v", err)
	}
	if len(w.Public().Addresses) != 1 || len(w.Public().Validators) != 0 {
		t.Errorf("failed operations left keys: %+v", w.Public())
	}
}

func TestRescanFindsRestoredCoins(t *testing.T) {
	ctx := context.Background()
	f := newFakeNode("pow")
	s := newTestStore(t)
	orig := createTestWallet(t, s, "orig")
	for i := 0; i < 25; i++ {
		orig.NewAddress(BranchReceive)
	}
	ch, _ := orig.NewAddress(BranchChange)
	orig.NewValidatorKey(testNow)
	v1, _, _ := orig.NewValidatorKey(testNow)
	pub := orig.Public()
	stake := &chain.Tx{Version: 1, Inputs: []chain.TxIn{{Prev: chain.OutPoint{Index: 999}}},
		Outputs: []chain.TxOut{{Value: 100 * unitsPerCoin, Lock: chain.Lock{Kind: chain.LockStake, Key: v1.Key, Owner: pub.Addresses[1].Key}}}}
	f.add(stake, false)
	f.fund(pub.Addresses[3].Key, 5*unitsPerCoin)
	f.fund(pub.Addresses[22].Key, 7*unitsPerCoin) // index 22: beyond the first batch of 20
	f.fund(ch.Key, 1*unitsPerCoin)

	restored, err := s.Create([]byte("pw"), CreateOptions{Name: "restored", Network: "pow-dev", Prefix: "clpow", Mnemonic: testMnemonic})
	if err != nil {
		t.Fatal(err)
	}
	c := newClient(t, f, s)
	res, err := c.Rescan(ctx, restored, 0)
	if err != nil {
		t.Fatal(err)
	}
	if res.Receive != 23 || res.Change != 1 || res.Added != 23 || res.Validators != 2 {
		t.Fatalf("rescan %+v", res)
	}
	rp := restored.Public()
	st, err := c.Sync(ctx, &rp)
	if err != nil {
		t.Fatal(err)
	}
	if b := st.Balance(); b.Confirmed != 13*unitsPerCoin || b.Staked != 100*unitsPerCoin {
		t.Fatalf("restored balance %+v", b)
	}
	if _, ok := restored.ValidatorKey(v1.Key); !ok {
		t.Fatal("validator key not recovered")
	}
	// Small gap: index 22 is out of reach after the last coin at 3 with gap 5.
	again, _ := s.Create([]byte("pw"), CreateOptions{Name: "gap5", Network: "pow-dev", Prefix: "clpow", Mnemonic: testMnemonic})
	if res, err := c.Rescan(ctx, again, 5); err != nil || res.Receive != 4 {
		t.Fatalf("gap 5: %+v %v", res, err)
	}
}

func TestRebroadcast(t *testing.T) {
	ctx := context.Background()
	f := newFakeNode("pow")
	s := newTestStore(t)
	w := createTestWallet(t, s, "w")
	f.fund(w.Public().Addresses[0].Key, 10*unitsPerCoin)
	f.fund(w.Public().Addresses[0].Key, 10*unitsPerCoin)
	c := newClient(t, f, s)
	var dest [32]byte
	dest[0] = 3
	to, _ := EncodeAddress("clpow", dest)
	r1, err := c.Send(ctx, w, to, unitsPerCoin, SendOptions{})
	if err != nil {
		t.Fatal(err)
	}
	f.mine(1, dest)
	r2, err := c.Send(ctx, w, to, 2*unitsPerCoin, SendOptions{})
	if err != nil {
		t.Fatal(err)
	}
	pub := w.Public()
	if got, err := c.Rebroadcast(ctx, &pub); err != nil || len(got) != 1 || got[0].TxID != r1.TxID.String() {
		t.Fatalf("with r2 pooled: %+v %v", got, err) // r1 mined: refused for its spent inputs
	}
	f.pool = nil // the node restarted and forgot its mempool
	got, err := c.Rebroadcast(ctx, &pub)
	if err != nil || len(got) != 2 || got[1].TxID != r2.TxID.String() || got[1].Result != "accepted" {
		t.Fatalf("after restart: %+v %v", got, err)
	}
	if len(f.pool) != 1 || f.pool[0].TxID() != r2.TxID {
		t.Fatal("r2 not back in the mempool")
	}
}
