package staking

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"runtime"
	"sync"
	"time"

	"chainlab/chain"
	"chainlab/genesis"
)

// Engine is the proof-of-stake consensus engine. It implements chain.Engine and
// chain.ForkChooser. The rule methods are pure functions of their arguments; the engine
// also keeps a fork-choice store (latest vote per validator, best justified and finalized
// checkpoints) fed by Apply and OnVote, so use one Engine per Chain.
type Engine struct {
	p       *genesis.Params
	pos     *genesis.PoSParams
	genesis *chain.Block
	gHash   chain.Hash
	gState  *State
	log     *slog.Logger
	workers int

	sigs *sigCache
	keys *pubKeys
	adv  *advanceCache
	fc   *forkChoice
	side *sideBranches
}

var (
	_ chain.Engine      = (*Engine)(nil)
	_ chain.ForkChooser = (*Engine)(nil)
)

// Option configures an Engine.
type Option func(*Engine)

// WithLogger sets the engine's logger (default: discard).
func WithLogger(l *slog.Logger) Option { return func(e *Engine) { e.log = l } }

// WithSigWorkers sets how many goroutines verify the votes of one block (default
// GOMAXPROCS). Verification is parallel only; the result does not depend on it.
func WithSigWorkers(n int) Option { return func(e *Engine) { e.workers = n } }

// WithSigCacheSize bounds the cache of verified vote signatures (default 1<<16).
func WithSigCacheSize(n int) Option { return func(e *Engine) { e.sigs = newSigCache(n) } }

// VoteSigCache remembers verified vote signatures; one cache may be shared by the engines
// of many chains in one process (the simulator), so each vote is verified once.
type VoteSigCache struct{ c *sigCache }

// NewVoteSigCache returns a cache of up to n verified votes.
func NewVoteSigCache(n int) *VoteSigCache { return &VoteSigCache{c: newSigCache(n)} }

// WithVoteSigCache makes the engine use a shared cache of verified vote signatures.
func WithVoteSigCache(c *VoteSigCache) Option { return func(e *Engine) { e.sigs = c.c } }

