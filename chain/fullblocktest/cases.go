package fullblocktest

import (
	"time"

	"chainlab/chain"
	"chainlab/genesis"
)

// suite accumulates the steps of named cases.
type suite struct {
	g     *Generator
	now   time.Time
	steps []Step
	cur   string
	cases []string
}

func (s *suite) begin(name string) {
	s.cur = name
	s.cases = append(s.cases, name)
}

func (s *suite) add(st Step) {
	st.Case = s.cur
	s.steps = append(s.steps, st)
}

func (s *suite) main(name string) {
	s.add(Step{Op: OpAcceptMain, Name: name, Block: s.g.Block(name)})
}

func (s *suite) mainReorg(name string, depth int) {
	s.add(Step{Op: OpAcceptMain, Name: name, Block: s.g.Block(name), ReorgDepth: depth})
}

func (s *suite) mainTip(name, tip string) {
	s.add(Step{Op: OpAcceptMain, Name: name, Block: s.g.Block(name), Tip: s.g.Block(tip)})
}

func (s *suite) side(name string) {
	s.add(Step{Op: OpAcceptSide, Name: name, Block: s.g.Block(name)})
}

func (s *suite) orphan(name string) {
	s.add(Step{Op: OpOrphan, Name: name, Block: s.g.Block(name)})
}

func (s *suite) reject(name string, kind chain.ErrorKind) {
	s.add(Step{Op: OpReject, Name: name, Block: s.g.Block(name), Kind: kind})
}

func (s *suite) rejectRaw(name string, raw []byte, kind chain.ErrorKind) {
	s.add(Step{Op: OpRejectRaw, Name: name, Raw: raw, Kind: kind})
}

func (s *suite) tip(name string) {
	s.add(Step{Op: OpExpectTip, Name: name, Block: s.g.Block(name)})
}

func (s *suite) finalize(height uint64) {
	s.add(Step{Op: OpFinalize, Height: height})
}

// rejectOnTip builds a broken block named name on the current tip, expects kind, and
// returns the generator to the old tip.
func (s *suite) rejectOnTip(name string, spend *SpendableOut, kind chain.ErrorKind, mungers ...Munger) {
	s.begin(name)
	parent := s.g.Tip()
	s.g.NextBlock(name, spend, mungers...)
	s.reject(name, kind)
	s.g.SetTip(parent)
}

// Generate returns the steps of every case, in order, for a chain on p driven by a test
// engine that accepts any header without a seal and pays subsidy + fees (chaintest).
// now is the clock ProcessBlock gets. Steps must run in order on a fresh chain.
//
// p must have coinbase maturity 2, at least 2 funded genesis allocations (pow-dev's 8),
// and a max block size of 1 MB or less.
func Generate(p *genesis.Params, now time.Time) ([]Step, []string, error) {
	g, err := NewGenerator(p)
	if err != nil {
		return nil, nil, err
	}
	s := &suite{g: g, now: now}
	s.buildBase()
	s.contextFree()
	s.contextual()
	s.tree()
	s.reorgs()
	s.wire()
	s.finality()
	return s.steps, s.cases, nil
}

// buildBase: a main chain of 6 blocks with allocation and coinbase spends.
func (s *suite) buildBase() {
	g := s.g
	s.begin("base-chain")
	for _, n := range []string{"b1", "b2", "b3"} {
		g.NextBlock(n, nil)
		s.main(n)
	}
	s.begin("spend-genesis-allocation")
	g.NextBlock("b4", g.GenesisOut(0))
	s.main("b4")
	s.begin("spend-mature-coinbase")
	g.NextBlock("b5", g.CoinbaseOut("b1")) // height 5 spends height 1
	s.main("b5")
	s.begin("coinbase-exactly-mature")
	g.NextBlock("b6", g.CoinbaseOut("b4")) // height 6 spends height 4: maturity 2 exactly
	s.main("b6")
}

