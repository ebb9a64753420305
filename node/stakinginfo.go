package node

import (
	"encoding/hex"
	"errors"

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
	m := map[[32]byte]bool{}
	for _, k := range s.n.cfg.ValidatorKeys {
		m[chain.XOnlyKey(k)] = true
	}
	return m
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
		Enabled:     len(s.n.cfg.ValidatorKeys) > 0,
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
