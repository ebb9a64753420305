package fullblocktest_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"strings"
	"testing"

	"chainlab/chain"
	"chainlab/chain/chaintest"
	"chainlab/chain/fullblocktest"
)

func runSuite(t *testing.T, store func(t *testing.T) *chain.Store) {
	p := chaintest.Params()
	now := chaintest.Now()
	steps, cases, err := fullblocktest.Generate(p, now)
	if err != nil {
		t.Fatal(err)
	}
	c, eng := chaintest.NewMemChain(t, &chain.Config{Params: p, Store: store(t)})
	t.Logf("%d cases, %d steps", len(cases), len(steps))
	for i, st := range steps {
		if err := st.Check(c, eng, now); err != nil {
			t.Fatalf("step %d %s: %v", i, st, err)
		}
	}
	if err := c.CheckConsistency(); err != nil {
		t.Fatalf("store inconsistent after the suite: %v", err)
	}
}

func TestFullBlocksMemStore(t *testing.T) {
	runSuite(t, func(t *testing.T) *chain.Store {
		s, err := chain.OpenMemStore()
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestFullBlocksDiskStore(t *testing.T) {
	runSuite(t, func(t *testing.T) *chain.Store {
		s, err := chain.OpenStore(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

func TestAtLeast40NamedCases(t *testing.T) {
	_, cases, err := fullblocktest.Generate(chaintest.Params(), chaintest.Now())
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, c := range cases {
		if seen[c] {
			t.Errorf("case name %q used twice", c)
		}
		seen[c] = true
	}
	if len(cases) < 40 {
		t.Fatalf("%d named cases, want at least 40", len(cases))
	}
}

// notThroughProcessBlock lists the ErrorKinds no block can trigger through ProcessBlock on
// the chaintest engine, each with the reason. Every other kind in chain/errors.go must be
// the expected kind of at least one rejecting step.
var notThroughProcessBlock = map[chain.ErrorKind]string{
	// A transaction larger than the block size limit makes its block too big first.
	chain.ErrTxTooBig: "CheckBlockSanity reports ErrBlockTooBig before any tx size; reached by lone txs (mempool/RPC, chain.CheckTransaction)",
	// The test engine refuses stake and unbonding outputs outright (ErrBadStake).
	chain.ErrLockedOutput: "unbonding release is a PoS engine rule (staking tests)",
	// Only PoS blocks carry a vote root / votes; the test engine's blocks are rejected
	// earlier with ErrUnexpectedVotes / ErrUnexpectedSeal.
	chain.ErrBadVoteRoot:  "PoS-only (staking tests)",
	chain.ErrTooManyVotes: "PoS-only (staking tests)",
	// A store whose genesis differs from the params fails in chain.New, not ProcessBlock.
	chain.ErrBadGenesis: "raised by chain.New on a store of another network (chain store tests)",
	// Header consensus rules of the real engines (the test engine checks no work, slot or
	// signature).
	chain.ErrHighHash:           "PoW engine (miner tests)",
	chain.ErrBadBits:            "PoW engine (miner tests)",
	chain.ErrBadPowLimit:        "PoW engine (miner tests)",
	chain.ErrWrongProposer:      "PoS engine (staking tests)",
	chain.ErrFutureSlot:         "PoS engine (staking tests)",
	chain.ErrSlotNotAfterParent: "PoS engine (staking tests)",
	chain.ErrBadBlockSignature:  "PoS engine (staking tests)",
	chain.ErrBadSlotTime:        "PoS engine (staking tests)",
	chain.ErrBadVote:            "PoS engine (staking tests)",
	chain.ErrDuplicateVote:      "PoS engine (staking tests)",
	chain.ErrBadEvidence:        "PoS engine (staking tests)",
	// Mempool policy: transactions, not blocks (chain/mempool_test.go).
	chain.ErrMempoolConflict:   "mempool policy",
	chain.ErrMempoolFull:       "mempool policy",
	chain.ErrFeeTooLow:         "mempool policy",
	chain.ErrAlreadyHave:       "mempool policy",
	chain.ErrCoinbaseInMempool: "mempool policy",
	chain.ErrDust:              "mempool policy",
}

// errorKindsInSource parses chain/errors.go and returns every ErrorKind constant's value.
func errorKindsInSource(t *testing.T) []chain.ErrorKind {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "../errors.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []chain.ErrorKind
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, spec := range gd.Specs {
			vs := spec.(*ast.ValueSpec)
			if id, ok := vs.Type.(*ast.Ident); !ok || id.Name != "ErrorKind" {
				continue
			}
			for _, v := range vs.Values {
				lit, ok := v.(*ast.BasicLit)
				if !ok {
					t.Fatalf("ErrorKind value %v is not a literal", v)
				}
				kinds = append(kinds, chain.ErrorKind(strings.Trim(lit.Value, `"`)))
			}
		}
	}
	if len(kinds) < 30 {
		t.Fatalf("found only %d ErrorKinds in errors.go: parser out of date?", len(kinds))
	}
	return kinds
}

func TestEveryErrorKindCovered(t *testing.T) {
	steps, _, err := fullblocktest.Generate(chaintest.Params(), chaintest.Now())
	if err != nil {
		t.Fatal(err)
	}
	covered := map[chain.ErrorKind]bool{}
	for _, st := range steps {
		switch st.Op {
		case fullblocktest.OpReject, fullblocktest.OpRejectRaw:
			covered[st.Kind] = true
		case fullblocktest.OpOrphan:
			covered[chain.ErrOrphan] = true
		}
	}
	all := map[chain.ErrorKind]bool{}
	for _, k := range errorKindsInSource(t) {
		all[k] = true
		_, allowed := notThroughProcessBlock[k]
		switch {
		case covered[k] && allowed:
			t.Errorf("%s is allow-listed but a case covers it: drop it from the list", k)
		case !covered[k] && !allowed:
			t.Errorf("no fullblocktest case is rejected with %s", k)
		}
	}
	for k := range notThroughProcessBlock {
		if !all[k] {
			t.Errorf("allow-listed %s no longer exists in errors.go", k)
		}
	}
}

// TestFullBlocksDiskStoreReopened closes and reopens the chain from its LevelDB directory
// at every case boundary: side chains, invalid marks, the tip and the UTXO set must all
// survive, and the remaining steps must behave exactly as on a chain that never stopped.
func TestFullBlocksDiskStoreReopened(t *testing.T) {
	p := chaintest.Params()
	now := chaintest.Now()
	steps, _, err := fullblocktest.Generate(p, now)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	eng := chaintest.NewEngine(p)
	open := func() *chain.Chain {
		s, err := chain.OpenStore(dir)
		if err != nil {
			t.Fatal(err)
		}
		c, err := chain.New(chain.Config{Params: p, Engine: eng, Store: s})
		if err != nil {
			t.Fatalf("reopen: %v", err)
		}
		return c
	}
	c := open()
	defer func() { c.Close() }()
	reopens := 0
	for i, st := range steps {
		if i > 0 && st.Case != steps[i-1].Case {
			if err := c.Close(); err != nil {
				t.Fatal(err)
			}
			c = open()
			reopens++
		}
		if err := st.Check(c, eng, now); err != nil {
			t.Fatalf("step %d %s (after %d reopens): %v", i, st, reopens, err)
		}
	}
	if err := c.CheckConsistency(); err != nil {
		t.Fatal(err)
	}
}
