package wallet

import (
	"errors"
	"strings"
	"testing"

	"chainlab/chain"
)

// testWallet returns an unlocked in-memory wallet with n receive addresses.
func testWallet(t *testing.T, n int) *Wallet { return testWalletFrom(t, n, testMnemonic) }

// testWalletFrom is testWallet from a mnemonic ("" for a fresh random one).
func testWalletFrom(t *testing.T, n int, mnemonic string) *Wallet {
	t.Helper()
	s := newTestStore(t)
	w, err := s.Create([]byte("pw"), CreateOptions{Name: "w", Network: "pow-dev", Prefix: "clpow", Mnemonic: mnemonic})
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < n; i++ {
		if _, err := w.NewAddress(BranchReceive); err != nil {
			t.Fatal(err)
		}
	}
	return w
}

func addrKey(w *Wallet, i int) [32]byte { return w.Public().Addresses[i].Key }

func coin(id byte, idx uint32, value uint64, lock chain.Lock, height uint64) UTXO {
	var txid chain.Hash
	txid[0] = id
	return UTXO{OutPoint: chain.OutPoint{TxID: txid, Index: idx}, Value: value, Lock: lock, Height: height, Confirmations: 1}
}

// verifySigs checks every input signature the way the chain does: BIP-340 over
// chain.SigHash(txid, SpentOutputsHash(spent), i) by the lock's spend key.
func verifySigs(t *testing.T, b *Built) bool {
	t.Helper()
	spent := make([]chain.TxOut, len(b.Spent))
	for i, u := range b.Spent {
		spent[i] = chain.TxOut{Value: u.Value, Lock: u.Lock}
	}
	txid, sh := b.Tx.TxID(), chain.SpentOutputsHash(spent)
	for i, in := range b.Tx.Inputs {
		if !chain.VerifySchnorr(spent[i].Lock.SpendKey(), chain.SigHash(txid, sh, uint32(i)), in.Witness) {
			return false
		}
	}
	return true
}

func spentCoins(b *Built) []*chain.Coin {
	out := make([]*chain.Coin, len(b.Spent))
	for i, u := range b.Spent {
		out[i] = &chain.Coin{Out: chain.TxOut{Value: u.Value, Lock: u.Lock}, Height: u.Height, Coinbase: u.Coinbase}
	}
	return out
}

func checkBalanced(t *testing.T, b *Built, effectiveIn uint64) {
	t.Helper()
	var out uint64
	for _, o := range b.Tx.Outputs {
		out += o.Value
	}
	if effectiveIn != out+b.Fee {
		t.Fatalf("inputs %d != outputs %d + fee %d", effectiveIn, out, b.Fee)
	}
	if min := uint64(b.Tx.SerializeSize()); b.Fee < min {
		t.Fatalf("fee %d below 1 unit/byte for %d bytes", b.Fee, min)
	}
}

