package staking

import (
	"sync"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"

	"chainlab/chain"
)

// sigCache remembers vote hashes (which cover the signature) whose signature verified, so a
// vote seen by gossip is not verified again when it arrives in a block.
type sigCache struct {
	mu  sync.Mutex
	max int
	m   map[chain.Hash]struct{}
}

func newSigCache(n int) *sigCache {
	if n < 1 {
		n = 1
	}
	return &sigCache{max: n, m: make(map[chain.Hash]struct{})}
}

func (c *sigCache) has(h chain.Hash) bool {
	c.mu.Lock()
	_, ok := c.m[h]
	c.mu.Unlock()
	return ok
}

func (c *sigCache) add(h chain.Hash) {
	c.mu.Lock()
	if len(c.m) >= c.max {
		clear(c.m) // simple bounded policy: start over
	}
	c.m[h] = struct{}{}
	c.mu.Unlock()
}

// VerifyVoteSig checks v's BIP-340 signature over v.SigningHash by v.Validator.
func VerifyVoteSig(v *chain.Vote) bool {
	return chain.VerifySchnorr(v.Validator, v.SigningHash(), v.Sig[:])
}

// pubKeys caches parsed validator keys: parsing an x-only key (lift_x) is a field square
// root, a sizeable share of one verification, and validators sign every epoch.
type pubKeys struct{ m sync.Map } // [32]byte -> *btcec.PublicKey

func (p *pubKeys) get(k [32]byte) (*btcec.PublicKey, bool) {
	if v, ok := p.m.Load(k); ok {
		return v.(*btcec.PublicKey), true
	}
	pk, err := schnorr.ParsePubKey(k[:])
	if err != nil {
		return nil, false
	}
	p.m.Store(k, pk)
	return pk, true
}

// verifyVote checks v's signature with a cached parsed key.
func (p *pubKeys) verifyVote(v *chain.Vote) bool {
	if p == nil {
		return VerifyVoteSig(v)
	}
	pk, ok := p.get(v.Validator)
	if !ok {
		return false
	}
	sig, err := schnorr.ParseSignature(v.Sig[:])
	if err != nil {
		return false
	}
	h := v.SigningHash()
	return sig.Verify(h[:], pk)
}

// VerifyVotes checks the signatures of votes on up to workers goroutines and returns the
// index of the first invalid one, or -1. btcec/v2's BIP-340 has no batch verification, so
// this is the parallel fallback; verified votes are remembered in the engine's cache.
func (e *Engine) VerifyVotes(votes []chain.Vote) int {
	return verifyVotes(votes, e.workers, e.sigs, e.keys)
}

func verifyVotes(votes []chain.Vote, workers int, cache *sigCache, keys *pubKeys) int {
	n := len(votes)
	bad := make([]bool, n)
	check := func(i int) {
		v := &votes[i]
		var h chain.Hash
		if cache != nil {
			h = v.Hash()
			if cache.has(h) {
				return
			}
		}
		if !keys.verifyVote(v) {
			bad[i] = true
			return
		}
		if cache != nil {
			cache.add(h)
		}
	}
	if workers <= 1 || n < 8 {
		for i := range votes {
			check(i)
		}
	} else {
		var wg sync.WaitGroup
		per := (n + workers - 1) / workers
		for lo := 0; lo < n; lo += per {
			hi := min(lo+per, n)
			wg.Add(1)
			go func(lo, hi int) {
				defer wg.Done()
				for i := lo; i < hi; i++ {
					check(i)
				}
			}(lo, hi)
		}
		wg.Wait()
	}
	for i, b := range bad {
		if b {
			return i
		}
	}
	return -1
}

