package chain

import (
	"math/big"
	"time"

	"chainlab/genesis"
)

// HeaderReader is the read-only view of the block tree an engine gets. It sees every
// header the chain has accepted into its index (main chain and side chains).
type HeaderReader interface {
	Params() *genesis.Params
	// Header returns any indexed header by hash.
	Header(hash Hash) (*Header, bool)
	// Height returns the height of an indexed header.
	Height(hash Hash) (uint64, bool)
	// HeaderAt returns the main-chain header at height.
	HeaderAt(height uint64) (*Header, bool)
	// Ancestor returns the ancestor of hash at height (hash itself if at that height),
	// following hash's own branch.
	Ancestor(hash Hash, height uint64) (*Header, bool)
}

// Coin is an unspent output and where it came from.
type Coin struct {
	Out      TxOut
	Height   uint64
	Coinbase bool
}

// UTXOReader looks up unspent outputs. A missing output returns (nil, nil); errors are
// storage failures, never rule violations.
type UTXOReader interface {
	Coin(op OutPoint) (*Coin, error)
}

// EngineState is an engine's consensus state after a block (PoS: validator set, balances,
// checkpoints). It is immutable once returned; the chain keeps it per block and persists
// Encode() in the same batch as the block's connect. PoW engines use nil.
type EngineState interface {
	Encode() []byte
}

// Finality is one shape of finality for both engines.
type Finality struct {
	// Hash and Height of the latest block that can no longer be reverted (PoW: the block
	// FinalityDepth below the tip; PoS: the finalized checkpoint's root).
	Hash   Hash
	Height uint64
	// PoS only: the finalized and current justified checkpoints.
	Finalized Checkpoint
	Justified Checkpoint
	// Absolute is true when the chain must refuse any reorg below Hash (PoS). PoW's k-deep
	// rule is probabilistic and is reported but not enforced unless the engine says so.
	Absolute bool
}

// ApplyContext is what Apply gets and returns for one block.
type ApplyContext struct {
	Height uint64
	View   UTXOReader  // the UTXO set as of the parent block
	Parent EngineState // engine state after the parent (the genesis state at height 1)
	Fees   uint64      // total fees of the block's non-coinbase transactions
	// Apply sets these:
	State       EngineState // engine state after this block
	MaxCoinbase uint64      // the most the coinbase may pay out
}

// Engine is the consensus module: everything that differs between PoW and PoS. Engines are
// deterministic: time comes in as `now`, never from the clock. Writes (ProcessBlock,
// ProcessHeaders, Reconsider) call the engine under the chain's exclusive lock, one call at
// a time. Read paths (mempool admission, block templates, state lookups) may call CheckTx,
// Prepare, Apply (on a scratch context), DecodeState, Finality and Weight concurrently under
// the chain's shared lock: an engine must treat its inputs as read-only and guard any
// internal cache with its own lock.
type Engine interface {
	// Name is "pow" or "pos" (or a test engine's name).
	Name() string
	// GenesisState is the engine state after the genesis block.
	GenesisState() (EngineState, error)
	// DecodeState decodes a state persisted with EngineState.Encode.
	DecodeState(b []byte) (EngineState, error)
	// VerifyHeader checks the consensus fields of h (PoW target and bits; PoS slot,
	// proposer and signature). Its parent is already indexed. parent is the engine state
	// after h's parent block (nil if the engine keeps none).
	VerifyHeader(r HeaderReader, h *Header, parent EngineState, now time.Time) error
	// Prepare fills the consensus fields of a header template on top of its parent (PoW:
	// bits; PoS: slot, proposer, vote root). Sealing (nonce search, signing) happens outside.
	Prepare(r HeaderReader, h *Header, parent EngineState, now time.Time) error
	// Apply checks and applies the consensus effects of a block whose transactions the
	// chain has validated (stake changes, votes, slashings, rewards) and returns the new
	// state and the coinbase limit in ctx.
	Apply(r HeaderReader, b *Block, ctx *ApplyContext) error
	// CheckTx applies engine rules to a non-coinbase transaction at height (stake and unbond
	// transitions, unbonding release). spent[i] is what input i spends. It returns a signed
	// adjustment to the inputs' value (PoS: rewards or penalties released by an unbond).
	CheckTx(r HeaderReader, st EngineState, tx *Tx, spent []*Coin, height uint64) (int64, error)
	// Weight is the fork-choice weight h adds to its branch (PoW: work 2^256/(target+1)).
	Weight(r HeaderReader, h *Header) (*big.Int, error)
	// Finality reports what is final as of tip, given the engine state after tip.
	Finality(r HeaderReader, tip *Header, st EngineState) Finality
}

// BlockTree is what a ForkChooser sees: indexed, not-invalid blocks with their states.
type BlockTree interface {
	HeaderReader
	// Children returns the indexed, connectable children of hash.
	Children(hash Hash) []Hash
	// State returns the engine state after hash (only for blocks whose transactions have
	// been validated, i.e. blocks connected at least once or on the main chain).
	State(hash Hash) (EngineState, bool)
	// Tip is the current main-chain tip.
	Tip() Hash
}

// ForkChooser is an optional Engine capability: choose the head among the known blocks
// (PoS: LMD-GHOST from the justified checkpoint). Engines without it get the chain's
// default: most cumulative Weight, ties to the first seen.
type ForkChooser interface {
	ChooseHead(t BlockTree) (Hash, error)
}

// BlockObserver is an optional Engine capability: the chain shows it every block body it
// stores, side branches included, before fork choice runs. A block's votes count in PoS
// fork choice whether or not the block is ever connected (phase0 on_block feeds the
// block's attestations to on_attestation for every block, not just the canonical chain);
// without this the votes carried only by a side branch would never weigh for it, and the
// branch would never be connected. ObserveBlock runs under the chain's exclusive lock; it
// must not call back into the chain's locking methods, and it must not trust b beyond what
// it verifies itself (its transactions and engine rules are checked only at connect).
type BlockObserver interface {
	ObserveBlock(r HeaderReader, b *Block)
}

// Work returns 2^256 / (target+1) for a compact-bits target, as Bitcoin's GetBlockProof.
func Work(bits uint32) *big.Int {
	t, bad := genesis.CompactToBig(bits)
	if bad || t.Sign() <= 0 {
		return big.NewInt(0)
	}
	num := new(big.Int).Lsh(big.NewInt(1), 256)
	return num.Div(num, t.Add(t, big.NewInt(1)))
}
