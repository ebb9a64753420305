package staking

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"sort"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"

	"chainlab/chain"
)

// TemplateRequest is chain.TemplateRequest (an alias kept for callers written against the
// earlier staking-local type).
type TemplateRequest = chain.TemplateRequest

// TemplateFunc builds an unsealed block on the current head for req (the node passes a
// closure over chain.NewTemplate and its mempool:
//
//	func(r chain.TemplateRequest) (*chain.Block, error) { return c.NewTemplate(mempool, r) }
//
// The block's header must have been through Engine.Prepare with req.Now; Duties sets the
// vote root again and signs.
type TemplateFunc func(req chain.TemplateRequest) (*chain.Block, error)

// DutiesConfig configures a validator's duties.
type DutiesConfig struct {
	Engine     *Engine             // required
	Keys       []*btcec.PrivateKey // validator keys this node signs for
	Protection *Protection         // required: every signature goes through it
	Template   TemplateFunc        // required
	PayTo      [32]byte            // coinbase payee of proposed blocks
	Logger     *slog.Logger        // optional
}

// Input is a Duties input: Tick, NewHead, SeenVote or SeenHeader.
type Input interface{ isInput() }

// Tick says the clock is at now within slot. In the first half of a slot the duties
// propose (if a key is the slot's proposer); from the middle of the slot on (or as soon
// as the slot's block is the head) they vote for the slot's committee. The node ticks at
// each slot's start and middle; a committee that got neither a mid-slot tick nor the
// slot's block votes at the next slot's first tick.
type Tick struct {
	Slot uint64
	Now  time.Time
}

// NewHead says the chain's head changed to Header (hash Hash) with engine state State.
type NewHead struct {
	Hash   chain.Hash
	Header *chain.Header
	State  *State
}

// SeenVote is a vote received from the network (or from a block): it joins the pool of
// votes to include and is checked against earlier votes for slashable pairs.
type SeenVote struct{ Vote chain.Vote }

// SeenHeader is a sealed header received from the network, checked for double proposals.
type SeenHeader struct{ Header chain.Header }

// AddKey adds a validator key to sign with from now on (a validator registered at run
// time, e.g. by the registervalidator RPC). Its duties start with the next tick.
type AddKey struct{ Key *btcec.PrivateKey }

func (Tick) isInput()       {}
func (NewHead) isInput()    {}
func (SeenVote) isInput()   {}
func (SeenHeader) isInput() {}
func (AddKey) isInput()     {}

// FinalityChange reports new justified/finalized checkpoints at the head.
type FinalityChange struct {
	Justified chain.Checkpoint
	Finalized chain.Checkpoint
}

// Ready is what the duties want done: blocks to process and broadcast, votes to broadcast
// (and feed to Engine.OnVote), slashing evidence found, finality changes.
type Ready struct {
	Blocks   []*chain.Block
	Votes    []chain.Vote
	Evidence []chain.Evidence
	Finality []FinalityChange
}

// Empty reports whether there is nothing to do.
func (r Ready) Empty() bool {
	return len(r.Blocks) == 0 && len(r.Votes) == 0 && len(r.Evidence) == 0 && len(r.Finality) == 0
}

// Duties is the proposer/voter state machine of one node (etcd/raft style): Step feeds an
// input, Ready drains the outputs. It never reads the clock or starts goroutines; the node
// drives it from one goroutine.
type Duties struct {
	cfg  DutiesConfig
	e    *Engine
	log  *slog.Logger
	keys map[[32]byte]*btcec.PrivateKey

	slot      uint64 // latest ticked slot
	ticked    bool   // slot is valid
	headHash  chain.Hash
	head      *chain.Header
	headState *State
	lastFin   FinalityChange

	proposed map[uint64]bool     // slots proposed (pruned as slots pass)
	voted    map[[32]byte]uint64 // key -> last epoch voted (+1; 0 = never)

	pool     map[chain.Hash]chain.Vote     // votes to include
	seen     map[[32]byte][]chain.Vote     // recent votes per validator (slashing detection)
	blocks   map[blockSlotKey]chain.Header // first header per (proposer, slot)
	evidence []chain.Evidence              // found, not yet included
	reported map[[32]byte]bool             // offenders already reported

	out Ready
}

type blockSlotKey struct {
	key  [32]byte
	slot uint64
}

