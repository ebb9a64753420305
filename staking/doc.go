// Package staking is chainlab's proof-of-stake consensus engine: a stake-weighted slot
// proposer, Casper FFG justification and finalization (Ethereum phase0 rules), LMD-GHOST
// fork choice, slashing, the inactivity leak, rewards, and the validator duties as a pure
// state machine. It implements chain.Engine and chain.ForkChooser.
//
// # Time
//
// Slot s starts at genesis time + s*SlotMillis; slot = (now - genesis time) / slot length.
// Epoch = slot / EpochSlots. The genesis block is slot 0; every block carries its slot in
// its seal, and a header's Time must be the start of its slot in whole seconds
// (ErrBadSlotTime). A header whose slot starts more than SlotDriftMillis after `now` is
// ErrFutureSlot; its slot must exceed its parent's (ErrSlotNotAfterParent).
// Because Time has whole-second resolution, slots shorter than a second put consecutive
// blocks in one second, which the chain's median-time-past rule (time > MTP) rejects:
// with the chain as it is, use slot_ms >= 1000 (pos-dev: 1000).
//
// # Stake on the UTXO ledger (CheckTx, Apply)
//
//   - A stake output (LockStake: validator key, owner key) of at least MinStake bonds a new
//     validator; a key can be bonded once (ErrBadStake). It is active from epoch
//     E + ActivationDelay (at least 1), E being the epoch of the including block.
//     The coinbase may only carry pay outputs. Genesis validators are the genesis
//     coinbase's stake outputs, active from epoch 0.
//   - Spending the stake output (the owner signs) starts the exit: the transaction must
//     create an unbonding output with the same validator key and owner, Release in
//     {E+UnbondingEpochs, E+UnbondingEpochs+1} and value equal to the validator's current
//     balance, where E is the epoch of the state CheckTx is given (the parent's). CheckTx
//     returns the adjustment balance - bonded value (rewards minus penalties), which the
//     chain adds to the inputs' value. The validator stays active until
//     E + ExitDelay (at least 1); its balance keeps moving until then.
//   - The unbonding output is spendable by its owner once E >= Release and E >= the
//     validator's exit epoch (ErrLockedOutput); that spend returns the adjustment
//     balance - unbonding value (what accrued, or was slashed, after the unbond).
//
// # Validator sets, seed and proposers
//
// The validator set of epoch e (an EpochInfo: active unslashed validators weighted by
// balance, and their vote slots) is taken when a branch enters e, i.e. from the state after
// the last block with a slot before e's first slot: it is a pure function of the chain up
// to that boundary. Activation and exit take effect at least one epoch later, and
// slashing removes a validator from the next epoch's set.
//
// Seed: every block folds its proposer's signature into a running mix,
// mix' = TaggedHash("chainlab/mix", mix || sig) (genesis: mix = genesis hash). On entering
// epoch e the seed of epoch e+1 is fixed as TaggedHash("chainlab/seed", e+1 || mix), so
// proposers and committees are known one full epoch ahead. Proposer of slot s:
// x = the first 8 bytes of TaggedHash("chainlab/proposer", seed || s), r = x*Total/2^64,
// the first active validator whose cumulative weight exceeds r (probability proportional
// to stake). A validator slashed after the epoch's set was fixed keeps its draws but may
// not propose (the slot stays empty). Vote slots: the active validators sorted by
// TaggedHash("chainlab/committee", seed || key), then split into EpochSlots committees as
// phase0's compute_committee does (sizes differ by at most one).
//
// Grinding trade-off: BIP-340 signatures carry nonce randomness, so a proposer can try many
// signatures (and block contents) and publish the one whose mix gives a seed it likes; the
// last proposers before an epoch boundary can bias the schedule of the epoch after next
// (or withhold their block: one bit). With the one-epoch lookahead this costs a signature
// per try and buys at most a share of future slots; Ethereum removes the free choice with a
// deterministic BLS RANDAO reveal, and a VRF would too. A testbed accepts the bias in
// exchange for a seed every node derives from the chain alone.
//
// # Votes and FFG
//
// A vote (chain.Vote, BIP-340 over Vote.SigningHash) is (slot, head, source, target). Each
// active validator votes once per epoch at its assigned slot. A block at slot b may carry
// up to MaxVotesPerBlock votes (ErrTooManyVotes) with v.Slot < b <= v.Slot + EpochSlots,
// target epoch = epoch(v.Slot) (so the current or previous epoch), the validator active in
// it at its own slot, and source equal to the state's current (or, for a previous-epoch
// target, previous) justified checkpoint (ErrBadVote; bad signatures too). A second vote of
// one validator for one target epoch on a branch is ErrDuplicateVote. A vote counts for
// justification when its target root is the branch's checkpoint root for that epoch (the
// block at the epoch's first slot, or the latest block before it).
//
// End of epoch c (run when the first block of a later epoch is applied, for every epoch in
// between): process_justification_and_finalization with the stake of correct target votes
// of epochs c-1 and c against the total active stake of c (2/3 rule, 4-bit history, k=1/k=2
// finalization, genesis skip for c <= 1; see ffg.go); rewards for epoch c-1; ejection of
// validators below MinStake/2; the set and seed of c+1.
//
// # Rewards, penalties, slashing
//
//   - Proposer: subsidy + fees + ProposerVoteReward per included vote (+ whistleblower
//     rewards) through ApplyContext.MaxCoinbase.
//   - Voter: VoterReward per correct-target vote, credited to its balance at the end of the
//     following epoch (once every vote of the epoch could have been included).
//   - Inactivity leak (InactivityLeak): when previous epoch - finalized epoch >
//     InactivityThreshold, every active validator without a correct-target vote for the
//     previous epoch loses InactivityPenaltyBP basis points of its balance per epoch, so
//     an offline third shrinks until the online stake is a 2/3 supermajority again.
//   - Slashing: double vote and surround vote (is_slashable_attestation_data) and a double
//     proposal (two signed headers, one proposer, one slot). Evidence in a block burns
//     SlashPenaltyPercent of the offender's balance, marks it slashed (its votes stop
//     counting, it earns nothing) and ejects it at the next epoch; the block's proposer may
//     add WhistleblowerPct of the burned amount to its coinbase. DetectSlashable and
//     DetectDoubleBlock build evidence from what a node sees.
//
// # Fork choice (ChooseHead, OnVote)
//
// The engine keeps a store: the latest vote per validator (from every stored block,
// side branches included, through ObserveBlock (chain.BlockObserver), and from gossip
// through OnVote, which checks the key and signature and refuses targets more than
// two epochs beyond any applied block; thread-safe) and the best justified and finalized
// checkpoints. ChooseHead walks the subtree of the finalized root (so it never returns a
// head conflicting with finality), takes the highest justified checkpoint among its
// leaves' states, filters leaves whose state does not agree with it, and runs LMD-GHOST
// from it with the stakes of the justified root's state, ties to the greater hash. A side
// block the chain has not validated yet has no state; it is judged by its nearest
// ancestor's when no epoch boundary lies between them (checkpoints move only at
// boundaries), and is otherwise viable until connected (its checkpoints are unknown), so a
// heavier side branch always gets connected and judged by its real state — the minority
// side of a healed partition reorganises to the majority's branch. A lighter one (or one
// losing a tie) would never be connected, so its checkpoints would stay unknown: the
// engine keeps the bodies of stored, unconnected blocks and replays their consensus
// transition (votes, slashings, epoch processing; not stake transactions) from the nearest
// state (sidebranch.go). Such an estimate only raises the justified checkpoint of that
// choice (spec on_block/update_checkpoints), so after a 2|2 partition the side that
// justified less moves to the branch that justified more; it is never stored, never
// finalizes, and never filters the estimated leaf itself. Finality() reports the state's
// finalized checkpoint with Absolute = true: the chain refuses to reorganise below it.
// Use one Engine per Chain (the store is per chain); a VoteSigCache may be shared.
// After feeding votes, the node calls Chain.Reconsider to let the head move.
//
// # Duties and slashing protection
//
// Duties is the proposer/voter state machine (inputs Tick, NewHead, SeenVote, SeenHeader;
// outputs in Ready: blocks, votes, evidence, finality changes). It proposes in the first
// half of a slot, votes at the middle of the slot or as soon as the slot's block is the
// head, keeps a pool of votes to include, and detects slashable pairs. Every signature
// goes through Protection, a small JSON file rewritten atomically before a signature is
// released (watermarks: block slot increases; vote source never decreases and target
// increases), so an honest validator never signs a slashable pair, even across restarts.
//
// # State layout
//
// State (immutable once returned; Encode/DecodeState, version 1) holds: slot and epoch;
// validator records (key, owner, bonding outpoint, bonded value, balance, activation and
// exit epochs, slashed/unbonded/withdrawn) in a persistent list of 64-record chunks, so a
// block copies only the chunk pointer slice and the chunks it changes, and a key → index
// map copied only when a validator is added; the FFG checkpoints and bits; the checkpoint
// roots of the current and previous epoch; the EpochInfo of both epochs (shared by all
// states of the epoch); participation bitsets per epoch (voted / correct target), copied
// once per block that carries votes; the mix and next seed; last reward totals. Rewards
// are credited at epoch boundaries, so there is no separate pending-rewards queue.
//
// # Deviations from the Ethereum specs
//
//   - One vote per validator per epoch instead of aggregated attestations; no BLS, no
//     aggregation, no sync committees; committees are only vote slots.
//   - Weights are balances at the epoch snapshot, not effective balances with hysteresis.
//   - No base reward curve: flat VoterReward and ProposerVoteReward from genesis; no
//     penalty for a missed vote outside the leak; the leak is a flat rate of the balance,
//     not an inactivity-score quadratic.
//   - Slashing burns a fixed percentage at once (no correlation penalty) and exits the
//     validator at the next epoch; withdrawal is gated by the unbonding output's Release.
//   - The seed is a mix of proposer signatures (see above), not a BLS RANDAO.
//   - Fork choice has no proposer boost and no unrealized justification; viability is
//     "state's justified checkpoint equals the store's" (phase0 filter_block_tree). Side
//     blocks are not fully processed on arrival (the chain validates transactions only
//     when connecting): their checkpoints are estimated by a transition without stake
//     transactions, used only to raise the justified checkpoint of one choice.
//   - FFG weights of the previous epoch use that epoch's snapshot weights.
//
// # Errors
//
// Rule violations are *chain.RuleError with the chain's kinds (ErrWrongProposer,
// ErrFutureSlot, ErrSlotNotAfterParent, ErrBadBlockSignature, ErrBadSlotTime,
// ErrUnexpectedSeal, ErrBadVoteRoot, ErrBadVote, ErrDuplicateVote, ErrTooManyVotes,
// ErrBadEvidence, ErrBadStake, ErrLockedOutput). Storage errors from the UTXO view pass
// through unchanged. Slashing protection refusals wrap ErrSlashableSign; undecodable
// states wrap ErrBadState.
package staking