func TestBuildSendSelectsAndSigns(t *testing.T) {
	w := testWallet(t, 3)
	other := testWalletFrom(t, 1, "")
	dest := chain.PayTo(addrKey(other, 0))
	change := chain.PayTo(addrKey(w, 2))
	coins := []UTXO{
		coin(1, 0, 5*unitsPerCoin, chain.PayTo(addrKey(w, 0)), 10),
		coin(2, 1, 3*unitsPerCoin, chain.PayTo(addrKey(w, 1)), 11),
		coin(3, 0, 1*unitsPerCoin, chain.PayTo(addrKey(w, 0)), 12),
	}
	tests := []struct {
		name     string
		amount   uint64
		inputs   int
		change   bool
		firstVal uint64
	}{
		{"smallest single coin", 2 * unitsPerCoin, 1, true, 3 * unitsPerCoin},
		{"exact coin, no change", 1*unitsPerCoin - 400, 1, false, 1 * unitsPerCoin},
		{"largest first", 7 * unitsPerCoin, 2, true, 5 * unitsPerCoin},
		{"everything", 9*unitsPerCoin - 1000, 3, false, 5 * unitsPerCoin},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := BuildTx(TxRequest{Outputs: []chain.TxOut{{Value: tc.amount, Lock: dest}}, Coins: coins, FeeRate: 2, Change: change})
			if err != nil {
				t.Fatal(err)
			}
			if len(b.Tx.Inputs) != tc.inputs || (b.Change >= 0) != tc.change || b.Spent[0].Value != tc.firstVal {
				t.Fatalf("inputs %d change %d first %d", len(b.Tx.Inputs), b.Change, b.Spent[0].Value)
			}
			if b.Tx.Outputs[0].Value != tc.amount || b.Tx.Outputs[0].Lock != dest {
				t.Fatalf("payment output %+v", b.Tx.Outputs[0])
			}
			var in uint64
			for _, u := range b.Spent {
				in += u.Value
			}
			checkBalanced(t, b, in)
			if err := w.Sign(b); err != nil {
				t.Fatal(err)
			}
			if uint64(b.Tx.SerializeSize())*2 > b.Fee+2*uint64(DustLimit(2)) {
				t.Fatalf("fee %d far from 2/byte × %d", b.Fee, b.Tx.SerializeSize())
			}
			if !verifySigs(t, b) {
				t.Fatal("signature does not verify")
			}
			if err := chain.VerifyTxSignatures(b.Tx, spentCoins(b), nil); err != nil {
				t.Fatal(err)
			}
			if _, err := chain.DecodeTx(b.Tx.Bytes()); err != nil {
				t.Fatal(err)
			}
			// Any change to a signed field breaks a signature, for the chain's verifier too.
			b.Tx.Outputs[0].Value--
			if verifySigs(t, b) {
				t.Fatal("signature still verifies after changing the amount")
			}
			if err := chain.VerifyTxSignatures(b.Tx, spentCoins(b), nil); !errors.Is(err, chain.ErrBadSignature) {
				t.Fatalf("chain.VerifyTxSignatures on a changed tx: %v", err)
			}
		})
	}
}

func TestBuildInsufficientAndDust(t *testing.T) {
	w := testWallet(t, 1)
	lock := chain.PayTo(addrKey(w, 0))
	coins := []UTXO{coin(1, 0, 2*unitsPerCoin, lock, 1), coin(2, 0, 1*unitsPerCoin, lock, 2)}
	view := &CoinView{Immature: []UTXO{coin(9, 0, 50*unitsPerCoin, lock, 99)}}
	_, err := BuildTx(TxRequest{Outputs: []chain.TxOut{{Value: 3 * unitsPerCoin, Lock: lock}}, Coins: coins, FeeRate: 1, Change: lock, Available: view})
	if !errors.Is(err, ErrInsufficientFunds) {
		t.Fatalf("err = %v", err)
	}
	var ie *InsufficientFundsError
	if !errors.As(err, &ie) || ie.Spendable != 3*unitsPerCoin || ie.Amount != 3*unitsPerCoin || ie.Fee == 0 || ie.Immature != 50*unitsPerCoin {
		t.Fatalf("error fields %+v", ie)
	}
	for _, want := range []string{"need 3.00000", "spendable 3.00000000", "immature coinbase 50.00000000"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("message %q lacks %q", err, want)
		}
	}
	_, err = BuildTx(TxRequest{Outputs: []chain.TxOut{{Value: 100, Lock: lock}}, Coins: coins, FeeRate: 1, Change: lock})
	var de *DustError
	if !errors.Is(err, ErrDust) || !errors.As(err, &de) || de.Amount != 100 || de.Limit != DustLimit(1) {
		t.Fatalf("dust: %v", err)
	}
	if !strings.Contains(err.Error(), "0.00000100") {
		t.Errorf("dust message %q lacks the amount", err)
	}
	if _, err := BuildTx(TxRequest{Outputs: []chain.TxOut{{Value: 1, Lock: lock}}, FeeRate: 1, Change: lock}); !errors.Is(err, ErrDust) {
		t.Fatalf("1 unit: %v", err)
	}
	if _, err := BuildTx(TxRequest{Outputs: []chain.TxOut{{Value: unitsPerCoin, Lock: lock}}, FeeRate: 1, Change: lock}); !errors.Is(err, ErrInsufficientFunds) {
		t.Fatalf("no coins: %v", err)
	}
}