// contextFree: blocks broken in ways CheckBlockSanity finds, all on the tip.
func (s *suite) contextFree() {
	g := s.g
	spare := g.GenesisOut(1)
	height := func() uint64 { return g.Height(g.Tip()) + 1 }

	s.rejectOnTip("bad-merkle-root", spare, chain.ErrBadMerkleRoot, func(b *chain.Block) {
		b.Header.MerkleRoot[0] ^= 1
	})
	// CVE-2012-2459: [cb, A, B] and [cb, A, B, B] share a root.
	s.rejectOnTip("merkle-mutation", spare, chain.ErrMerkleMutation, func(b *chain.Block) {
		b.Txs = append(b.Txs, g.CreateSpendTx(g.GenesisOut(2)))
		Remerkle(b)
		b.Txs = append(b.Txs, b.Txs[2])
	})
	s.rejectOnTip("duplicate-tx", spare, chain.ErrDuplicateTx, func(b *chain.Block) {
		b.Txs = append(b.Txs, g.CreateSpendTx(g.GenesisOut(2)), b.Txs[1])
		Remerkle(b)
	})
	s.rejectOnTip("double-spend-in-block", spare, chain.ErrDoubleSpend, func(b *chain.Block) {
		tx := g.CreateSpendTx(spare)
		tx.Outputs[0].Value--
		Sign(tx, spare)
		b.Txs = append(b.Txs, tx)
		Remerkle(b)
	})
	s.rejectOnTip("duplicate-tx-inputs", nil, chain.ErrDuplicateTxInputs, func(b *chain.Block) {
		tx := g.CreateSpendTx(spare)
		tx.Inputs = append(tx.Inputs, tx.Inputs[0])
		Sign(tx, spare, spare)
		b.Txs = append(b.Txs, tx)
		Remerkle(b)
	})
	s.rejectOnTip("oversize-block", nil, chain.ErrBlockTooBig, func(b *chain.Block) {
		tx := g.CreateSpendTx(spare)
		n := int(g.Params().MaxBlockSize)/41 + 100
		lock := chain.PayTo(genesis.XOnly(g.PayKey()))
		tx.Outputs = make([]chain.TxOut, n)
		for i := range tx.Outputs {
			tx.Outputs[i] = chain.TxOut{Value: 1, Lock: lock}
		}
		Sign(tx, spare)
		b.Txs = append(b.Txs, tx)
		Remerkle(b)
	})
	s.rejectOnTip("no-transactions", nil, chain.ErrNoTransactions, func(b *chain.Block) {
		b.Txs = nil
	})
	s.rejectOnTip("first-tx-not-coinbase", spare, chain.ErrFirstTxNotCoinbase, func(b *chain.Block) {
		b.Txs = b.Txs[1:]
		Remerkle(b)
	})
	s.rejectOnTip("multiple-coinbases", nil, chain.ErrMultipleCoinbases, func(b *chain.Block) {
		b.Txs = append(b.Txs, chain.NewCoinbase(height(), []byte("second"), b.Txs[0].Outputs))
		Remerkle(b)
	})
	s.rejectOnTip("coinbase-data-too-short", nil, chain.ErrBadCoinbaseData, func(b *chain.Block) {
		b.Txs[0].Inputs[0].Data = b.Txs[0].Inputs[0].Data[:4]
		Remerkle(b)
	})
	s.rejectOnTip("tx-without-inputs", nil, chain.ErrNoTxInputs, AddTxs(&chain.Tx{
		Version: 1, Outputs: []chain.TxOut{{Value: 1, Lock: chain.PayTo(genesis.XOnly(g.PayKey()))}},
	}))
	s.rejectOnTip("tx-without-outputs", nil, chain.ErrNoTxOutputs, func(b *chain.Block) {
		tx := g.CreateSpendTx(spare)
		tx.Outputs = nil
		Sign(tx, spare)
		AddTxs(tx)(b)
	})
	s.rejectOnTip("zero-value-output", nil, chain.ErrBadTxOutValue, func(b *chain.Block) {
		tx := g.CreateSpendTx(spare)
		tx.Outputs = append(tx.Outputs, chain.TxOut{Value: 0, Lock: tx.Outputs[0].Lock})
		Sign(tx, spare)
		AddTxs(tx)(b)
	})
	s.rejectOnTip("output-above-max-money", nil, chain.ErrBadTxOutValue, func(b *chain.Block) {
		tx := g.CreateSpendTx(spare)
		tx.Outputs[0].Value = chain.MaxMoney + 1
		Sign(tx, spare)
		AddTxs(tx)(b)
	})
	s.rejectOnTip("null-prevout-in-regular-tx", nil, chain.ErrBadTxInput, func(b *chain.Block) {
		tx := g.CreateSpendTx(spare)
		tx.Inputs = append(tx.Inputs, chain.TxIn{Prev: chain.NullOutPoint, Witness: make([]byte, chain.WitnessSize)})
		Sign(tx, spare)
		AddTxs(tx)(b)
	})
	s.rejectOnTip("data-in-regular-input", nil, chain.ErrBadTxInput, func(b *chain.Block) {
		tx := g.CreateSpendTx(spare)
		tx.Inputs[0].Data = []byte{1}
		Sign(tx, spare)
		AddTxs(tx)(b)
	})
	s.rejectOnTip("short-witness", nil, chain.ErrBadWitness, func(b *chain.Block) {
		tx := g.CreateSpendTx(spare)
		tx.Inputs[0].Witness = tx.Inputs[0].Witness[:chain.WitnessSize-1]
		AddTxs(tx)(b)
	})
	s.rejectOnTip("pay-lock-with-owner", nil, chain.ErrBadLock, func(b *chain.Block) {
		tx := g.CreateSpendTx(spare)
		tx.Outputs[0].Lock.Owner = [32]byte{1}
		Sign(tx, spare)
		AddTxs(tx)(b)
	})
	s.rejectOnTip("votes-in-test-engine-block", nil, chain.ErrUnexpectedVotes, func(b *chain.Block) {
		b.Votes = []chain.Vote{{Slot: 1}}
	})
	s.rejectOnTip("seal-in-test-engine-block", nil, chain.ErrUnexpectedSeal, func(b *chain.Block) {
		b.Header.Seal = &chain.Seal{Slot: 1}
	})
	s.rejectOnTip("header-version-0", nil, chain.ErrBadVersion, func(b *chain.Block) {
		b.Header.Version = 0
	})
}

