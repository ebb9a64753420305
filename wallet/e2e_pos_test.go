package wallet_test

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"

	"chainlab/genesis"
	"chainlab/node"
	"chainlab/wallet"
)

// waitFor polls cond until it holds or d passes (a wait on real wall-clock slots, not a
// sleep an assertion depends on).
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if cond() {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("timed out after %v waiting for %s", d, what)
}

// TestE2EPoS: a new wallet funded from a genesis allocation stakes; after the node is
// restarted with the validator key file (chainlab node --validator-key), the validator
// becomes active, proposes blocks and earns rewards; it then unstakes and withdraws after the
// unbonding period, and the coins add up.
func TestE2EPoS(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for several epochs of wall-clock slots")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Second)
	defer cancel()
	p := genesis.PosDev(4)
	p.Time = time.Now().Unix() - 1
	p.PoS.SlotMillis = 1000
	p.PoS.EpochSlots = 8
	p.PoS.ActivationDelay = 1
	p.PoS.ExitDelay = 1
	p.PoS.UnbondingEpochs = 2
	var keys []*btcec.PrivateKey
	for i := 0; i < 4; i++ {
		keys = append(keys, genesis.DevKey("validator", i))
	}
	store := newStore(t)
	dataDir := filepath.Join(t.TempDir(), "node")
	n, c := startNode(t, node.Config{DataDir: dataDir, Params: p, ValidatorKeys: keys}, store)

	funder, err := store.Create([]byte("f"), wallet.CreateOptions{Name: "funder", Network: p.Network, Prefix: p.AddressPrefix})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ { // two genesis allocations of 1000 coins
		if _, err := funder.ImportKey(genesis.DevKey("alloc", i), "genesis allocation"); err != nil {
			t.Fatal(err)
		}
	}
	if err := store.Save(funder); err != nil {
		t.Fatal(err)
	}
	staker, err := store.Create([]byte("s"), wallet.CreateOptions{Name: "staker", Network: p.Network, Prefix: p.AddressPrefix})
	if err != nil {
		t.Fatal(err)
	}
	const funding = 1500 * coin
	if _, err := c.Send(ctx, funder, staker.Public().Addresses[0].Address, funding, wallet.SendOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the funding to confirm", func() bool { return balance(t, c, staker).Confirmed == funding })

	sr, err := c.Stake(ctx, staker, 1000*coin, wallet.StakeOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the stake to confirm", func() bool {
		pub := staker.Public()
		st, err := c.Sync(ctx, &pub)
		if err != nil {
			t.Fatal(err)
		}
		return len(st.View.Staked) == 1 && st.View.Staked[0].Confirmations > 0
	})
	total := funding - sr.Fee
	if b := balance(t, c, staker); b.Total() != total {
		t.Fatalf("after staking: %+v, want total %d", b, total)
	}

	// Give the node the validator key from the key file, as `chainlab node --validator-key`.
	secret, err := wallet.ReadValidatorKey(sr.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	vk, _ := btcec.PrivKeyFromBytes(secret)
	if wallet.Key32(wallet.XOnly(vk)) != sr.Validator {
		t.Fatal("key file does not hold the staked validator key")
	}
	if err := n.Stop(); err != nil {
		t.Fatal(err)
	}
	n, c = startNode(t, node.Config{DataDir: dataDir, Params: p, ValidatorKeys: append(keys, vk)}, store)

	report := func() wallet.ValidatorReport {
		pub := staker.Public()
		st, err := c.Sync(ctx, &pub)
		if err != nil {
			t.Fatal(err)
		}
		reps, err := c.Validators(ctx, st, &pub)
		if err != nil || len(reps) != 1 {
			t.Fatalf("validators: %v %v", reps, err)
		}
		return reps[0]
	}
	waitFor(t, 30*time.Second, "the validator to be active on the node", func() bool {
		r := report()
		return r.Status == "active" && r.Local
	})
	_, activeAt := n.Chain().Tip()
	proposed := func() int {
		count := 0
		_, tip := n.Chain().Tip()
		for h := activeAt; h <= tip; h++ {
			if hdr, ok := n.Chain().HeaderAt(h); ok && hdr.Seal != nil && wallet.Key32(hdr.Seal.Proposer) == sr.Validator {
				count++
			}
		}
		return count
	}
	waitFor(t, 60*time.Second, "a block proposed by the new validator and a reward", func() bool {
		return proposed() > 0 && report().Rewards > 0
	})
	t.Logf("validator proposed %d blocks, rewards %s", proposed(), wallet.FormatAmount(uint64(report().Rewards)))

	ur, err := c.Unstake(ctx, staker, nil, wallet.SendOptions{})
	if err != nil {
		t.Fatal(err)
	}
	waitFor(t, 20*time.Second, "the unstake to confirm", func() bool { return balance(t, c, staker).Staked == 0 })
	if b := balance(t, c, staker); b.Unbonding+b.Withdrawable != ur.Amount {
		t.Fatalf("after unstake: %+v, unbonding output %d", b, ur.Amount)
	}
	if _, err := c.Withdraw(ctx, staker, wallet.SendOptions{}); !errors.Is(err, wallet.ErrNothingToDo) {
		t.Fatalf("withdraw before release: %v", err)
	}
	var wr *wallet.TxResult
	waitFor(t, 40*time.Second, "the unbonding period to pass", func() bool {
		wr, err = c.Withdraw(ctx, staker, wallet.SendOptions{})
		if errors.Is(err, wallet.ErrNothingToDo) {
			return false
		}
		if err != nil {
			t.Fatal(err)
		}
		return true
	})
	waitFor(t, 20*time.Second, "the withdrawal to confirm", func() bool {
		b := balance(t, c, staker)
		return b.Unbonding+b.Withdrawable == 0 && b.Unconfirmed == 0
	})
	// The coins add up: funding - every fee + what the validator earned (its final balance,
	// all of which the withdrawal spent, minus the 1000 bonded).
	earned := int64(wr.Amount+wr.Fee) - 1000*coin
	b := balance(t, c, staker)
	want := uint64(int64(funding) - int64(sr.Fee+ur.Fee+wr.Fee) + earned)
	if b.Total() != want || b.Confirmed != want {
		t.Fatalf("final balance %+v, want %d (earned %d, fees %d+%d+%d)", b, want, earned, sr.Fee, ur.Fee, wr.Fee)
	}
	if earned <= 0 {
		t.Fatalf("validator earned %d", earned)
	}
	t.Logf("final %s = funding %s - fees + earned %s", wallet.FormatAmount(b.Total()), wallet.FormatAmount(funding), wallet.FormatAmount(uint64(earned)))
}
