// Package chain is chainlab's ledger: types and canonical encoding, the UTXO set, block
// validation, the block tree with side chains, the fork-choice driver and reorganisations,
// all stored in LevelDB (schema.go). Consensus specifics come from an Engine (PoW in miner,
// PoS in staking, a test engine in chain/chaintest); chain never imports an engine.
//
// # Validation pipeline
//
// ProcessBlock(b, now) runs, in order:
//
//  1. Duplicate and known-invalid checks against the index and the orphan pool
//     (ErrDuplicateBlock, ErrKnownInvalid).
//  2. Context-free block rules, CheckBlockSanity: encoded size <= Params.MaxBlockSize,
//     header version, first tx and only the first a coinbase, consensus fields (votes,
//     slashings and a seal only for engine "pos", with ErrTooManyVotes and the vote root =
//     Block.ComputeVoteRoot), every transaction's context-free rules
//     (CheckTransactionSanity: inputs/outputs present, size, values <= MaxMoney and their sum,
//     coinbase data length, witness sizes, duplicate inputs, lock shape), merkle root, the
//     CVE-2012-2459 duplicated-tail mutation, duplicate txids, and two spends of one
//     outpoint in the block (ErrDoubleSpend). A failure stores nothing and does not mark the
//     hash invalid (a mutated copy has the hash of a valid block).
//  3. Parent lookup: an unknown parent puts the block in the bounded orphan pool (ErrOrphan,
//     Result.Status == StatusOrphan); it is processed when its parent arrives.
//  4. Header acceptance (also ProcessHeaders): parent not invalid, version, time > median of
//     the last 11 blocks (ErrTimeTooOld) and <= now + Params.MaxFutureDrift (ErrTimeTooNew),
//     descends from the absolutely final block (ErrFinalizedConflict), Engine.VerifyHeader
//     with the parent's engine state (deferred to connect time if that state is not known
//     yet), Engine.Weight. Coinbase height = parent height + 1 (ErrBadCoinbaseData). The body
//     and index entry are stored in one batch; an engine that is a BlockObserver then sees
//     the stored body (PoS: its votes weigh in fork choice even on a side branch).
//  5. Fork choice: the engine's ForkChooser.ChooseHead over a BlockTree if it has one,
//     otherwise the connectable block with the most cumulative Weight, ties to the first
//     seen. Branches that would revert an absolutely final block are never chosen.
//  6. Connect (contextual rules, per block, on a UTXOView): locktime (ErrLockTime), inputs
//     exist and are unspent (ErrMissingInput), coinbase maturity (ErrImmatureSpend), value
//     ranges, Engine.CheckTx and its value adjustment, value conservation (ErrSpendTooHigh),
//     fees; all input signatures (SigHash over SpentOutputsHash, BIP-340) are verified in
//     parallel on Config.SigWorkers goroutines through the SigCache (ErrBadSignature) — for
//     big blocks on a pipeline that overlaps the input checks, with the same precedence: a
//     contextual error is reported before any signature failure; then
//     Engine.Apply with the fees and the parent's state, and coinbase <= ctx.MaxCoinbase
//     (ErrBadCoinbaseValue).
//  7. Write: a pure extension is validated and written block by block; a reorganisation
//     first disconnects (undo records) and connects the whole new branch on stacked views,
//     and writes nothing unless all of it passes. Then every disconnect and every connect
//     is one LevelDB batch: UTXO changes, undo, engine state, main-chain height key, index
//     status, tx/address indexes, tip, finality and the UTXO count/total/digest summary.
//  8. A block failing step 6 is marked invalid (and its descendants invalid-parent) on disk,
//     and fork choice runs again, falling back to the best valid tip.
//
// # Error policy
//
// Rule violations are *RuleError with an ErrorKind (errors.Is(err, ErrBadMerkleRoot)).
// Storage failures and store corruption (*CorruptionError) are plain wrapped errors, never
// RuleErrors; after one, the in-memory state may lag the store and the Chain should be
// reopened. ErrOrphan and ErrDuplicateBlock are not misbehaviour. Engines return RuleErrors
// for their rules; any other engine error is treated as an internal failure.
//
// # Lock groups
//
// One sync.RWMutex (Chain.mu) guards the block tree (index, main chain, candidates, orphan
// pool, sequence), the ledger summary (UTXO stats, finality, engine-state cache) and the
// closed flag. Writers (ProcessBlock, ProcessHeaders, Reconsider, Close) take it
// exclusively; every query takes it shared (including the mempool's input checks and
// NewTemplate, which call the engine read-only: see the Engine doc). Three leaf mutexes are never held while taking
// Chain.mu: the UTXO cache's and the engine-state cache's (readers fill them concurrently)
// and the SigCache's. The engine
// is called with Chain.mu held (exclusively on writes, shared on reads) and gets a
// lock-free HeaderReader/BlockTree: it must not call the Chain's public methods. The chain never calls back into its callers; results
// (Result) are returned and the caller (node) notifies mempool, p2p and rpc after the lock
// is released. Signature workers only compute and never outlive the call.
//
// # Determinism
//
// The chain reads no clock and no global randomness: `now` comes from the caller. A
// header whose check was deferred (step 4) is verified at connect time with its own
// timestamp as `now`, so replays agree.
//
// # Genesis
//
// The genesis allocations are spendable at once (stored as non-coinbase coins, no maturity).
package chain