func TestBuildUnstakeAndWithdraw(t *testing.T) {
	w := testWallet(t, 2)
	owner := addrKey(w, 0)
	v, _, err := w.NewValidatorKey(testNow)
	if err != nil {
		t.Fatal(err)
	}
	stake := coin(7, 0, 100*unitsPerCoin, chain.Lock{Kind: chain.LockStake, Key: v.Key, Owner: owner}, 5)
	fee := coin(8, 0, unitsPerCoin, chain.PayTo(addrKey(w, 1)), 6)
	balance := uint64(101 * unitsPerCoin) // bonded + rewards
	ub := chain.TxOut{Value: balance, Lock: chain.Lock{Kind: chain.LockUnbonding, Key: v.Key, Owner: owner, Release: 9}}
	b, err := BuildTx(TxRequest{Outputs: []chain.TxOut{ub}, Fixed: []Input{{UTXO: stake, Effective: balance}},
		Coins: []UTXO{fee}, FeeRate: 1, Change: chain.PayTo(addrKey(w, 1))})
	if err != nil {
		t.Fatal(err)
	}
	if b.Tx.Inputs[0].Prev != stake.OutPoint || len(b.Tx.Inputs) != 2 || b.Tx.Outputs[0] != ub {
		t.Fatalf("unstake tx %+v", b.Tx)
	}
	checkBalanced(t, b, balance+fee.Value)
	if err := w.Sign(b); err != nil || !verifySigs(t, b) {
		t.Fatalf("sign: %v", err)
	}

	unb := coin(9, 0, balance, ub.Lock, 20)
	dest := chain.PayTo(addrKey(w, 0))
	b, err = BuildTx(TxRequest{Fixed: []Input{{UTXO: unb, Effective: balance}}, FeeRate: 1, SweepTo: &dest})
	if err != nil {
		t.Fatal(err)
	}
	if len(b.Tx.Inputs) != 1 || len(b.Tx.Outputs) != 1 || b.Tx.Outputs[0].Value != balance-b.Fee {
		t.Fatalf("withdraw tx %+v fee %d", b.Tx, b.Fee)
	}
	checkBalanced(t, b, balance)
	if err := w.Sign(b); err != nil || !verifySigs(t, b) {
		t.Fatalf("sign: %v", err)
	}
	// A coin the wallet cannot sign for.
	stranger := testWalletFrom(t, 1, "")
	b2, _ := BuildTx(TxRequest{Fixed: []Input{{UTXO: unb, Effective: balance}}, FeeRate: 1, SweepTo: &dest})
	if err := stranger.Sign(b2); !errors.Is(err, ErrNotMine) {
		t.Fatalf("foreign input: %v", err)
	}
}