// contextual: blocks that pass the context-free rules and fail on connect (or on the
// header's context), all on the tip.
func (s *suite) contextual() {
	g := s.g
	spare := g.GenesisOut(1)
	tipHeight := func() uint64 { return g.Height(g.Tip()) }

	s.rejectOnTip("coinbase-commits-to-wrong-height", nil, chain.ErrBadCoinbaseData, func(b *chain.Block) {
		b.Txs[0] = chain.NewCoinbase(tipHeight()+2, []byte("x"), b.Txs[0].Outputs)
		Remerkle(b)
	})
	s.rejectOnTip("time-equal-to-median-time-past", nil, chain.ErrTimeTooOld, SetTime(g.MedianTimePast(g.Tip())))
	s.rejectOnTip("time-too-far-in-future", nil, chain.ErrTimeTooNew,
		SetTime(uint32(s.now.Unix()+g.Params().MaxFutureDrift+1)))
	s.rejectOnTip("missing-input", &SpendableOut{
		OutPoint: chain.OutPoint{TxID: chain.Hash{0xde, 0xad}, Index: 0},
		Out:      spare.Out, Key: spare.Key,
	}, chain.ErrMissingInput)
	s.rejectOnTip("spend-of-already-spent-allocation", g.GenesisOut(0), chain.ErrMissingInput)
	s.rejectOnTip("spend-before-create-in-block", nil, chain.ErrMissingInput, func(b *chain.Block) {
		parent := g.CreateSpendTx(spare)
		child := g.CreateSpendTx(&SpendableOut{OutPoint: chain.OutPoint{TxID: parent.TxID()}, Out: parent.Outputs[0], Key: g.PayKey()})
		AddTxs(child, parent)(b)
	})
	s.rejectOnTip("immature-coinbase-spend", g.CoinbaseOut(g.Tip()), chain.ErrImmatureSpend)
	s.rejectOnTip("bad-signature", nil, chain.ErrBadSignature, func(b *chain.Block) {
		tx := g.CreateSpendTx(spare)
		tx.Inputs[0].Witness[10] ^= 0x40
		AddTxs(tx)(b)
	})
	s.rejectOnTip("signature-by-wrong-key", nil, chain.ErrBadSignature, func(b *chain.Block) {
		wrong := *spare
		wrong.Key = g.PayKey()
		AddTxs(g.CreateSpendTx(&wrong))(b)
	})
	s.rejectOnTip("signature-over-other-spent-value", nil, chain.ErrBadSignature, func(b *chain.Block) {
		lie := *spare
		lie.Out.Value++ // the sighash commits to the spent output's value
		AddTxs(g.CreateSpendTx(&lie))(b)
	})
	s.rejectOnTip("outputs-exceed-inputs", nil, chain.ErrSpendTooHigh, func(b *chain.Block) {
		tx := g.CreateSpendTx(spare)
		tx.Outputs[0].Value = spare.Out.Value + 1
		Sign(tx, spare)
		AddTxs(tx)(b)
	})
	s.rejectOnTip("coinbase-pays-subsidy-plus-fees-plus-one", spare, chain.ErrBadCoinbaseValue, SetCoinbaseValue(1))
	s.rejectOnTip("locktime-above-height", nil, chain.ErrLockTime, func(b *chain.Block) {
		tx := g.CreateSpendTx(spare)
		tx.LockTime = tipHeight() + 2
		Sign(tx, spare)
		AddTxs(tx)(b)
	})
	s.rejectOnTip("stake-output-refused-by-engine", nil, chain.ErrBadStake, func(b *chain.Block) {
		tx := g.CreateSpendTx(spare)
		tx.Outputs[0].Lock = chain.Lock{Kind: chain.LockStake, Key: [32]byte{1}, Owner: genesis.XOnly(g.PayKey())}
		Sign(tx, spare)
		AddTxs(tx)(b)
	})

	// Boundaries that must be accepted.
	s.begin("locktime-equal-to-height")
	g.NextBlock("c1", nil, func(b *chain.Block) {
		tx := g.CreateSpendTx(spare)
		tx.LockTime = tipHeight() + 1
		Sign(tx, spare)
		AddTxs(tx)(b)
	})
	s.main("c1")
	s.begin("chain-of-txs-within-block-and-underpaid-coinbase")
	g.NextBlock("c2", nil, func(b *chain.Block) {
		parent := g.CreateSpendTx(g.GenesisOut(2))
		child := g.CreateSpendTx(&SpendableOut{OutPoint: chain.OutPoint{TxID: parent.TxID()}, Out: parent.Outputs[0], Key: g.PayKey()})
		AddTxs(parent, child)(b)
		SetCoinbaseValue(-1)(b)
	})
	s.main("c2")
	s.begin("time-just-after-median-time-past")
	g.NextBlock("c3", nil, SetTime(g.MedianTimePast(g.Tip())+1))
	s.main("c3")
}