// NewEngine builds the PoS engine for p, which must be a validated PoS genesis.
func NewEngine(p *genesis.Params, opts ...Option) (*Engine, error) {
	if p == nil {
		return nil, errors.New("staking: nil params")
	}
	if p.Consensus != genesis.PoS || p.PoS == nil {
		return nil, fmt.Errorf("staking: consensus is %q, want %q", p.Consensus, genesis.PoS)
	}
	if p.PoS.EpochSlots == 0 || p.PoS.SlotMillis <= 0 {
		return nil, errors.New("staking: epoch_slots and slot_ms must be positive")
	}
	gb, err := chain.GenesisBlock(p)
	if err != nil {
		return nil, fmt.Errorf("staking: %w", err)
	}
	e := &Engine{p: p, pos: p.PoS, genesis: gb, gHash: gb.Hash(), workers: runtime.GOMAXPROCS(0)}
	for _, o := range opts {
		o(e)
	}
	if e.log == nil {
		e.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if e.sigs == nil {
		e.sigs = newSigCache(1 << 16)
	}
	if e.workers < 1 {
		e.workers = 1
	}
	e.keys = &pubKeys{}
	e.gState = genesisState(p, gb)
	if e.gState.curInfo.Total == 0 {
		return nil, errors.New("staking: genesis has no stake")
	}
	e.adv = &advanceCache{m: map[advKey]*State{}}
	e.fc = newForkChoice(e.gState, e.gHash)
	e.side = newSideBranches()
	return e, nil
}

// Name returns "pos".
func (e *Engine) Name() string { return genesis.PoS }

// Params returns the genesis parameters.
func (e *Engine) Params() *genesis.Params { return e.p }

// GenesisHash returns the genesis block hash.
func (e *Engine) GenesisHash() chain.Hash { return e.gHash }

// GenesisState returns the state after the genesis block.
func (e *Engine) GenesisState() (chain.EngineState, error) { return e.gState, nil }

// ---- time ----

// SlotStart returns the start time of slot.
func (e *Engine) SlotStart(slot uint64) time.Time {
	return time.UnixMilli(e.p.Time*1000 + int64(slot)*e.pos.SlotMillis)
}

// SlotTime returns the header Time of a block at slot: its start, in whole seconds.
func (e *Engine) SlotTime(slot uint64) uint32 {
	return uint32((e.p.Time*1000 + int64(slot)*e.pos.SlotMillis) / 1000)
}

// SlotAt returns the slot at now: (now - genesis time) / slot length (0 before genesis).
func (e *Engine) SlotAt(now time.Time) uint64 {
	d := now.UnixMilli() - e.p.Time*1000
	if d < 0 {
		return 0
	}
	return uint64(d / e.pos.SlotMillis)
}

// EpochOf returns the epoch of slot.
func (e *Engine) EpochOf(slot uint64) uint64 { return slot / e.pos.EpochSlots }

// headerSlot returns the slot of h (the genesis header has none: slot 0).
func headerSlot(h *chain.Header) uint64 {
	if h.Seal == nil {
		return 0
	}
	return h.Seal.Slot
}

func asState(s chain.EngineState) (*State, error) {
	st, ok := s.(*State)
	if !ok || st == nil {
		return nil, fmt.Errorf("staking: engine state is %T, want *staking.State", s)
	}
	return st, nil
}

// ---- advancing states across epochs (cached) ----

type advKey struct {
	s *State
	e uint64
	p chain.Hash
}

// advanceCache memoises parent states advanced into a later epoch (the epoch transition is
// needed by VerifyHeader, Apply, Prepare and the duties of every block of a new epoch).
type advanceCache struct {
	mu sync.Mutex
	m  map[advKey]*State
}

// StateAt returns st (the state after block parent) moved into epoch ep: the state a block
// of that epoch on top of parent starts from. The checkpoint root of ep is parent (a block
// exactly at ep's first slot replaces it with its own hash in Apply).
func (e *Engine) StateAt(st *State, ep uint64, parent chain.Hash) *State {
	if ep <= st.Epoch {
		return st
	}
	k := advKey{st, ep, parent}
	e.adv.mu.Lock()
	if s, ok := e.adv.m[k]; ok {
		e.adv.mu.Unlock()
		return s
	}
	e.adv.mu.Unlock()
	s := st.advance(e.pos, ep, parent, parent)
	e.adv.mu.Lock()
	if len(e.adv.m) >= 64 {
		clear(e.adv.m)
	}
	e.adv.m[k] = s
	e.adv.mu.Unlock()
	return s
}

// Proposer returns the key of the proposer of slot on top of a block whose state is st.
// A validator slashed since the epoch's set was fixed keeps its draw but may not propose
// (phase0 process_block_header: assert not proposer.slashed): the slot stays empty.
func (e *Engine) Proposer(st *State, parent chain.Hash, slot uint64) ([32]byte, bool) {
	s := e.StateAt(st, e.EpochOf(slot), parent)
	i, ok := s.curInfo.ProposerIndex(slot)
	if !ok {
		return [32]byte{}, false
	}
	v := s.vals.At(int(i))
	return v.Key, !v.Slashed
}

// ---- chain.Engine ----

// VerifyHeader checks a PoS header: seal present and PoW fields zero (ErrUnexpectedSeal),
// slot after the parent's (ErrSlotNotAfterParent), Time equal to the slot's start second
// (ErrBadSlotTime), slot start not beyond now + SlotDriftMillis (ErrFutureSlot), the slot's
// proposer (ErrWrongProposer; skipped when parent is nil, e.g. headers ahead of bodies —
// Apply checks it again), and the BIP-340 seal signature (ErrBadBlockSignature).
func (e *Engine) VerifyHeader(r chain.HeaderReader, h *chain.Header, parent chain.EngineState, now time.Time) error {
	if h.Seal == nil {
		return chain.NewRuleError(chain.ErrUnexpectedSeal, "PoS header without a seal")
	}
	if h.Bits != 0 || h.Nonce != 0 {
		return chain.NewRuleError(chain.ErrUnexpectedSeal, "PoS header with bits %08x nonce %d", h.Bits, h.Nonce)
	}
	ph, ok := r.Header(h.Prev)
	if !ok {
		return chain.NewRuleError(chain.ErrOrphan, "parent %s unknown", h.Prev)
	}
	slot := h.Seal.Slot
	if ps := headerSlot(ph); slot <= ps {
		return chain.NewRuleError(chain.ErrSlotNotAfterParent, "slot %d, parent slot %d", slot, ps)
	}
	if want := e.SlotTime(slot); h.Time != want {
		return chain.NewRuleError(chain.ErrBadSlotTime, "time %d, slot %d starts at %d", h.Time, slot, want)
	}
	if start := e.SlotStart(slot); start.After(now.Add(time.Duration(e.pos.SlotDriftMillis) * time.Millisecond)) {
		return chain.NewRuleError(chain.ErrFutureSlot, "slot %d starts %v after now", slot, start.Sub(now))
	}
	if parent != nil {
		st, err := asState(parent)
		if err != nil {
			return err
		}
		if err := e.checkProposer(st, h); err != nil {
			return err
		}
	}
	if !chain.VerifySchnorr(h.Seal.Proposer, h.SigningHash(), h.Seal.Sig[:]) {
		return chain.NewRuleError(chain.ErrBadBlockSignature, "seal signature of slot %d", slot)
	}
	return nil
}

func (e *Engine) checkProposer(st *State, h *chain.Header) error {
	want, ok := e.Proposer(st, h.Prev, h.Seal.Slot)
	if !ok {
		return chain.NewRuleError(chain.ErrWrongProposer, "no eligible proposer at slot %d", h.Seal.Slot)
	}
	if want != h.Seal.Proposer {
		return chain.NewRuleError(chain.ErrWrongProposer, "slot %d belongs to %x, not %x", h.Seal.Slot, want[:8], h.Seal.Proposer[:8])
	}
	return nil
}

// Prepare fills a header template on top of its parent for the slot at now: Time, Bits=0,
// Nonce=0 and a seal with the slot and its proposer. The vote root and the signature are
// the sealer's job (Duties does both).
func (e *Engine) Prepare(r chain.HeaderReader, h *chain.Header, parent chain.EngineState, now time.Time) error {
	st, err := asState(parent)
	if err != nil {
		return err
	}
	ph, ok := r.Header(h.Prev)
	if !ok {
		return fmt.Errorf("staking: prepare: parent %s unknown", h.Prev)
	}
	slot := e.SlotAt(now)
	if ps := headerSlot(ph); slot <= ps {
		return chain.NewRuleError(chain.ErrSlotNotAfterParent, "slot %d at now, parent slot %d", slot, ps)
	}
	prop, ok := e.Proposer(st, h.Prev, slot)
	if !ok {
		return chain.NewRuleError(chain.ErrWrongProposer, "no proposer for slot %d", slot)
	}
	h.Time, h.Bits, h.Nonce = e.SlotTime(slot), 0, 0
	seal := chain.Seal{Slot: slot, Proposer: prop}
	if h.Seal != nil {
		seal.VoteRoot = h.Seal.VoteRoot
	}
	h.Seal = &seal
	return nil
}

// Apply checks and applies a block's consensus effects on top of ctx.Parent: epoch
// processing up to the block's epoch, the proposer (again), the randomness mix, stake
// transitions of its transactions, its votes and its slashing evidence; it sets
// ctx.MaxCoinbase = subsidy + fees + ProposerVoteReward per vote + whistleblower rewards.
func (e *Engine) Apply(r chain.HeaderReader, b *chain.Block, ctx *chain.ApplyContext) error {
	ps, err := asState(ctx.Parent)
	if err != nil {
		return err
	}
	st, whistle, err := e.transition(ps, b, ctx.View, true)
	if err != nil {
		return err
	}
	limit := e.p.BlockSubsidy(ctx.Height) + ctx.Fees + uint64(len(b.Votes))*e.pos.ProposerVoteReward + whistle
	ctx.MaxCoinbase = limit
	ctx.State = st
	e.fc.sawEpoch(st.Epoch)
	for i := range b.Votes {
		e.fc.onVerifiedVote(&b.Votes[i])
	}
	e.side.applied(b)
	return nil
}

// transition is the consensus part of Apply (phase0 state_transition's process_slots and
// process_block minus the deposits): the state after b on top of ps, and the whistleblower
// rewards. Without txs the stake transitions of b's transactions are skipped: the fork
// choice uses that to estimate a never-connected side branch's checkpoints (sidebranch.go).
func (e *Engine) transition(ps *State, b *chain.Block, view chain.UTXOReader, txs bool) (*State, uint64, error) {
	h := &b.Header
	if h.Seal == nil {
		return nil, 0, chain.NewRuleError(chain.ErrUnexpectedSeal, "PoS block without a seal")
	}
	slot := h.Seal.Slot
	if slot <= ps.Slot {
		return nil, 0, chain.NewRuleError(chain.ErrSlotNotAfterParent, "slot %d, parent slot %d", slot, ps.Slot)
	}
	if root := b.ComputeVoteRoot(); root != h.Seal.VoteRoot {
		return nil, 0, chain.NewRuleError(chain.ErrBadVoteRoot, "seal vote root %s, body %s", h.Seal.VoteRoot, root)
	}
	if err := e.checkProposer(ps, h); err != nil {
		return nil, 0, err
	}
	ep := e.EpochOf(slot)
	st := e.StateAt(ps, ep, h.Prev).clone()
	if ps.Epoch < ep && slot == ep*e.pos.EpochSlots {
		st.CurTargetRoot = b.Hash()
	}
	st.Slot = slot
	st.Mix = mixIn(st.Mix, h.Seal.Sig)

	if txs {
		if err := e.applyTxs(st, b, view, ep); err != nil {
			return nil, 0, err
		}
	}
	if err := e.applyVotes(st, b.Votes, slot); err != nil {
		return nil, 0, err
	}
	whistle, err := e.applySlashings(st, b.Slashings)
	if err != nil {
		return nil, 0, err
	}
	return st, whistle, nil
}

// Weight is 1 per block: PoS fork choice is ChooseHead, not cumulative weight; the chain
// uses Weight only for reporting (getchaintips, Work).
func (e *Engine) Weight(r chain.HeaderReader, h *chain.Header) (*big.Int, error) {
	return big.NewInt(1), nil
}

// Finality returns the finalized checkpoint of the state after tip, as absolute finality.
func (e *Engine) Finality(r chain.HeaderReader, tip *chain.Header, st chain.EngineState) chain.Finality {
	s, err := asState(st)
	if err != nil {
		return chain.Finality{Hash: e.gHash, Absolute: true}
	}
	f := chain.Finality{Hash: s.Finalized.Root, Finalized: s.Finalized, Justified: s.CurJustified, Absolute: true}
	if hgt, ok := r.Height(s.Finalized.Root); ok {
		f.Height = hgt
	}
	return f
}
