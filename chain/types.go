package chain

// HeaderSize is the size of the Bitcoin-layout part of a header.
const HeaderSize = 80

// SealSize is the encoded size of a PoS seal: slot u64, proposer [32], vote root [32], sig [64].
const SealSize = 8 + 32 + 32 + 64

// Header is the 80-byte Bitcoin header plus an optional proof-of-stake seal.
// A PoW header has Seal == nil and is byte-identical to Bitcoin's.
type Header struct {
	Version    uint32
	Prev       Hash
	MerkleRoot Hash
	Time       uint32 // unix seconds
	Bits       uint32 // compact target (PoW); 0 for PoS
	Nonce      uint32 // 0 for PoS
	Seal       *Seal
}

// Seal is the proof-of-stake part of a header.
type Seal struct {
	Slot     uint64
	Proposer [32]byte // x-only validator key
	VoteRoot Hash     // commitment to the block's votes and slashing evidence
	Sig      [64]byte // BIP-340 signature over SigningHash of the header
}

// OutPoint names a transaction output.
type OutPoint struct {
	TxID  Hash
	Index uint32
}

// NullOutPoint is the outpoint of a coinbase input.
var NullOutPoint = OutPoint{Index: 0xffffffff}

// IsNull reports whether o is the coinbase null outpoint.
func (o OutPoint) IsNull() bool { return o.TxID.IsZero() && o.Index == 0xffffffff }

// TxIn spends an output. Data is only allowed in a coinbase (height + extranonce). The
// Witness (a 64-byte BIP-340 signature for a normal input, empty for a coinbase) is not
// part of the txid.
type TxIn struct {
	Prev    OutPoint
	Data    []byte
	Witness []byte
}

// LockKind is the type of an output lock.
type LockKind uint8

// Lock kinds.
const (
	LockPay       LockKind = 0 // spendable by Key
	LockStake     LockKind = 1 // bonded to validator Key, spendable (to unbond) by Owner
	LockUnbonding LockKind = 2 // spendable by Owner once epoch Release is reached; Key is the validator
)

func (k LockKind) String() string {
	switch k {
	case LockPay:
		return "pay"
	case LockStake:
		return "stake"
	case LockUnbonding:
		return "unbonding"
	}
	return "unknown"
}

// Lock says who may spend an output and when.
type Lock struct {
	Kind    LockKind
	Key     [32]byte // pay: payee; stake/unbonding: validator key
	Owner   [32]byte // stake/unbonding: owner key (zero for pay)
	Release uint64   // unbonding: first epoch at which it may be spent (zero otherwise)
}

// SpendKey returns the x-only key whose signature spends an output with this lock.
func (l Lock) SpendKey() [32]byte {
	if l.Kind == LockPay {
		return l.Key
	}
	return l.Owner
}

// PayTo returns a pay lock to key.
func PayTo(key [32]byte) Lock { return Lock{Kind: LockPay, Key: key} }

// TxOut is a transaction output.
type TxOut struct {
	Value uint64
	Lock  Lock
}

// Tx is a transaction.
type Tx struct {
	Version  uint32
	Inputs   []TxIn
	Outputs  []TxOut
	LockTime uint64 // 0, or the lowest block height at which the tx may be included
}

// IsCoinbase reports whether tx has the coinbase shape (one input with the null outpoint).
func (tx *Tx) IsCoinbase() bool { return len(tx.Inputs) == 1 && tx.Inputs[0].Prev.IsNull() }

// Checkpoint is an FFG checkpoint: an epoch and the block root at its start.
type Checkpoint struct {
	Epoch uint64
	Root  Hash
}

// Vote is a validator's FFG + LMD vote for one epoch.
type Vote struct {
	Validator [32]byte // x-only validator key
	Slot      uint64   // slot at which it was made
	Head      Hash
	Source    Checkpoint
	Target    Checkpoint
	Sig       [64]byte // BIP-340 over Vote.SigningHash
}

// EvidenceKind is the kind of slashing evidence.
type EvidenceKind uint8

// Evidence kinds.
const (
	EvidenceDoubleVote   EvidenceKind = 1 // two votes with one target epoch
	EvidenceSurroundVote EvidenceKind = 2 // one vote surrounds the other
	EvidenceDoubleBlock  EvidenceKind = 3 // one proposer, one slot, two headers
)

// Evidence is slashing evidence: two conflicting signed messages by one validator.
type Evidence struct {
	Kind    EvidenceKind
	VoteA   Vote   // vote evidence
	VoteB   Vote   // vote evidence
	HeaderA Header // double-block evidence (Seal set)
	HeaderB Header
}

// Block is a header plus its transactions, and (PoS only) votes and slashing evidence.
type Block struct {
	Header    Header
	Txs       []*Tx
	Votes     []Vote
	Slashings []Evidence
}