// ValidateVote checks v against st, the state a block at blockSlot starts from (already in
// the block's epoch), without its signature:
//
//   - target epoch = epoch of v.Slot, and v.Slot < blockSlot <= v.Slot + EpochSlots
//     (phase0: MIN_ATTESTATION_INCLUSION_DELAY = 1, inclusion within one epoch), so the
//     target is the state's current or previous epoch;
//   - the validator is active in the target epoch and v.Slot is its assigned slot;
//   - the source is the state's current justified checkpoint for a current-epoch target,
//     the previous justified one for a previous-epoch target (phase0 process_attestation);
//   - no vote of this validator for this target epoch is included yet (ErrDuplicateVote).
//
// It returns the validator index and whether the target root is the branch's checkpoint.
//
// Spec pseudocode (phase0 process_attestation; committees reduced to one vote slot each):
//
//	def process_attestation(state: BeaconState, attestation: Attestation) -> None:
//	    data = attestation.data
//	    assert data.target.epoch in (get_previous_epoch(state), get_current_epoch(state))
//	    assert data.target.epoch == compute_epoch_at_slot(data.slot)
//	    assert data.slot + MIN_ATTESTATION_INCLUSION_DELAY <= state.slot <= data.slot + SLOTS_PER_EPOCH
//	    assert data.index < get_committee_count_per_slot(state, data.target.epoch)
//	    committee = get_beacon_committee(state, data.slot, data.index)
//	    assert len(attestation.aggregation_bits) == len(committee)
//	    pending_attestation = PendingAttestation(...)
//	    if data.target.epoch == get_current_epoch(state):
//	        assert data.source == state.current_justified_checkpoint
//	        state.current_epoch_attestations.append(pending_attestation)
//	    else:
//	        assert data.source == state.previous_justified_checkpoint
//	        state.previous_epoch_attestations.append(pending_attestation)
//	    # Verify signature
//	    assert is_valid_indexed_attestation(state, get_indexed_attestation(state, attestation))
func (e *Engine) ValidateVote(st *State, v *chain.Vote, blockSlot uint64) (int, bool, error) {
	E := e.pos.EpochSlots
	te := v.Target.Epoch
	if te != v.Slot/E {
		return 0, false, chain.NewRuleError(chain.ErrBadVote, "target epoch %d for slot %d", te, v.Slot)
	}
	if v.Slot >= blockSlot || blockSlot > v.Slot+E {
		return 0, false, chain.NewRuleError(chain.ErrBadVote, "vote of slot %d not includable at slot %d", v.Slot, blockSlot)
	}
	if v.Source.Epoch >= te && te > 0 {
		return 0, false, chain.NewRuleError(chain.ErrBadVote, "source epoch %d not before target %d", v.Source.Epoch, te)
	}
	var wantSource chain.Checkpoint
	var targetRoot chain.Hash
	switch {
	case te == st.Epoch:
		wantSource, targetRoot = st.CurJustified, st.CurTargetRoot
	case te+1 == st.Epoch:
		wantSource, targetRoot = st.PrevJustified, st.PrevTargetRoot
	default:
		return 0, false, chain.NewRuleError(chain.ErrBadVote, "target epoch %d, state epoch %d", te, st.Epoch)
	}
	ei, ok := st.EpochInfo(te)
	if !ok {
		return 0, false, chain.NewRuleError(chain.ErrBadVote, "no validator set for epoch %d", te)
	}
	idx, ok := st.index[v.Validator]
	if !ok || ei.find(idx) < 0 {
		return 0, false, chain.NewRuleError(chain.ErrBadVote, "%x is not active in epoch %d", v.Validator[:8], te)
	}
	if want, _ := ei.VoteSlot(idx, E); v.Slot != want {
		return 0, false, chain.NewRuleError(chain.ErrBadVote, "%x votes at slot %d, not %d", v.Validator[:8], want, v.Slot)
	}
	if v.Source != wantSource {
		return 0, false, chain.NewRuleError(chain.ErrBadVote, "source %d/%s, want %d/%s", v.Source.Epoch, v.Source.Root, wantSource.Epoch, wantSource.Root)
	}
	if st.HasVoted(int(idx), te) {
		return 0, false, chain.NewRuleError(chain.ErrDuplicateVote, "%x already voted for epoch %d", v.Validator[:8], te)
	}
	return int(idx), v.Target.Root == targetRoot, nil
}

// applyVotes validates and records a block's votes in st (at most MaxVotesPerBlock).
func (e *Engine) applyVotes(st *State, votes []chain.Vote, blockSlot uint64) error {
	if len(votes) > int(e.pos.MaxVotesPerBlock) {
		return chain.NewRuleError(chain.ErrTooManyVotes, "%d votes, max %d", len(votes), e.pos.MaxVotesPerBlock)
	}
	if len(votes) == 0 {
		return nil
	}
	words := (st.vals.Len() + 63) / 64
	own := func(b bitset) bitset { c := make(bitset, max(words, len(b))); copy(c, b); return c }
	st.curVoted, st.prevVoted = own(st.curVoted), own(st.prevVoted)
	st.curHit, st.prevHit = own(st.curHit), own(st.prevHit)
	for i := range votes {
		v := &votes[i]
		idx, hit, err := e.ValidateVote(st, v, blockSlot)
		if err != nil {
			return err
		}
		voted, hits := st.prevVoted, st.prevHit
		if v.Target.Epoch == st.Epoch {
			voted, hits = st.curVoted, st.curHit
		}
		voted.set(idx)
		if hit {
			hits.set(idx)
		}
	}
	if i := e.VerifyVotes(votes); i >= 0 {
		return chain.NewRuleError(chain.ErrBadVote, "vote %d: bad signature", i)
	}
	return nil
}
