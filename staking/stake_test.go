package staking

import (
	"errors"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"

	"chainlab/chain"
	"chainlab/genesis"
)

func coinsOf(outs ...chain.TxOut) []*chain.Coin {
	cs := make([]*chain.Coin, len(outs))
	for i := range outs {
		cs[i] = &chain.Coin{Out: outs[i]}
	}
	return cs
}

// includeTx queues a zero-fee tx and runs slots until a block carries it.
func (n *testNet) includeTx(tx *chain.Tx) {
	n.t.Helper()
	n.pending = []*chain.Tx{tx}
	for i := 0; i < 16 && n.pending != nil; i++ {
		n.runSlot()
	}
	if n.pending != nil {
		n.t.Fatal("tx not included")
	}
}

// midEpoch runs slots until the next slot is not an epoch's first (a tx built now against
// the tip's balances stays valid for the next block).
func (n *testNet) midEpoch() {
	for es := n.p.PoS.EpochSlots; (n.slot+1)%es == 0 || (n.slot+1)%es == es-1; {
		n.runSlot()
	}
}

// TestTranscriptStakeLifecycle bonds a new validator from a genesis allocation, lets it
// activate and earn, unbonds it (the unbonding output carries its balance: CheckTx's
// adjustment is the rewards), refuses an early withdrawal, and withdraws after release.
func TestTranscriptStakeLifecycle(t *testing.T) {
	n := newTestNet(t, genesis.PosDev(4))
	n.chainTmpl = true // transactions go through chain.NewTemplate's checks (CheckTx included)
	pos := n.p.PoS
	n.runUntilEpoch(2)
	n.midEpoch()
	owner := genesis.DevKey("alloc", 0)
	ownerKey := genesis.XOnly(owner)
	nv := genesis.DevKey("validator", 4)
	vk := genesis.XOnly(nv)
	cb := n.e.genesis.Txs[0]
	op := chain.OutPoint{TxID: cb.TxID(), Index: 0}
	out := cb.Outputs[0]
	bond := 500 * uint64(genesis.Coin)
	sign := func(tx *chain.Tx, spent []chain.TxOut, k *btcec.PrivateKey) *chain.Tx {
		if err := chain.SignTx(tx, spent, []*btcec.PrivateKey{k}); err != nil {
			t.Fatal(err)
		}
		return tx
	}
	// Bonding below the minimum is refused.
	low := &chain.Tx{Version: 1, Inputs: []chain.TxIn{{Prev: op}}, Outputs: []chain.TxOut{
		{Value: pos.MinStake - 1, Lock: chain.Lock{Kind: chain.LockStake, Key: vk, Owner: ownerKey}},
		{Value: out.Value - pos.MinStake + 1, Lock: chain.PayTo(ownerKey)}}}
	if _, err := n.e.CheckTx(n.c, n.tipState(), low, coinsOf(out), 20); !errors.Is(err, chain.ErrBadStake) {
		t.Fatalf("low stake: %v", err)
	}
	stakeTx := sign(&chain.Tx{Version: 1, Inputs: []chain.TxIn{{Prev: op}}, Outputs: []chain.TxOut{
		{Value: bond, Lock: chain.Lock{Kind: chain.LockStake, Key: vk, Owner: ownerKey}},
		{Value: out.Value - bond, Lock: chain.PayTo(ownerKey)}}}, []chain.TxOut{out}, owner)
	n.includeTx(stakeTx)
	st := n.tipState()
	_, v, ok := st.ValidatorByKey(vk)
	if !ok || v.Activation != st.Epoch+pos.ActivationDelay || v.Balance != bond {
		t.Fatalf("new validator %+v (ok %v) at epoch %d", v, ok, st.Epoch)
	}
	// A second bond of the same key is refused.
	if _, err := n.e.CheckTx(n.c, st, low, coinsOf(out), 30); !errors.Is(err, chain.ErrBadStake) {
		t.Fatalf("second bond: %v", err)
	}
	n.addValidator(nv, ownerKey)
	n.runUntilEpoch(v.Activation + 2)
	st = n.tipState()
	idx, v, _ := st.ValidatorByKey(vk)
	if ei, _ := st.EpochInfo(st.Epoch); ei.WeightOf(uint32(idx)) == 0 {
		t.Fatal("new validator not active")
	}
	if v.Balance <= bond {
		t.Fatalf("new validator earned nothing: %d", v.Balance)
	}

	// Unbond.
	n.midEpoch()
	st = n.tipState()
	_, v, _ = st.ValidatorByKey(vk)
	stakeOut := chain.TxOut{Value: bond, Lock: chain.Lock{Kind: chain.LockStake, Key: vk, Owner: ownerKey}}
	release := st.Epoch + pos.UnbondingEpochs
	mkUnbond := func(value, rel uint64, own [32]byte) *chain.Tx {
		return sign(&chain.Tx{Version: 1, Inputs: []chain.TxIn{{Prev: v.Stake}}, Outputs: []chain.TxOut{
			{Value: value, Lock: chain.Lock{Kind: chain.LockUnbonding, Key: vk, Owner: own, Release: rel}}}}, []chain.TxOut{stakeOut}, owner)
	}
	for name, bad := range map[string]*chain.Tx{
		"value is the bond":   mkUnbond(bond, release, ownerKey),
		"release too early":   mkUnbond(v.Balance, release-1, ownerKey),
		"another owner":       mkUnbond(v.Balance, release, vk),
		"no unbonding output": sign(&chain.Tx{Version: 1, Inputs: []chain.TxIn{{Prev: v.Stake}}, Outputs: []chain.TxOut{{Value: bond, Lock: chain.PayTo(ownerKey)}}}, []chain.TxOut{stakeOut}, owner),
	} {
		if _, err := n.e.CheckTx(n.c, st, bad, coinsOf(stakeOut), 40); !errors.Is(err, chain.ErrBadStake) {
			t.Errorf("%s: %v, want ErrBadStake", name, err)
		}
	}
	unbond := mkUnbond(v.Balance, release, ownerKey)
	adj, err := n.e.CheckTx(n.c, st, unbond, coinsOf(stakeOut), 40)
	if err != nil || adj != int64(v.Balance-bond) {
		t.Fatalf("unbond: adj %d err %v, want %d", adj, err, v.Balance-bond)
	}
	n.includeTx(unbond)
	st = n.tipState()
	_, v2, _ := st.ValidatorByKey(vk)
	if !v2.Unbonded || v2.Exit != st.Epoch+pos.ExitDelay {
		t.Fatalf("after unbond: %+v at epoch %d", v2, st.Epoch)
	}

	// Early withdrawal is locked.
	uop := chain.OutPoint{TxID: unbond.TxID(), Index: 0}
	uout := unbond.Outputs[0]
	withdraw := func(value uint64) *chain.Tx {
		return sign(&chain.Tx{Version: 1, Inputs: []chain.TxIn{{Prev: uop}}, Outputs: []chain.TxOut{{Value: value, Lock: chain.PayTo(ownerKey)}}}, []chain.TxOut{uout}, owner)
	}
	if _, err := n.e.CheckTx(n.c, st, withdraw(uout.Value), coinsOf(uout), 50); !errors.Is(err, chain.ErrLockedOutput) {
		t.Fatalf("early withdraw: %v, want ErrLockedOutput", err)
	}
	n.runUntilEpoch(release + 1)
	n.midEpoch()
	st = n.tipState()
	_, v3, _ := st.ValidatorByKey(vk)
	adj, err = n.e.CheckTx(n.c, st, withdraw(uout.Value), coinsOf(uout), 60)
	if err != nil || adj != int64(v3.Balance)-int64(uout.Value) {
		t.Fatalf("withdraw: adj %d err %v (balance %d, unbonding %d)", adj, err, v3.Balance, uout.Value)
	}
	n.includeTx(withdraw(uint64(int64(uout.Value) + adj)))
	if _, v4, _ := n.tipState().ValidatorByKey(vk); !v4.Withdrawn {
		t.Fatal("not withdrawn")
	}
}
