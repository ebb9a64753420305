package staking

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"sort"

	"chainlab/chain"
	"chainlab/genesis"
)

// epochSeed is the seed of epoch e derived from a mix: TaggedHash("chainlab/seed", e || mix).
func epochSeed(e uint64, mix chain.Hash) chain.Hash {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], e)
	return chain.TaggedHash("chainlab/seed", b[:], mix[:])
}

// mixIn folds a proposer signature into the running mix.
func mixIn(mix chain.Hash, sig [64]byte) chain.Hash {
	return chain.TaggedHash("chainlab/mix", mix[:], sig[:])
}

// snapshot builds the validator set of epoch e from the records: active, unslashed
// validators weighted by their balance, and their vote slots (committees).
func snapshot(vals valList, e uint64, seed chain.Hash, epochSlots uint64) *EpochInfo {
	ei := &EpochInfo{Epoch: e, Seed: seed}
	for i := 0; i < vals.Len(); i++ {
		v := vals.At(i)
		if !v.ActiveAt(e) || v.Balance == 0 {
			continue
		}
		ei.Total += v.Balance
		ei.Active = append(ei.Active, uint32(i))
		ei.Cum = append(ei.Cum, ei.Total)
	}
	ei.assignCommittees(vals, epochSlots)
	return ei
}

// assignCommittees gives every active validator its vote slot, as phase0's
// compute_committee does with one committee per slot: the active validators are shuffled
// (sorted by TaggedHash("chainlab/committee", seed || key)) and the j-th of n goes to slot
// offset i with n*i/E <= j < n*(i+1)/E, so committees differ in size by at most one.
//
//	def compute_committee(indices: Sequence[ValidatorIndex], seed: Bytes32,
//	                      index: uint64, count: uint64) -> Sequence[ValidatorIndex]:
//	    start = (len(indices) * index) // count
//	    end = (len(indices) * uint64(index + 1)) // count
//	    return [indices[compute_shuffled_index(uint64(i), uint64(len(indices)), seed)]
//	            for i in range(start, end)]
//
// (count = EpochSlots, one committee per slot; the swap-or-not shuffle is replaced by a
// sort on a keyed hash, which is also a seed-determined uniform permutation.)
func (ei *EpochInfo) assignCommittees(vals valList, epochSlots uint64) {
	n := len(ei.Active)
	type ranked struct {
		h chain.Hash
		k int
	}
	order := make([]ranked, n)
	for k, i := range ei.Active {
		key := vals.At(int(i)).Key
		order[k] = ranked{chain.TaggedHash("chainlab/committee", ei.Seed[:], key[:]), k}
	}
	sort.Slice(order, func(a, b int) bool { return bytes.Compare(order[a].h[:], order[b].h[:]) < 0 })
	ei.Slots = make([]uint16, n)
	i := uint64(0)
	for j := range order {
		for i+1 < epochSlots && uint64(n)*(i+1)/epochSlots <= uint64(j) {
			i++
		}
		ei.Slots[order[j].k] = uint16(i)
	}
}

