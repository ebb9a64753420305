package staking

import (
	"math/bits"

	"chainlab/chain"
)

// JustificationBitsLength is the length of the justification history (phase0: 4).
const JustificationBitsLength = 4

// FFG is the Casper FFG part of the state: the checkpoints and the justification history.
// Bits holds justification_bits: bit i set means epoch (current_epoch - i) is justified,
// where current_epoch is the epoch whose end was last processed.
type FFG struct {
	PrevJustified chain.Checkpoint
	CurJustified  chain.Checkpoint
	Finalized     chain.Checkpoint
	Bits          uint8
}

func (f FFG) bit(i uint) bool { return f.Bits&(1<<i) != 0 }

func (f FFG) allBits(from, to uint) bool {
	for i := from; i < to; i++ {
		if !f.bit(i) {
			return false
		}
	}
	return true
}

// Supermajority reports whether stake is at least 2/3 of total (integer math, exactly 2/3
// counts), computed without overflow for any uint64 inputs.
func Supermajority(stake, total uint64) bool {
	// stake*3 >= total*2 in 128-bit arithmetic.
	sh, sl := bits.Mul64(stake, 3)
	th, tl := bits.Mul64(total, 2)
	return sh > th || (sh == th && sl >= tl)
}

// WeighJustificationAndFinalization is the phase0 rule, run at the end of currentEpoch with
// the target stake of the previous and current epoch (only votes whose target root is the
// branch's checkpoint count) and the total active stake. prevRoot and curRoot are the
// branch's checkpoint roots of those epochs.
//
// Spec pseudocode (phase0 beacon-chain.md):
//
//	def weigh_justification_and_finalization(state, total_active_balance,
//	        previous_epoch_target_balance, current_epoch_target_balance):
//	    previous_epoch = get_previous_epoch(state)
//	    current_epoch = get_current_epoch(state)
//	    old_previous_justified_checkpoint = state.previous_justified_checkpoint
//	    old_current_justified_checkpoint = state.current_justified_checkpoint
//	    # Process justifications
//	    state.previous_justified_checkpoint = state.current_justified_checkpoint
//	    state.justification_bits[1:] = state.justification_bits[:JUSTIFICATION_BITS_LENGTH - 1]
//	    state.justification_bits[0] = 0b0
//	    if previous_epoch_target_balance * 3 >= total_active_balance * 2:
//	        state.current_justified_checkpoint = Checkpoint(epoch=previous_epoch,
//	                                                        root=get_block_root(state, previous_epoch))
//	        state.justification_bits[1] = 0b1
//	    if current_epoch_target_balance * 3 >= total_active_balance * 2:
//	        state.current_justified_checkpoint = Checkpoint(epoch=current_epoch,
//	                                                        root=get_block_root(state, current_epoch))
//	        state.justification_bits[0] = 0b1
//	    # Process finalizations
//	    bits = state.justification_bits
//	    # The 2nd/3rd/4th most recent epochs are justified, the 2nd using the 4th as source
//	    if all(bits[1:4]) and old_previous_justified_checkpoint.epoch + 3 == current_epoch:
//	        state.finalized_checkpoint = old_previous_justified_checkpoint
//	    # The 2nd/3rd most recent epochs are justified, the 2nd using the 3rd as source
//	    if all(bits[1:3]) and old_previous_justified_checkpoint.epoch + 2 == current_epoch:
//	        state.finalized_checkpoint = old_previous_justified_checkpoint
//	    # The 1st/2nd/3rd most recent epochs are justified, the 1st using the 3rd as source
//	    if all(bits[0:3]) and old_current_justified_checkpoint.epoch + 2 == current_epoch:
//	        state.finalized_checkpoint = old_current_justified_checkpoint
//	    # The 1st/2nd most recent epochs are justified, the 1st using the 2nd as source
//	    if all(bits[0:2]) and old_current_justified_checkpoint.epoch + 1 == current_epoch:
//	        state.finalized_checkpoint = old_current_justified_checkpoint
//
// The caller applies the genesis skip (process_justification_and_finalization returns
// while current_epoch <= GENESIS_EPOCH + 1); see ProcessJustificationAndFinalization.
func WeighJustificationAndFinalization(f FFG, currentEpoch, total, prevTarget, curTarget uint64, prevRoot, curRoot chain.Hash) FFG {
	var previousEpoch uint64
	if currentEpoch > 0 {
		previousEpoch = currentEpoch - 1
	}
	oldPrev := f.PrevJustified
	oldCur := f.CurJustified

	f.PrevJustified = f.CurJustified
	f.Bits = (f.Bits << 1) & (1<<JustificationBitsLength - 1)
	if Supermajority(prevTarget, total) {
		f.CurJustified = chain.Checkpoint{Epoch: previousEpoch, Root: prevRoot}
		f.Bits |= 1 << 1
	}
	if Supermajority(curTarget, total) {
		f.CurJustified = chain.Checkpoint{Epoch: currentEpoch, Root: curRoot}
		f.Bits |= 1 << 0
	}

	if f.allBits(1, 4) && oldPrev.Epoch+3 == currentEpoch {
		f.Finalized = oldPrev
	}
	if f.allBits(1, 3) && oldPrev.Epoch+2 == currentEpoch {
		f.Finalized = oldPrev
	}
	if f.allBits(0, 3) && oldCur.Epoch+2 == currentEpoch {
		f.Finalized = oldCur
	}
	if f.allBits(0, 2) && oldCur.Epoch+1 == currentEpoch {
		f.Finalized = oldCur
	}
	return f
}

// ProcessJustificationAndFinalization applies the genesis skip and then the weighing.
//
//	def process_justification_and_finalization(state: BeaconState) -> None:
//	    # Initial FFG checkpoint values have a `0x00` stub for `root`.
//	    # Skip FFG updates in the first two epochs to avoid corner cases that might result in modifying this stub.
//	    if get_current_epoch(state) <= GENESIS_EPOCH + 1:
//	        return
//	    previous_attestations = get_matching_target_attestations(state, get_previous_epoch(state))
//	    current_attestations = get_matching_target_attestations(state, get_current_epoch(state))
//	    total_active_balance = get_total_active_balance(state)
//	    previous_target_balance = get_attesting_balance(state, previous_attestations)
//	    current_target_balance = get_attesting_balance(state, current_attestations)
//	    weigh_justification_and_finalization(state, total_active_balance, previous_target_balance, current_target_balance)
func ProcessJustificationAndFinalization(f FFG, currentEpoch, total, prevTarget, curTarget uint64, prevRoot, curRoot chain.Hash) FFG {
	if currentEpoch <= 1 {
		return f
	}
	// get_total_active_balance floors the total at EFFECTIVE_BALANCE_INCREMENT: an epoch
	// with no active stake justifies nothing.
	total = max(total, 1)
	return WeighJustificationAndFinalization(f, currentEpoch, total, prevTarget, curTarget, prevRoot, curRoot)
}