// NewDuties builds the duties from cfg. The head starts at genesis; feed NewHead first.
func NewDuties(cfg DutiesConfig) (*Duties, error) {
	if cfg.Engine == nil || cfg.Protection == nil || cfg.Template == nil {
		return nil, errors.New("staking: duties need Engine, Protection and Template")
	}
	d := &Duties{
		cfg: cfg, e: cfg.Engine, log: cfg.Logger,
		keys:     map[[32]byte]*btcec.PrivateKey{},
		proposed: map[uint64]bool{}, voted: map[[32]byte]uint64{},
		pool: map[chain.Hash]chain.Vote{}, seen: map[[32]byte][]chain.Vote{},
		blocks: map[blockSlotKey]chain.Header{}, reported: map[[32]byte]bool{},
	}
	if d.log == nil {
		d.log = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	for _, k := range cfg.Keys {
		d.keys[chain.XOnlyKey(k)] = k
	}
	g := cfg.Engine.genesis
	d.headHash, d.head, d.headState = cfg.Engine.gHash, &g.Header, cfg.Engine.gState
	d.lastFin = FinalityChange{Justified: d.headState.CurJustified, Finalized: d.headState.Finalized}
	return d, nil
}

// Ready returns and clears the pending outputs.
func (d *Duties) Ready() Ready {
	r := d.out
	d.out = Ready{}
	return r
}

// Step applies one input.
func (d *Duties) Step(in Input) error {
	switch m := in.(type) {
	case Tick:
		return d.tick(m)
	case NewHead:
		return d.newHead(m)
	case SeenVote:
		d.seeVote(m.Vote)
		return nil
	case SeenHeader:
		d.seeHeader(&m.Header)
		return nil
	case AddKey:
		if m.Key == nil {
			return errors.New("staking: AddKey needs a key")
		}
		d.keys[chain.XOnlyKey(m.Key)] = m.Key
		return nil
	}
	return fmt.Errorf("staking: unknown duties input %T", in)
}

func (d *Duties) newHead(m NewHead) error {
	if m.Header == nil || m.State == nil {
		return errors.New("staking: NewHead needs Header and State")
	}
	d.headHash, d.head, d.headState = m.Hash, m.Header, m.State
	fc := FinalityChange{Justified: m.State.CurJustified, Finalized: m.State.Finalized}
	if fc != d.lastFin {
		d.lastFin = fc
		d.out.Finality = append(d.out.Finality, fc)
	}
	if m.Header.Seal != nil {
		d.seeHeader(m.Header)
		if m.Header.Seal.Slot == d.slot {
			return d.vote(d.slot) // the slot's block arrived: vote on it now
		}
	}
	return nil
}

func (d *Duties) tick(t Tick) error {
	if t.Slot > d.slot || !d.ticked {
		// Votes of the previous slot not made yet (no mid-slot tick, no block): make them
		// now, before this slot's block; they are still includable.
		if d.ticked {
			if err := d.vote(d.slot); err != nil {
				return err
			}
		}
		d.slot, d.ticked = t.Slot, true
		for s := range d.proposed {
			if s+d.e.pos.EpochSlots < t.Slot {
				delete(d.proposed, s)
			}
		}
	}
	half := d.e.SlotStart(t.Slot).Add(d.e.pos.SlotDuration() / 2)
	if t.Now.Before(half) {
		if err := d.propose(t.Slot, t.Now); err != nil {
			return err
		}
		// The slot's block may already be the head (we proposed it): vote on it at once.
		if headerSlot(d.head) == t.Slot {
			return d.vote(t.Slot)
		}
		return nil
	}
	return d.vote(t.Slot)
}

// propose builds, seals and signs a block if one of our keys is the slot's proposer.
func (d *Duties) propose(slot uint64, now time.Time) error {
	if d.proposed[slot] || slot <= headerSlot(d.head) {
		return nil
	}
	pk, ok := d.e.Proposer(d.headState, d.headHash, slot)
	if !ok {
		return nil
	}
	k, mine := d.keys[pk]
	if !mine {
		return nil
	}
	st := d.e.StateAt(d.headState, d.e.EpochOf(slot), d.headHash)
	req := chain.TemplateRequest{PayTo: d.cfg.PayTo, Votes: d.includable(st, slot), Slashings: d.includableEvidence(st), Now: now}
	b, err := d.cfg.Template(req)
	if err != nil {
		return fmt.Errorf("staking: template for slot %d: %w", slot, err)
	}
	if b.Header.Seal == nil || b.Header.Seal.Slot != slot || b.Header.Seal.Proposer != pk || b.Header.Prev != d.headHash {
		// The chain's tip moved before NewHead reached us: try again at the next tick.
		return fmt.Errorf("staking: template for slot %d is not on the head with our seal", slot)
	}
	d.proposed[slot] = true // from here on, never a second block for this slot
	b.Header.Seal.VoteRoot = b.ComputeVoteRoot()
	if err := d.cfg.Protection.SignBlock(k, &b.Header); err != nil {
		d.log.Warn("not proposing", "slot", slot, "err", err)
		return nil
	}
	d.out.Blocks = append(d.out.Blocks, b)
	return nil
}

// includable picks pool votes a block at slot on the head may carry, oldest first.
func (d *Duties) includable(st *State, slot uint64) []chain.Vote {
	var vs []chain.Vote
	type vk struct {
		key [32]byte
		e   uint64
	}
	taken := map[vk]bool{}
	ep := d.e.EpochOf(slot)
	for h, v := range d.pool {
		if v.Target.Epoch+1 < ep {
			delete(d.pool, h)
			continue
		}
		if taken[vk{v.Validator, v.Target.Epoch}] {
			continue
		}
		if _, _, err := d.e.ValidateVote(st, &v, slot); err != nil {
			continue
		}
		taken[vk{v.Validator, v.Target.Epoch}] = true
		vs = append(vs, v)
	}
	sort.Slice(vs, func(i, j int) bool {
		if vs[i].Slot != vs[j].Slot {
			return vs[i].Slot < vs[j].Slot
		}
		return string(vs[i].Validator[:]) < string(vs[j].Validator[:])
	})
	if limit := int(d.e.pos.MaxVotesPerBlock); len(vs) > limit {
		vs = vs[:limit]
	}
	return vs
}

// includableEvidence returns pending evidence against validators still slashable in st.
func (d *Duties) includableEvidence(st *State) []chain.Evidence {
	var out, keep []chain.Evidence
	offenders := map[[32]byte]bool{}
	for _, ev := range d.evidence {
		key, err := CheckEvidence(&ev)
		if err != nil {
			continue
		}
		_, v, ok := st.ValidatorByKey(key)
		if !ok || v.Withdrawn {
			continue
		}
		keep = append(keep, ev)
		if v.Slashed || offenders[key] || len(out) >= 16 {
			continue
		}
		offenders[key] = true
		out = append(out, ev)
	}
	d.evidence = keep
	return out
}

// vote signs the votes of our keys assigned to slot, on the current head.
func (d *Duties) vote(slot uint64) error {
	ep := d.e.EpochOf(slot)
	st := d.e.StateAt(d.headState, ep, d.headHash)
	if st.Epoch != ep || headerSlot(d.head) > slot {
		return nil
	}
	ei := st.curInfo
	keys := make([][32]byte, 0, len(d.keys))
	for k := range d.keys {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool { return string(keys[i][:]) < string(keys[j][:]) })
	for _, key := range keys {
		if d.voted[key] > ep {
			continue
		}
		idx, ok := st.index[key]
		if !ok {
			continue
		}
		if vs, active := ei.VoteSlot(idx, d.e.pos.EpochSlots); !active || vs != slot {
			continue
		}
		v := chain.Vote{
			Validator: key, Slot: slot, Head: d.headHash,
			Source: st.CurJustified,
			Target: chain.Checkpoint{Epoch: ep, Root: st.CurTargetRoot},
		}
		d.voted[key] = ep + 1
		if err := d.cfg.Protection.SignVote(d.keys[key], &v); err != nil {
			d.log.Warn("not voting", "slot", slot, "err", err)
			continue
		}
		d.pool[v.Hash()] = v
		d.out.Votes = append(d.out.Votes, v)
	}
	return nil
}

// seeVote adds a vote to the pool and checks it against the validator's recent votes.
func (d *Duties) seeVote(v chain.Vote) {
	ep := d.e.EpochOf(headerSlot(d.head))
	if v.Target.Epoch+2 < ep {
		return
	}
	d.pool[v.Hash()] = v
	prev := d.seen[v.Validator]
	kept := prev[:0]
	for i := range prev {
		if prev[i].Target.Epoch+16 < ep {
			continue // forget votes far behind: bounded memory
		}
		kept = append(kept, prev[i])
		if d.reported[v.Validator] {
			continue
		}
		if ev, ok := DetectSlashable(&prev[i], &v); ok {
			d.reported[v.Validator] = true
			d.evidence = append(d.evidence, *ev)
			d.out.Evidence = append(d.out.Evidence, *ev)
		}
	}
	d.seen[v.Validator] = append(kept, v)
}

func (d *Duties) seeHeader(h *chain.Header) {
	if h.Seal == nil {
		return
	}
	k := blockSlotKey{h.Seal.Proposer, h.Seal.Slot}
	first, ok := d.blocks[k]
	if !ok {
		d.blocks[k] = *h
		for bk := range d.blocks {
			if bk.slot+64*d.e.pos.EpochSlots < h.Seal.Slot {
				delete(d.blocks, bk)
			}
		}
		return
	}
	if d.reported[h.Seal.Proposer] {
		return
	}
	if ev, ok := DetectDoubleBlock(&first, h); ok {
		d.reported[h.Seal.Proposer] = true
		d.evidence = append(d.evidence, *ev)
		d.out.Evidence = append(d.out.Evidence, *ev)
	}
}

// HeadSource is the part of *chain.Chain that HeadOf reads.
type HeadSource interface {
	Tip() (chain.Hash, uint64)
	TipHeader() *chain.Header
	State(h chain.Hash) (chain.EngineState, bool)
}

// HeadOf builds the NewHead input for the chain's current tip (the node steps it into
// Duties after every ProcessBlock or Reconsider that moved the tip).
func HeadOf(c HeadSource) (NewHead, error) {
	tip, _ := c.Tip()
	es, ok := c.State(tip)
	if !ok {
		return NewHead{}, fmt.Errorf("staking: no engine state for tip %s", tip)
	}
	st, err := asState(es)
	if err != nil {
		return NewHead{}, err
	}
	h := c.TipHeader()
	if h == nil || h.Hash() != tip {
		return NewHead{}, fmt.Errorf("staking: tip moved while reading it")
	}
	return NewHead{Hash: tip, Header: h, State: st}, nil
}