func TestCoinView(t *testing.T) {
	w := testWallet(t, 2)
	k0, k1 := addrKey(w, 0), addrKey(w, 1)
	mine := func(k [32]byte) bool { _, ok := w.SpendKey(k); return ok }
	var foreign [32]byte
	foreign[0] = 9
	cb := coin(1, 0, 50*unitsPerCoin, chain.PayTo(k0), 95)
	cb.Coinbase = true
	oldCB := coin(2, 0, 50*unitsPerCoin, chain.PayTo(k0), 80)
	oldCB.Coinbase = true
	plain := coin(3, 0, 7*unitsPerCoin, chain.PayTo(k1), 90)
	spentByPool := coin(4, 0, 2*unitsPerCoin, chain.PayTo(k1), 91)
	staked := coin(5, 0, 100*unitsPerCoin, chain.Lock{Kind: chain.LockStake, Key: foreign, Owner: k0}, 50)
	unbLocked := coin(6, 0, 10*unitsPerCoin, chain.Lock{Kind: chain.LockUnbonding, Key: foreign, Owner: k0, Release: 12}, 60)
	unbFree := coin(7, 0, 20*unitsPerCoin, chain.Lock{Kind: chain.LockUnbonding, Key: foreign, Owner: k0, Release: 10}, 60)
	notMine := coin(8, 0, 1000, chain.PayTo(foreign), 60)
	poolTx := &chain.Tx{Version: 1, Inputs: []chain.TxIn{{Prev: spentByPool.OutPoint}},
		Outputs: []chain.TxOut{{Value: unitsPerCoin, Lock: chain.PayTo(foreign)}, {Value: unitsPerCoin - 500, Lock: chain.PayTo(k0)}}}
	s := &Snapshot{Height: 100, Epoch: 11, Maturity: 10,
		Confirmed: []UTXO{cb, oldCB, plain, spentByPool, staked, unbLocked, unbFree, notMine, plain},
		Mempool:   []*chain.Tx{poolTx}}
	v := s.View(mine)
	if len(v.Spendable) != 2 || v.Spendable[0].OutPoint != oldCB.OutPoint || v.Spendable[1].OutPoint != plain.OutPoint {
		t.Fatalf("spendable %+v", v.Spendable)
	}
	got := v.Balance(s.Epoch)
	want := Balance{Confirmed: 57 * unitsPerCoin, Unconfirmed: unitsPerCoin - 500, Immature: 50 * unitsPerCoin,
		Staked: 100 * unitsPerCoin, Unbonding: 10 * unitsPerCoin, Withdrawable: 20 * unitsPerCoin, Pending: 2 * unitsPerCoin}
	if got != want {
		t.Fatalf("balance\n got %+v\nwant %+v", got, want)
	}
	// Maturity boundary: a coinbase at height 90 is spendable at tip 100 with maturity 10.
	s.Height = 104
	if !s.Mature(cb) == (104-95 >= 10) {
		t.Fatal("maturity rule")
	}
}

func TestEstimateSizeExact(t *testing.T) {
	var k [32]byte
	outs := []chain.TxOut{{Value: 1, Lock: chain.PayTo(k)}, {Value: 2, Lock: chain.Lock{Kind: chain.LockStake, Key: k, Owner: k}},
		{Value: 3, Lock: chain.Lock{Kind: chain.LockUnbonding, Key: k, Owner: k, Release: 9}}}
	for _, n := range []int{0, 1, 2, 252, 253, 300} {
		tx := &chain.Tx{Version: 1, Outputs: outs, Inputs: make([]chain.TxIn, n)}
		for i := range tx.Inputs {
			tx.Inputs[i].Witness = make([]byte, chain.WitnessSize)
		}
		if got, want := estimateSize(n, outs), len(tx.Bytes()); got != want {
			t.Fatalf("%d inputs: estimate %d, encoded %d", n, got, want)
		}
	}
}

// BenchmarkBuildAndSign selects from 2,000 coins (the worst case: largest-first needs most of
// them) and signs the result.
func BenchmarkBuildAndSign(b *testing.B) {
	s, _ := NewStore(StoreConfig{Dir: b.TempDir(), Scrypt: fastScrypt})
	w, err := s.Create([]byte("pw"), CreateOptions{Name: "b", Network: "pow-dev", Prefix: "clpow", Mnemonic: testMnemonic})
	if err != nil {
		b.Fatal(err)
	}
	lock := chain.PayTo(w.Public().Addresses[0].Key)
	var coins []UTXO
	var total uint64
	for i := 0; i < 2000; i++ {
		u := coin(byte(i), uint32(i), 100_000+uint64(i), lock, 1)
		coins = append(coins, u)
		total += u.Value
	}
	amount := total / 2
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		bt, err := BuildTx(TxRequest{Outputs: []chain.TxOut{{Value: amount, Lock: lock}}, Coins: coins, FeeRate: 1, Change: lock})
		if err != nil {
			b.Fatal(err)
		}
		if err := w.Sign(bt); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(float64(len(bt.Tx.Inputs)), "inputs")
	}
}

// BenchmarkKeystoreOpen measures unlocking a wallet at the default scrypt cost (N=2^17).
func BenchmarkKeystoreOpen(b *testing.B) {
	s, _ := NewStore(StoreConfig{Dir: b.TempDir()})
	if _, err := s.Create([]byte("pw"), CreateOptions{Name: "b", Network: "pow-dev", Prefix: "clpow", Mnemonic: testMnemonic}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := s.Open("b", []byte("pw")); err != nil {
			b.Fatal(err)
		}
	}
}
