package chain

import "fmt"

// ErrorKind identifies a rule violation. Kinds are stable strings: they appear in RPC error
// messages, peer reject messages and logs, and errors.Is matches them through wrapping.
type ErrorKind string

// Error makes ErrorKind an error so that errors.Is(err, chain.ErrBadMerkleRoot) works.
func (k ErrorKind) Error() string { return string(k) }

// RuleError is a consensus or policy rule violation: a kind and a human description.
type RuleError struct {
	Kind        ErrorKind
	Description string
}

func (e *RuleError) Error() string {
	if e.Description == "" {
		return string(e.Kind)
	}
	return fmt.Sprintf("%s: %s", e.Kind, e.Description)
}

// Unwrap returns the kind.
func (e *RuleError) Unwrap() error { return e.Kind }

func ruleError(kind ErrorKind, desc string) error { return &RuleError{Kind: kind, Description: desc} }

// NewRuleError builds a RuleError; engines use it for their own kinds.
func NewRuleError(kind ErrorKind, format string, a ...any) error {
	return &RuleError{Kind: kind, Description: fmt.Sprintf(format, a...)}
}

// Encoding.
const (
	ErrMalformed ErrorKind = "ErrMalformed" // undecodable, truncated, non-canonical, oversize length
)

// Context-free block and transaction rules.
const (
	ErrBlockTooBig        ErrorKind = "ErrBlockTooBig"
	ErrNoTransactions     ErrorKind = "ErrNoTransactions"
	ErrFirstTxNotCoinbase ErrorKind = "ErrFirstTxNotCoinbase"
	ErrMultipleCoinbases  ErrorKind = "ErrMultipleCoinbases"
	ErrBadCoinbaseData    ErrorKind = "ErrBadCoinbaseData" // missing/short data or wrong height
	ErrBadMerkleRoot      ErrorKind = "ErrBadMerkleRoot"
	ErrMerkleMutation     ErrorKind = "ErrMerkleMutation" // CVE-2012-2459 duplicated tail
	ErrDuplicateTx        ErrorKind = "ErrDuplicateTx"
	ErrNoTxInputs         ErrorKind = "ErrNoTxInputs"
	ErrNoTxOutputs        ErrorKind = "ErrNoTxOutputs"
	ErrTxTooBig           ErrorKind = "ErrTxTooBig"
	ErrBadTxOutValue      ErrorKind = "ErrBadTxOutValue" // zero, over max money, or sum overflow
	ErrDuplicateTxInputs  ErrorKind = "ErrDuplicateTxInputs"
	ErrBadTxInput         ErrorKind = "ErrBadTxInput"      // null prevout in non-coinbase, data in non-coinbase
	ErrBadWitness         ErrorKind = "ErrBadWitness"      // wrong witness size
	ErrBadLock            ErrorKind = "ErrBadLock"         // malformed lock fields
	ErrUnexpectedVotes    ErrorKind = "ErrUnexpectedVotes" // votes/slashings/seal in a block that may not carry them
	ErrBadVoteRoot        ErrorKind = "ErrBadVoteRoot"
	ErrTimeTooOld         ErrorKind = "ErrTimeTooOld" // <= median time past
	ErrTimeTooNew         ErrorKind = "ErrTimeTooNew" // beyond now + max drift
	ErrBadVersion         ErrorKind = "ErrBadVersion"
)

// Contextual rules.
const (
	ErrMissingInput     ErrorKind = "ErrMissingInput"  // spent or never existed
	ErrDoubleSpend      ErrorKind = "ErrDoubleSpend"   // two spends of one output (block or mempool)
	ErrImmatureSpend    ErrorKind = "ErrImmatureSpend" // coinbase before maturity
	ErrBadSignature     ErrorKind = "ErrBadSignature"
	ErrSpendTooHigh     ErrorKind = "ErrSpendTooHigh"     // outputs exceed inputs
	ErrBadCoinbaseValue ErrorKind = "ErrBadCoinbaseValue" // more than subsidy + fees
	ErrLockTime         ErrorKind = "ErrLockTime"         // not final at this height
	ErrLockedOutput     ErrorKind = "ErrLockedOutput"     // unbonding before release, or lock rule of the engine
	ErrBadStake         ErrorKind = "ErrBadStake"         // stake/unbond transition broken
)

// Block tree rules.
const (
	ErrDuplicateBlock    ErrorKind = "ErrDuplicateBlock"
	ErrOrphan            ErrorKind = "ErrOrphan"            // parent unknown (kept in the orphan pool)
	ErrKnownInvalid      ErrorKind = "ErrKnownInvalid"      // block or an ancestor failed before
	ErrFinalizedConflict ErrorKind = "ErrFinalizedConflict" // would revert a finalized block
	ErrBadGenesis        ErrorKind = "ErrBadGenesis"
)

// Header/consensus rules (the engines use these kinds).
const (
	ErrHighHash           ErrorKind = "ErrHighHash"       // PoW hash above target
	ErrBadBits            ErrorKind = "ErrBadBits"        // bits differ from the difficulty algorithm
	ErrBadPowLimit        ErrorKind = "ErrBadPowLimit"    // target easier than the pow limit
	ErrUnexpectedSeal     ErrorKind = "ErrUnexpectedSeal" // PoW header with a seal / PoS without
	ErrWrongProposer      ErrorKind = "ErrWrongProposer"
	ErrFutureSlot         ErrorKind = "ErrFutureSlot"
	ErrSlotNotAfterParent ErrorKind = "ErrSlotNotAfterParent"
	ErrBadBlockSignature  ErrorKind = "ErrBadBlockSignature"
	ErrBadSlotTime        ErrorKind = "ErrBadSlotTime" // header time does not match its slot
	ErrBadVote            ErrorKind = "ErrBadVote"
	ErrDuplicateVote      ErrorKind = "ErrDuplicateVote"
	ErrTooManyVotes       ErrorKind = "ErrTooManyVotes"
	ErrBadEvidence        ErrorKind = "ErrBadEvidence"
)

// Mempool policy.
const (
	ErrMempoolConflict   ErrorKind = "ErrMempoolConflict" // spends an output another pool tx spends
	ErrMempoolFull       ErrorKind = "ErrMempoolFull"     // fee rate below the eviction floor
	ErrFeeTooLow         ErrorKind = "ErrFeeTooLow"
	ErrAlreadyHave       ErrorKind = "ErrAlreadyHave"
	ErrCoinbaseInMempool ErrorKind = "ErrCoinbaseInMempool"
	ErrDust              ErrorKind = "ErrDust"
)
