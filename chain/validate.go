package chain

import (
	"chainlab/genesis"
)

// MaxMoney is the largest value any output, or the sum of a transaction's outputs, may
// carry: 21 million coins, as Bitcoin.
const MaxMoney = 21_000_000 * genesis.Coin

// CheckTransactionSanity applies the context-free transaction rules (pipeline step 2 in
// doc.go): inputs and outputs present, size at most maxSize bytes, output values in range,
// coinbase or non-coinbase input shape, witness sizes, no duplicate inputs, well-formed
// locks. Violations are RuleErrors.
func CheckTransactionSanity(tx *Tx, maxSize int) error {
	if len(tx.Inputs) == 0 {
		return ruleError(ErrNoTxInputs, "transaction has no inputs")
	}
	if len(tx.Outputs) == 0 {
		return ruleError(ErrNoTxOutputs, "transaction has no outputs")
	}
	if maxSize > 0 {
		if n := tx.SerializeSize(); n > maxSize {
			return NewRuleError(ErrTxTooBig, "transaction is %d bytes, limit %d", n, maxSize)
		}
	}
	cb := tx.IsCoinbase()
	var total uint64
	for i := range tx.Outputs {
		out := &tx.Outputs[i]
		if out.Value == 0 && !cb {
			return NewRuleError(ErrBadTxOutValue, "output %d has zero value", i)
		}
		if out.Value > MaxMoney {
			return NewRuleError(ErrBadTxOutValue, "output %d value %d exceeds max money", i, out.Value)
		}
		total += out.Value
		if total > MaxMoney {
			return NewRuleError(ErrBadTxOutValue, "total output value exceeds max money")
		}
		if err := checkLock(&out.Lock); err != nil {
			return NewRuleError(ErrBadLock, "output %d: %s", i, err.Error())
		}
	}
	if cb {
		in := &tx.Inputs[0]
		if n := len(in.Data); n < CoinbaseHeightSize || n > MaxCoinbaseData {
			return NewRuleError(ErrBadCoinbaseData, "coinbase data is %d bytes, want %d..%d", n, CoinbaseHeightSize, MaxCoinbaseData)
		}
		if len(in.Witness) != 0 {
			return ruleError(ErrBadWitness, "coinbase input has a witness")
		}
		return nil
	}
	seen := make(map[OutPoint]struct{}, len(tx.Inputs))
	for i := range tx.Inputs {
		in := &tx.Inputs[i]
		if in.Prev.IsNull() {
			return NewRuleError(ErrBadTxInput, "input %d spends the null outpoint", i)
		}
		if len(in.Data) != 0 {
			return NewRuleError(ErrBadTxInput, "input %d carries data outside a coinbase", i)
		}
		if len(in.Witness) != WitnessSize {
			return NewRuleError(ErrBadWitness, "input %d witness is %d bytes, want %d", i, len(in.Witness), WitnessSize)
		}
		if _, dup := seen[in.Prev]; dup {
			return NewRuleError(ErrDuplicateTxInputs, "input %d spends %s:%d twice", i, in.Prev.TxID, in.Prev.Index)
		}
		seen[in.Prev] = struct{}{}
	}
	return nil
}

type lockErr string

func (e lockErr) Error() string { return string(e) }

func checkLock(l *Lock) error {
	switch l.Kind {
	case LockPay:
		if l.Owner != ([32]byte{}) || l.Release != 0 {
			return lockErr("pay lock with owner or release set")
		}
	case LockStake:
		if l.Release != 0 {
			return lockErr("stake lock with a release epoch")
		}
		if l.Key == ([32]byte{}) || l.Owner == ([32]byte{}) {
			return lockErr("stake lock without validator or owner key")
		}
	case LockUnbonding:
		if l.Owner == ([32]byte{}) {
			return lockErr("unbonding lock without owner key")
		}
	default:
		return lockErr("unknown lock kind")
	}
	return nil
}