// tree: duplicate, orphan and known-invalid blocks.
func (s *suite) tree() {
	g := s.g
	s.begin("duplicate-block")
	s.reject("c3", chain.ErrDuplicateBlock)

	s.begin("orphan-then-parent")
	g.NextBlock("o1", nil)
	g.NextBlock("o2", nil)
	s.orphan("o2")
	s.mainTip("o1", "o2")
	s.tip("o2")

	s.begin("duplicate-orphan")
	g.NextBlock("o3", nil)
	g.NextBlock("o4", nil)
	s.orphan("o4")
	s.reject("o4", chain.ErrDuplicateBlock)
	s.mainTip("o3", "o4")

	s.begin("known-invalid-resubmitted")
	g.NextBlock("i1", g.CoinbaseOut("o4")) // immature: connects and fails
	s.reject("i1", chain.ErrImmatureSpend)
	s.reject("i1", chain.ErrKnownInvalid)
	s.begin("child-of-invalid-block")
	g.NextBlock("i2", nil)
	s.reject("i2", chain.ErrKnownInvalid)
	g.SetTip("o4")
	s.tip("o4")
}

// reorgs: side chains, ties, reorganisations of depth 1 to 4, double spends across
// branches, and an invalid branch falling back.
func (s *suite) reorgs() {
	g := s.g
	fork := g.Tip() // o4
	sharedSpend := g.CoinbaseOut("b2")

	s.begin("extend-main-spending-shared-output")
	g.NextBlock("r1", sharedSpend)
	s.main("r1")

	s.begin("side-chain-tie-double-spends-across-branches")
	g.SetTip(fork)
	// The same output, spent by a different transaction on the other branch.
	g.NextBlock("r1a", nil, func(b *chain.Block) {
		tx := g.CreateSpendTx(sharedSpend)
		tx.Outputs[0].Value -= 500
		Sign(tx, sharedSpend)
		AddTxs(tx)(b)
	})
	s.side("r1a")
	s.tip("r1")

	s.begin("reorg-depth-1")
	g.NextBlock("r2a", g.CoinbaseOut("b3"))
	s.mainReorg("r2a", 1)

	s.begin("side-chain-extends-old-branch")
	g.SetTip("r1")
	g.NextBlock("r2", g.CoinbaseOut("b3"))
	s.side("r2")

	s.begin("reorg-depth-2-back")
	g.NextBlock("r3", g.CoinbaseOut("c1"))
	s.mainReorg("r3", 2)

	s.begin("reorg-depth-3")
	g.SetTip("r2a")
	g.NextBlock("r3a", g.GenesisOut(4))
	s.side("r3a")
	g.NextBlock("r4a", g.CoinbaseOut("c1"))
	s.mainReorg("r4a", 3)
	s.tip("r4a")

	s.begin("side-branch-spending-output-of-other-branch-is-invalid-on-reorg")
	g.SetTip("r3")
	g.NextBlock("r4", nil)
	s.side("r4")
	// r3a's spend of allocation 4 exists only on the a-branch.
	g.NextBlock("r5bad", g.TxOut("r3a", 1, 0, g.PayKey()))
	s.reject("r5bad", chain.ErrMissingInput)
	s.tip("r4a")

	s.begin("invalid-block-then-fallback")
	// r5bad failed while the chain tried to reorganise to it: the a-branch stays.
	g.SetTip("r5bad")
	g.NextBlock("r6bad", nil)
	s.reject("r6bad", chain.ErrKnownInvalid)
	s.tip("r4a")

	s.begin("valid-sibling-of-invalid-reorgs-depth-4")
	g.SetTip("r4")
	g.NextBlock("r5", nil)
	s.mainReorg("r5", 4)
	g.NextBlock("r6", g.CoinbaseOut("c2"))
	s.main("r6")

	s.begin("immature-spend-on-side-branch-found-on-reorg")
	g.SetTip("r4a")
	g.NextBlock("r5a", nil)
	s.side("r5a")
	g.NextBlock("r6a", nil)
	s.side("r6a")
	g.NextBlock("r7a", g.CoinbaseOut("r6a")) // immature on its own branch
	s.reject("r7a", chain.ErrImmatureSpend)
	s.tip("r6")
	g.SetTip("r6")
}