// ProposerIndex returns the validator index of the proposer of slot in ei's epoch, drawn
// with probability proportional to weight: x = first 8 bytes of
// TaggedHash("chainlab/proposer", seed || slot), r = floor(x * Total / 2^64), and the
// proposer is the first active validator whose cumulative weight exceeds r.
//
// It replaces phase0's rejection sampling, which is proportional to effective balance only
// up to MAX_EFFECTIVE_BALANCE:
//
//	def compute_proposer_index(state, indices, seed) -> ValidatorIndex:
//	    MAX_RANDOM_BYTE = 2**8 - 1
//	    i = uint64(0)
//	    total = uint64(len(indices))
//	    while True:
//	        candidate_index = indices[compute_shuffled_index(i % total, total, seed)]
//	        random_byte = hash(seed + uint_to_bytes(uint64(i // 32)))[i % 32]
//	        effective_balance = state.validators[candidate_index].effective_balance
//	        if effective_balance * MAX_RANDOM_BYTE >= MAX_EFFECTIVE_BALANCE * random_byte:
//	            return candidate_index
//	        i += 1
func (ei *EpochInfo) ProposerIndex(slot uint64) (uint32, bool) {
	if ei.Total == 0 {
		return 0, false
	}
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], slot)
	h := chain.TaggedHash("chainlab/proposer", ei.Seed[:], b[:])
	r, _ := bits.Mul64(binary.LittleEndian.Uint64(h[:8]), ei.Total)
	lo, hi := 0, len(ei.Cum)
	for lo < hi {
		m := (lo + hi) / 2
		if ei.Cum[m] > r {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return ei.Active[lo], true
}

// VoteSlot returns the slot at which validator index i votes in epoch ei.Epoch (false if
// it is not active in it).
func (ei *EpochInfo) VoteSlot(i uint32, epochSlots uint64) (uint64, bool) {
	k := ei.find(i)
	if k < 0 {
		return 0, false
	}
	return ei.Epoch*epochSlots + uint64(ei.Slots[k]), true
}

// genesisState builds the state after the genesis block: the initial validators are the
// genesis coinbase's stake outputs, active from epoch 0.
func genesisState(p *genesis.Params, gb *chain.Block) *State {
	gh := gb.Hash()
	cb := gb.Txs[0]
	txid := cb.TxID()
	s := &State{index: map[[32]byte]uint32{}}
	for i, out := range cb.Outputs {
		if out.Lock.Kind != chain.LockStake {
			continue
		}
		s.index[out.Lock.Key] = uint32(s.vals.Len())
		s.vals = s.vals.appendVal(Validator{
			Key: out.Lock.Key, Owner: out.Lock.Owner,
			Stake:  chain.OutPoint{TxID: txid, Index: uint32(i)},
			Bonded: out.Value, Balance: out.Value,
			Activation: 0, Exit: FarFuture,
		})
	}
	cp := chain.Checkpoint{Epoch: 0, Root: gh}
	s.PrevJustified, s.CurJustified, s.Finalized = cp, cp, cp
	s.PrevTargetRoot, s.CurTargetRoot = gh, gh
	s.Mix = gh
	s.curInfo = snapshot(s.vals, 0, epochSeed(0, gh), p.PoS.EpochSlots)
	s.NextSeed = epochSeed(1, s.Mix)
	return s
}

func (s *State) ffg() FFG {
	return FFG{PrevJustified: s.PrevJustified, CurJustified: s.CurJustified, Finalized: s.Finalized, Bits: s.Bits}
}

func (s *State) setFFG(f FFG) {
	s.PrevJustified, s.CurJustified, s.Finalized, s.Bits = f.PrevJustified, f.CurJustified, f.Finalized, f.Bits
}

// advance returns the state moved into epoch e (e > s.Epoch), running the end-of-epoch
// processing of every epoch in between. root is the checkpoint root of epoch e on this
// branch (the block at e's first slot if there is one, else the parent); skipped epochs
// take parent as their root.
func (s *State) advance(p *genesis.PoSParams, e uint64, parent, root chain.Hash) *State {
	if e <= s.Epoch {
		return s
	}
	n := s.clone()
	for n.Epoch < e {
		r := parent
		if n.Epoch+1 == e {
			r = root
		}
		n.processEpoch(p, r)
	}
	return n
}

// processEpoch runs the end of epoch n.Epoch (in place on a fresh clone) and enters the
// next epoch, whose checkpoint root is nextRoot:
//  1. justification and finalization (phase0 rule, see ffg.go);
//  2. rewards and penalties for the previous epoch (whose votes can no longer be included):
//     VoterReward for each correct target vote, the inactivity leak for non-voters;
//  3. ejection of validators whose balance fell below MinStake/2;
//  4. the validator set and seed of the next epoch.
func (n *State) processEpoch(p *genesis.PoSParams, nextRoot chain.Hash) {
	c := n.Epoch
	prevTarget := uint64(0)
	if n.prevInfo != nil {
		prevTarget = n.attestingStake(n.prevInfo, n.prevHit)
	}
	curTarget := n.attestingStake(n.curInfo, n.curHit)
	n.setFFG(ProcessJustificationAndFinalization(n.ffg(), c, n.curInfo.Total, prevTarget, curTarget, n.PrevTargetRoot, n.CurTargetRoot))

	n.LastRewards, n.LastPenalties = 0, 0
	if n.prevInfo != nil && c > 0 {
		n.rewardEpoch(p, c-1)
	}
	n.ejectLow(p, c)

	n.Epoch = c + 1
	n.prevInfo = n.curInfo
	n.curInfo = snapshot(n.vals, n.Epoch, n.NextSeed, p.EpochSlots)
	n.NextSeed = epochSeed(n.Epoch+1, n.Mix)
	n.prevHit, n.curHit = n.curHit, nil
	n.prevVoted, n.curVoted = n.curVoted, nil
	n.PrevTargetRoot, n.CurTargetRoot = n.CurTargetRoot, nextRoot
}

// InLeak reports whether the inactivity leak applies to the rewards of epoch prev: the
// leak is on and prev - finalized.epoch > InactivityThreshold (phase0 is_in_inactivity_leak).
//
//	def get_finality_delay(state: BeaconState) -> uint64:
//	    return get_previous_epoch(state) - state.finalized_checkpoint.epoch
//
//	def is_in_inactivity_leak(state: BeaconState) -> bool:
//	    return get_finality_delay(state) > MIN_EPOCHS_TO_INACTIVITY_PENALTY
func InLeak(p *genesis.PoSParams, prev, finalized uint64) bool {
	return p.InactivityLeak && prev > finalized && prev-finalized > p.InactivityThreshold
}

// rewardEpoch credits the voters of epoch e (n.prevInfo, n.prevHit) and applies the
// inactivity leak to the active validators of e that did not vote the correct target.
func (n *State) rewardEpoch(p *genesis.PoSParams, e uint64) {
	leak := InLeak(p, e, n.Finalized.Epoch)
	if !leak && p.VoterReward == 0 {
		return
	}
	ei := n.prevInfo
	b := n.vals.builder()
	for _, i := range ei.Active {
		v := n.vals.At(int(i))
		if v.Slashed {
			continue
		}
		switch {
		case n.prevHit.Has(int(i)):
			if p.VoterReward > 0 {
				b.Mut(int(i)).Balance += p.VoterReward
				n.LastRewards += p.VoterReward
			}
		case leak:
			pen := v.Balance/10000*p.InactivityPenaltyBP + v.Balance%10000*p.InactivityPenaltyBP/10000
			if pen > 0 {
				b.Mut(int(i)).Balance -= pen
				n.LastPenalties += pen
			}
		}
	}
	n.vals = b.list()
}

// ejectLow schedules the exit of active validators whose balance fell below MinStake/2
// (phase0's EJECTION_BALANCE), effective ExitDelay epochs after the next one.
func (n *State) ejectLow(p *genesis.PoSParams, c uint64) {
	floor := p.MinStake / 2
	var b *valBuilder
	for _, i := range n.curInfo.Active {
		v := n.vals.At(int(i))
		if v.Exit != FarFuture || v.Balance >= floor {
			continue
		}
		if b == nil {
			b = n.vals.builder()
		}
		b.Mut(int(i)).Exit = c + 1 + max(p.ExitDelay, 1)
	}
	if b != nil {
		n.vals = b.list()
	}
}
