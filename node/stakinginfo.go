package node

import (
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"

	"chainlab/address"
	"chainlab/chain"
	"chainlab/rpc"
	"chainlab/staking"
)

// stakingInfo is rpc's view of the PoS engine and this node's validators.
type stakingInfo struct{ n *Node }

func (s *stakingInfo) tipState() (*staking.State, chain.Hash, error) {
	hash, _ := s.n.chain.Tip()
	st, ok := s.n.chain.State(hash)
	if !ok {
		return nil, hash, errors.New("no engine state at the tip")
	}
	ps, ok := st.(*staking.State)
	if !ok {
		return nil, hash, errors.New("not a proof-of-stake chain")
	}
	return ps, hash, nil
}

func (s *stakingInfo) local() map[[32]byte]bool {
	if p, ok := s.n.producer.(*posProducer); ok {
		return p.localKeys()
	}
	return map[[32]byte]bool{}
}

// RegisterValidator implements rpc.ValidatorRegistrar: the node starts signing with the
// key at once. The key lives in memory only; to keep it across restarts, pass its file
// with --validator-key (the wallet writes one).
func (s *stakingInfo) RegisterValidator(priv []byte) ([32]byte, error) {
	if len(priv) != 32 {
		return [32]byte{}, fmt.Errorf("%w: a validator key is 32 bytes, got %d", rpc.ErrInvalidParameter, len(priv))
	}
	k, _ := btcec.PrivKeyFromBytes(priv)
	p, ok := s.n.producer.(*posProducer)
	if !ok {
		return [32]byte{}, rpc.ErrUnavailable
	}
	if err := p.addKey(k); err != nil {
		return [32]byte{}, err
	}
	return chain.XOnlyKey(k), nil
}

func (s *stakingInfo) Validators() ([]rpc.ValidatorInfo, error) {
	st, _, err := s.tipState()
	if err != nil {
		return nil, err
	}
	epoch := s.n.pos.EpochOf(s.n.pos.SlotAt(s.n.cfg.Now()))
	local := s.local()
	out := make([]rpc.ValidatorInfo, 0, st.NumValidators())
	for i := 0; i < st.NumValidators(); i++ {
		v := st.Validator(i)
		vi := rpc.ValidatorInfo{
			Key:        hex.EncodeToString(v.Key[:]),
			Owner:      address.MustEncode(s.n.cfg.Params.AddressPrefix, v.Owner),
			Stake:      rpc.Amount(v.Balance),
			Active:     v.ActiveAt(epoch),
			Activation: v.Activation,
			Slashed:    v.Slashed,
			Local:      local[v.Key],
		}
		if v.Exit != staking.FarFuture {
			vi.Exit = v.Exit
		}
		out = append(out, vi)
	}
	return out, nil
}

func (s *stakingInfo) Proposer(slot uint64) ([32]byte, error) {
	st, hash, err := s.tipState()
	if err != nil {
		return [32]byte{}, err
	}
	k, ok := s.n.pos.Proposer(st, hash, slot)
	if !ok {
		return k, errors.New("no proposer for that slot (no active validators, or slot not after the tip)")
	}
	return k, nil
}

func (s *stakingInfo) Info() (rpc.StakingStatus, error) {
	st, _, err := s.tipState()
	if err != nil {
		return rpc.StakingStatus{}, err
	}
	slot := s.n.pos.SlotAt(s.n.cfg.Now())
	out := rpc.StakingStatus{
		Enabled:     len(s.local()) > 0,
		Slot:        slot,
		Epoch:       s.n.pos.EpochOf(slot),
		Validators:  st.NumValidators(),
		ActiveStake: rpc.Amount(st.TotalStake()),
	}
	for k := range s.local() {
		out.LocalValidators = append(out.LocalValidators, hex.EncodeToString(k[:]))
	}
	return out, nil
}
