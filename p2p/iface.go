package p2p

import (
	"time"

	"chainlab/chain"
)

// Chain is the part of *chain.Chain the network layer consumes. ProcessBlock and
// ProcessHeaders return *chain.RuleError for rule violations (mapped to misbehaviour
// scores by score.go) and plain errors for storage failures (never blamed on the peer).
type Chain interface {
	GenesisHash() chain.Hash
	Tip() (chain.Hash, uint64)
	// Height returns the height of any indexed header (main chain, side chain, or a
	// header-only entry added by ProcessHeaders).
	Height(h chain.Hash) (uint64, bool)
	// HaveBlock reports whether the block body is stored.
	HaveBlock(h chain.Hash) bool
	// BlockBytes returns the canonical encoding of a stored block (chain.ErrNotFound if absent).
	BlockBytes(h chain.Hash) ([]byte, error)
	// Locator returns a Bitcoin-style block locator of the main chain.
	Locator() []chain.Hash
	// HeadersAfter returns up to max main-chain headers after the first locator hash found on
	// the main chain (after genesis if none), stopping at stop.
	HeadersAfter(locator []chain.Hash, stop chain.Hash, max int) []*chain.Header
	ProcessHeaders(hs []*chain.Header, now time.Time) error
	ProcessBlock(b *chain.Block, now time.Time) (*ChainResult, error)
}

// TxPool is the part of *chain.Mempool the network layer consumes. Add returns a
// *chain.RuleError for a rejected transaction.
type TxPool interface {
	Add(tx *chain.Tx, now time.Time) (fee uint64, err error)
	Has(txid chain.Hash) bool
	Get(txid chain.Hash) (*chain.Tx, bool)
}

// VotePool holds validator votes and slashing evidence (PoS). Optional: without it votes
// and evidence are neither accepted nor relayed. Add* return *chain.RuleError for invalid
// items; votes are keyed by chain.Vote.Hash, evidence by chain.Evidence.Hash.
type VotePool interface {
	AddVote(v *chain.Vote, now time.Time) error
	HasVote(h chain.Hash) bool
	GetVote(h chain.Hash) (*chain.Vote, bool)
	AddEvidence(e *chain.Evidence, now time.Time) error
	HasEvidence(h chain.Hash) bool
	GetEvidence(h chain.Hash) (*chain.Evidence, bool)
}
