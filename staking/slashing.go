package staking

import (
	"chainlab/chain"
)

// IsSlashableVoteData reports whether two votes of one validator are a slashable pair.
// The vote data is everything but the validator and signature (slot, head, source, target).
//
//	def is_slashable_attestation_data(data_1: AttestationData, data_2: AttestationData) -> bool:
//	    """
//	    Check if ``data_1`` and ``data_2`` are slashable according to Casper FFG rules.
//	    """
//	    return (
//	        # Double vote
//	        (data_1 != data_2 and data_1.target.epoch == data_2.target.epoch) or
//	        # Surround vote
//	        (data_1.source.epoch < data_2.source.epoch and data_2.target.epoch < data_1.target.epoch)
//	    )
func IsSlashableVoteData(a, b *chain.Vote) bool {
	return isDoubleVote(a, b) || isSurround(a, b)
}

func sameData(a, b *chain.Vote) bool {
	return a.Slot == b.Slot && a.Head == b.Head && a.Source == b.Source && a.Target == b.Target
}

func isDoubleVote(a, b *chain.Vote) bool {
	return !sameData(a, b) && a.Target.Epoch == b.Target.Epoch
}

// isSurround reports whether a surrounds b.
func isSurround(a, b *chain.Vote) bool {
	return a.Source.Epoch < b.Source.Epoch && b.Target.Epoch < a.Target.Epoch
}

// DetectSlashable returns evidence if a and b are signed by the same validator, are a
// slashable pair and both signatures verify. Nodes call it on every pair they see (gossip
// and blocks) with the validator's earlier votes to build evidence for their blocks.
func DetectSlashable(a, b *chain.Vote) (*chain.Evidence, bool) {
	if a.Validator != b.Validator {
		return nil, false
	}
	var kind chain.EvidenceKind
	switch {
	case isDoubleVote(a, b):
		kind = chain.EvidenceDoubleVote
	case isSurround(a, b) || isSurround(b, a):
		kind = chain.EvidenceSurroundVote
	default:
		return nil, false
	}
	if !VerifyVoteSig(a) || !VerifyVoteSig(b) {
		return nil, false
	}
	return &chain.Evidence{Kind: kind, VoteA: *a, VoteB: *b}, true
}

// DetectDoubleBlock returns evidence if a and b are two different sealed headers signed by
// the same proposer for the same slot.
func DetectDoubleBlock(a, b *chain.Header) (*chain.Evidence, bool) {
	if a.Seal == nil || b.Seal == nil || a.Seal.Proposer != b.Seal.Proposer || a.Seal.Slot != b.Seal.Slot {
		return nil, false
	}
	if a.SigningHash() == b.SigningHash() {
		return nil, false
	}
	if !chain.VerifySchnorr(a.Seal.Proposer, a.SigningHash(), a.Seal.Sig[:]) ||
		!chain.VerifySchnorr(b.Seal.Proposer, b.SigningHash(), b.Seal.Sig[:]) {
		return nil, false
	}
	ha, hb := *a, *b
	sa, sb := *a.Seal, *b.Seal
	ha.Seal, hb.Seal = &sa, &sb
	return &chain.Evidence{Kind: chain.EvidenceDoubleBlock, HeaderA: ha, HeaderB: hb}, true
}

// CheckEvidence verifies evidence on its own (kind, slashable pair, signatures) and returns
// the offender's validator key.
func CheckEvidence(ev *chain.Evidence) ([32]byte, error) {
	switch ev.Kind {
	case chain.EvidenceDoubleVote, chain.EvidenceSurroundVote:
		a, b := &ev.VoteA, &ev.VoteB
		if a.Validator != b.Validator {
			return [32]byte{}, chain.NewRuleError(chain.ErrBadEvidence, "votes by two validators")
		}
		ok := isDoubleVote(a, b)
		if ev.Kind == chain.EvidenceSurroundVote {
			ok = isSurround(a, b) || isSurround(b, a)
		}
		if !ok {
			return [32]byte{}, chain.NewRuleError(chain.ErrBadEvidence, "votes are not a %d pair", ev.Kind)
		}
		if !VerifyVoteSig(a) || !VerifyVoteSig(b) {
			return [32]byte{}, chain.NewRuleError(chain.ErrBadEvidence, "bad vote signature")
		}
		return a.Validator, nil
	case chain.EvidenceDoubleBlock:
		if _, ok := DetectDoubleBlock(&ev.HeaderA, &ev.HeaderB); !ok {
			return [32]byte{}, chain.NewRuleError(chain.ErrBadEvidence, "headers are not a signed double proposal")
		}
		return ev.HeaderA.Seal.Proposer, nil
	}
	return [32]byte{}, chain.NewRuleError(chain.ErrBadEvidence, "unknown evidence kind %d", ev.Kind)
}

// applySlashings applies a block's evidence to st: each offender must be a known,
// unslashed, not yet withdrawn validator; SlashPenaltyPercent of its balance is burned, it
// is marked slashed (no longer counted, rewarded or selected) and exits at the next epoch.
// It returns the whistleblower reward (WhistleblowerPct of the burned amounts) that the
// block's proposer may add to its coinbase.
//
// Spec pseudocode it simplifies (phase0 slash_validator):
//
//	def slash_validator(state, slashed_index, whistleblower_index=None):
//	    epoch = get_current_epoch(state)
//	    initiate_validator_exit(state, slashed_index)
//	    validator = state.validators[slashed_index]
//	    validator.slashed = True
//	    validator.withdrawable_epoch = max(validator.withdrawable_epoch, Epoch(epoch + EPOCHS_PER_SLASHINGS_VECTOR))
//	    state.slashings[epoch % EPOCHS_PER_SLASHINGS_VECTOR] += validator.effective_balance
//	    decrease_balance(state, slashed_index, validator.effective_balance // MIN_SLASHING_PENALTY_QUOTIENT)
//	    # Apply proposer and whistleblower rewards
//	    proposer_index = get_beacon_proposer_index(state)
//	    if whistleblower_index is None:
//	        whistleblower_index = proposer_index
//	    whistleblower_reward = Gwei(validator.effective_balance // WHISTLEBLOWER_REWARD_QUOTIENT)
//	    proposer_reward = Gwei(whistleblower_reward // PROPOSER_REWARD_QUOTIENT)
//	    increase_balance(state, proposer_index, proposer_reward)
//	    increase_balance(state, whistleblower_index, Gwei(whistleblower_reward - proposer_reward))
func (e *Engine) applySlashings(st *State, evs []chain.Evidence) (uint64, error) {
	if len(evs) == 0 {
		return 0, nil
	}
	var reward uint64
	b := st.vals.builder()
	for k := range evs {
		key, err := CheckEvidence(&evs[k])
		if err != nil {
			return 0, err
		}
		i, ok := st.index[key]
		if !ok {
			return 0, chain.NewRuleError(chain.ErrBadEvidence, "offender %x is not a validator", key[:8])
		}
		v := b.Mut(int(i))
		if v.Slashed || v.Withdrawn {
			return 0, chain.NewRuleError(chain.ErrBadEvidence, "validator %x already slashed or withdrawn", key[:8])
		}
		pen := v.Balance / 100 * e.pos.SlashPenaltyPercent
		pen += v.Balance % 100 * e.pos.SlashPenaltyPercent / 100
		v.Balance -= pen
		v.Slashed = true
		v.Exit = min(v.Exit, st.Epoch+1)
		reward += pen / 100 * e.pos.WhistleblowerPct
		reward += pen % 100 * e.pos.WhistleblowerPct / 100
	}
	st.vals = b.list()
	return reward, nil
}