// CheckBlockSanity applies the context-free block rules (pipeline step 1 in doc.go) and
// returns the txids of b's transactions. engine is the consensus engine name: only "pos"
// blocks may carry a seal, votes and slashings.
func CheckBlockSanity(b *Block, p *genesis.Params, engine string) ([]Hash, error) {
	if n := b.SerializeSize(); n > int(p.MaxBlockSize) {
		return nil, NewRuleError(ErrBlockTooBig, "block is %d bytes, limit %d", n, p.MaxBlockSize)
	}
	if b.Header.Version < 1 {
		return nil, NewRuleError(ErrBadVersion, "header version %d", b.Header.Version)
	}
	if len(b.Txs) == 0 {
		return nil, ruleError(ErrNoTransactions, "block has no transactions")
	}
	if !b.Txs[0].IsCoinbase() {
		return nil, ruleError(ErrFirstTxNotCoinbase, "first transaction is not a coinbase")
	}
	for i, tx := range b.Txs[1:] {
		if tx.IsCoinbase() {
			return nil, NewRuleError(ErrMultipleCoinbases, "transaction %d is a second coinbase", i+1)
		}
	}
	if err := checkConsensusFields(b, p, engine); err != nil {
		return nil, err
	}
	for i, tx := range b.Txs {
		if err := CheckTransactionSanity(tx, int(p.MaxBlockSize)); err != nil {
			return nil, wrapTxErr(err, i)
		}
	}
	ids := TxIDs(b.Txs)
	root, mutated := MerkleRoot(ids)
	if root != b.Header.MerkleRoot {
		return nil, NewRuleError(ErrBadMerkleRoot, "merkle root %s, header says %s", root, b.Header.MerkleRoot)
	}
	if mutated {
		return nil, ruleError(ErrMerkleMutation, "transaction list has a duplicated tail (CVE-2012-2459)")
	}
	seenTx := make(map[Hash]struct{}, len(ids))
	nin := 0
	for i, id := range ids {
		if _, dup := seenTx[id]; dup {
			return nil, NewRuleError(ErrDuplicateTx, "transaction %d (%s) appears twice", i, id)
		}
		seenTx[id] = struct{}{}
		nin += len(b.Txs[i].Inputs)
	}
	spends := make(map[OutPoint]struct{}, nin)
	for i, tx := range b.Txs[1:] {
		for j := range tx.Inputs {
			op := tx.Inputs[j].Prev
			if _, dup := spends[op]; dup {
				return nil, NewRuleError(ErrDoubleSpend, "transaction %d input %d spends %s:%d already spent in this block", i+1, j, op.TxID, op.Index)
			}
			spends[op] = struct{}{}
		}
	}
	return ids, nil
}

func checkConsensusFields(b *Block, p *genesis.Params, engine string) error {
	if engine != genesis.PoS {
		if len(b.Votes) != 0 || len(b.Slashings) != 0 {
			return NewRuleError(ErrUnexpectedVotes, "%s block carries %d votes and %d slashings", engine, len(b.Votes), len(b.Slashings))
		}
		if b.Header.Seal != nil {
			return NewRuleError(ErrUnexpectedSeal, "%s block carries a PoS seal", engine)
		}
		return nil
	}
	if b.Header.Seal == nil {
		return ruleError(ErrUnexpectedSeal, "pos block without a seal")
	}
	if p.PoS != nil && len(b.Votes) > int(p.PoS.MaxVotesPerBlock) {
		return NewRuleError(ErrTooManyVotes, "%d votes, limit %d", len(b.Votes), p.PoS.MaxVotesPerBlock)
	}
	if root := b.ComputeVoteRoot(); root != b.Header.Seal.VoteRoot {
		return NewRuleError(ErrBadVoteRoot, "vote root %s, seal says %s", root, b.Header.Seal.VoteRoot)
	}
	return nil
}

// wrapTxErr prefixes a RuleError's description with the transaction index, keeping the kind.
func wrapTxErr(err error, i int) error {
	if re, ok := err.(*RuleError); ok {
		return NewRuleError(re.Kind, "transaction %d: %s", i, re.Description)
	}
	return err
}

// checkCoinbaseHeight checks the height a block's coinbase commits to (needs the parent).
func checkCoinbaseHeight(b *Block, height uint64) error {
	h, err := CoinbaseHeight(b.Txs[0])
	if err != nil {
		return err
	}
	if h != height {
		return NewRuleError(ErrBadCoinbaseData, "coinbase commits to height %d, block is at %d", h, height)
	}
	return nil
}