// wire: blocks that reach the chain as bytes (the p2p path) and fail to decode.
func (s *suite) wire() {
	g := s.g
	parent := g.Tip()
	g.NextBlock("w-base", g.GenesisOut(3))
	raw := g.Block("w-base").Bytes()
	g.SetTip(parent)

	s.begin("truncated-block-bytes")
	s.rejectRaw("w-truncated", raw[:len(raw)-1], chain.ErrMalformed)
	s.begin("trailing-block-bytes")
	s.rejectRaw("w-trailing", append(append([]byte{}, raw...), 0), chain.ErrMalformed)
	s.begin("oversize-length-prefix")
	over := append([]byte{}, raw[:chain.HeaderSize+1]...)
	over = append(over, 0xfe, 0xff, 0xff, 0xff, 0x7f) // 2^31-1 transactions
	s.rejectRaw("w-oversize-count", over, chain.ErrMalformed)
	s.begin("wire-block-accepted")
	s.add(Step{Op: OpAcceptMain, Name: "w-base", Block: g.Block("w-base")})
	g.SetTip("w-base")
}

// finality: after the engine finalizes a block, no branch forking below it is accepted.
func (s *suite) finality() {
	g := s.g
	g.NextBlock("f1", nil)
	s.begin("extend-before-finality")
	s.main("f1")
	g.NextBlock("f2", nil)
	s.main("f2")
	fin := g.Height("f1")

	s.begin("reorg-refused-below-finalized-point")
	s.finalize(fin)
	g.SetTip("w-base") // fork below f1
	g.NextBlock("fx1", nil)
	s.reject("fx1", chain.ErrFinalizedConflict)
	s.tip("f2")

	s.begin("fork-above-finalized-point-allowed")
	g.SetTip("f1")
	g.NextBlock("fy2", nil)
	s.side("fy2")
	g.NextBlock("fy3", nil)
	s.mainReorg("fy3", 1)

	// Last: every later block would be too far ahead of the suite's fixed clock.
	s.begin("time-at-max-future-drift")
	g.NextBlock("t-max", nil, SetTime(uint32(s.now.Unix()+g.Params().MaxFutureDrift)))
	s.main("t-max")
}
