package staking

import (
	"bytes"
	"sync"

	"chainlab/chain"
)

// latestMsg is a validator's latest LMD vote.
type latestMsg struct {
	epoch uint64
	root  chain.Hash
}

// forkChoice is the engine's fork-choice store: the latest vote of every validator (from
// blocks and gossip) and the best justified and finalized checkpoints seen. It has its own
// lock: OnVote may be called from any goroutine.
type forkChoice struct {
	mu        sync.Mutex
	keys      map[[32]byte]bool // validator keys ever seen (gossip filter)
	latest    map[[32]byte]latestMsg
	justified chain.Checkpoint
	finalized chain.Checkpoint
	maxEpoch  uint64 // highest epoch of a block applied: bounds gossip votes' targets
}

func newForkChoice(g *State, gh chain.Hash) *forkChoice {
	fc := &forkChoice{keys: map[[32]byte]bool{}, latest: map[[32]byte]latestMsg{}}
	for k := range g.index {
		fc.keys[k] = true
	}
	cp := chain.Checkpoint{Epoch: 0, Root: gh}
	fc.justified, fc.finalized = cp, cp
	return fc
}

func (fc *forkChoice) learnKey(k [32]byte) {
	fc.mu.Lock()
	fc.keys[k] = true
	fc.mu.Unlock()
}

func (fc *forkChoice) sawEpoch(e uint64) {
	fc.mu.Lock()
	fc.maxEpoch = max(fc.maxEpoch, e)
	fc.mu.Unlock()
}

// onVerifiedVote records a verified vote as its validator's latest message.
//
//	def update_latest_messages(store: Store, attesting_indices: Sequence[ValidatorIndex], attestation: Attestation) -> None:
//	    target = attestation.data.target
//	    beacon_block_root = attestation.data.beacon_block_root
//	    for i in attesting_indices:
//	        if i not in store.latest_messages or target.epoch > store.latest_messages[i].epoch:
//	            store.latest_messages[i] = LatestMessage(epoch=target.epoch, root=beacon_block_root)
func (fc *forkChoice) onVerifiedVote(v *chain.Vote) {
	fc.mu.Lock()
	defer fc.mu.Unlock()
	// on_attestation → update_latest_messages: a later target epoch replaces the vote.
	if m, ok := fc.latest[v.Validator]; !ok || v.Target.Epoch > m.epoch {
		fc.latest[v.Validator] = latestMsg{epoch: v.Target.Epoch, root: v.Head}
	}
}

// OnVote feeds a gossiped vote to the fork-choice store: a known validator's correctly
// signed vote replaces its latest message if its target epoch is later. It is safe to call
// from any goroutine. Inclusion rules (slot, source, committee) are checked when a block
// carries the vote, not here; an unknown head simply adds no weight until it is known.
func (e *Engine) OnVote(v *chain.Vote) error {
	if err := e.admissible(v); err != nil {
		return err
	}
	h := v.Hash()
	if !e.sigs.has(h) {
		if !e.keys.verifyVote(v) {
			return chain.NewRuleError(chain.ErrBadVote, "bad signature")
		}
		e.sigs.add(h)
	}
	e.fc.onVerifiedVote(v)
	return nil
}

// admissible applies OnVote's checks but the signature.
func (e *Engine) admissible(v *chain.Vote) error {
	e.fc.mu.Lock()
	known := e.fc.keys[v.Validator]
	// A vote far beyond any block seen would pin the validator's latest message (phase0
	// on_attestation only takes current or previous epoch targets).
	horizon := e.fc.maxEpoch + 2
	e.fc.mu.Unlock()
	if !known {
		return chain.NewRuleError(chain.ErrBadVote, "unknown validator %x", v.Validator[:8])
	}
	if v.Target.Epoch != v.Slot/e.pos.EpochSlots {
		return chain.NewRuleError(chain.ErrBadVote, "target epoch %d for slot %d", v.Target.Epoch, v.Slot)
	}
	if v.Target.Epoch > horizon {
		return chain.NewRuleError(chain.ErrBadVote, "target epoch %d beyond %d", v.Target.Epoch, horizon)
	}
	return nil
}

// ObserveBlock implements chain.BlockObserver: the votes a stored block carries join the
// fork-choice store whether or not the block is connected (phase0 on_block calls
// on_attestation for each of the block's attestations, on every branch). Each vote passes
// OnVote's checks (known validator, target epoch, horizon, signature); one that fails them
// simply adds no weight here, and the block itself is judged when it is connected.
// Without this, the votes that only a side branch carries (those of the other side of a
// healed partition) would never weigh for it, and the branch would never be connected.
// Signatures are verified in parallel through the cache (Apply then finds them there).
func (e *Engine) ObserveBlock(r chain.HeaderReader, b *chain.Block) {
	e.side.observed(b) // until applied: the fork choice may replay it (sidebranch.go)
	votes := b.Votes
	for i := range b.Votes {
		if e.admissible(&b.Votes[i]) != nil {
			votes = nil // rare: copy the admissible ones
			for j := range b.Votes {
				if e.admissible(&b.Votes[j]) == nil {
					votes = append(votes, b.Votes[j])
				}
			}
			break
		}
	}
	if len(votes) == 0 {
		return
	}
	if e.VerifyVotes(votes) >= 0 {
		// A bad signature (the block will fail at connect): count only the good ones.
		e.log.Debug("stored block carries a badly signed vote", "block", b.Hash())
		for i := range votes {
			_ = e.OnVote(&votes[i])
		}
		return
	}
	for i := range votes {
		e.fc.onVerifiedVote(&votes[i])
	}
}

// FinalizedCheckpoint returns the best finalized checkpoint the store has seen.
func (e *Engine) FinalizedCheckpoint() chain.Checkpoint {
	e.fc.mu.Lock()
	defer e.fc.mu.Unlock()
	return e.fc.finalized
}

type fcNode struct {
	hash     chain.Hash
	parent   int
	children []int
	weight   uint64
	viable   bool
	fetched  bool
	st       *State // nil when the chain has no state for it (yet)
	vst      *State // leaves: st, or the nearest ancestor's (viability)
	// leaves: the justified checkpoint of the leaf's own state is not known (no state,
	// and an epoch boundary lies between it and vst: its branch may have justified more).
	unknown bool
}

// ChooseHead is LMD-GHOST from the latest justified checkpoint (phase0 fork choice).
//
//	def get_head(store: Store) -> Root:
//	    # Get filtered block tree that only includes viable branches
//	    blocks = get_filtered_block_tree(store)
//	    # Execute the LMD-GHOST fork choice
//	    head = store.justified_checkpoint.root
//	    while True:
//	        children = [root for root in blocks.keys() if blocks[root].parent_root == head]
//	        if len(children) == 0:
//	            return head
//	        # Sort by latest attesting balance with ties broken lexicographically
//	        head = max(children, key=lambda root: (get_weight(store, root), root))
//
// The tree walked is the subtree of the store's finalized root, so a head that conflicts
// with the finalized checkpoint is never chosen. The justified checkpoint is the highest
// one among the leaves' states of that subtree (and the store's); a leaf is viable when its state's
// current justified checkpoint is that one (filter_block_tree), or the justified epoch is 0.
// A leaf the chain has no state for is judged by its nearest ancestor's state if no epoch
// boundary lies between them (its checkpoints are then that state's), and is otherwise a
// candidate until connected (its checkpoints are not known yet; see below).
// Weights are the stakes of the justified root's state; ties go to the greater hash
// (byte-wise, as the spec compares roots).
func (e *Engine) ChooseHead(t chain.BlockTree) (chain.Hash, error) {
	e.fc.mu.Lock()
	defer e.fc.mu.Unlock()
	fin := e.fc.finalized
	if _, ok := t.Header(fin.Root); !ok {
		fin = chain.Checkpoint{Root: e.gHash}
	}
	// Collect the subtree of the finalized root (no states yet: decoding a state can be
	// costly for a chain that stores them, and only leaves and the justified root need one).
	nodes := []fcNode{{hash: fin.Root, parent: -1}}
	pos := map[chain.Hash]int{fin.Root: 0}
	for i := 0; i < len(nodes); i++ {
		for _, c := range t.Children(nodes[i].hash) {
			if _, dup := pos[c]; dup {
				continue
			}
			pos[c] = len(nodes)
			nodes = append(nodes, fcNode{hash: c, parent: i})
			nodes[i].children = append(nodes[i].children, len(nodes)-1)
		}
	}
	stateOf := func(i int) *State {
		n := &nodes[i]
		if !n.fetched {
			n.fetched = true
			if s, ok := t.State(n.hash); ok {
				n.st, _ = s.(*State)
			}
		}
		return n.st
	}
	// A block whose transactions the chain has not validated yet (a side branch never
	// connected) has no state: it is judged by its nearest ancestor's, and the chain
	// validates it (computing its state) when it tries to connect it.
	nearest := func(i int) *State {
		for ; i >= 0; i = nodes[i].parent {
			if s := stateOf(i); s != nil {
				return s
			}
		}
		return nil
	}
	// Best justified and finalized checkpoints: both only grow along a branch, so the
	// leaves' states hold the best of their branch (update_checkpoints over the blocks'
	// states, see sidebranch.go).
	just := e.fc.justified
	var sideJust chain.Checkpoint // best justified checkpoint among estimated leaves
	for i := range nodes {
		if len(nodes[i].children) > 0 {
			continue
		}
		st := nearest(i)
		nodes[i].vst = st
		if st == nil {
			continue
		}
		// Justification and finalization change only at epoch boundaries (processEpoch),
		// so a stateless leaf in its nearest state's epoch has exactly that state's
		// checkpoints. Past a boundary they are unknown until the chain connects the
		// branch (the ancestor's are only a lower bound); replaying the branch's stored
		// blocks estimates its justified checkpoint, which may raise the one this choice
		// starts from (on_block runs state_transition on every block and
		// update_checkpoints keeps the best; see sidebranch.go).
		if stateOf(i) == nil {
			if h, ok := t.Header(nodes[i].hash); ok && e.EpochOf(headerSlot(h)) > st.Epoch {
				nodes[i].unknown = true
				if est := e.estimateLeaf(nodes, i, stateOf); est != nil && est.CurJustified.Epoch > sideJust.Epoch {
					sideJust = est.CurJustified
				}
			}
		}
		if st.Finalized.Epoch > fin.Epoch {
			if _, in := pos[st.Finalized.Root]; in {
				fin = st.Finalized
			}
		}
		if st.CurJustified.Epoch > just.Epoch {
			just = st.CurJustified
		}
	}
	e.fc.finalized = fin
	ji, ok := pos[just.Root]
	if !ok || just.Epoch < fin.Epoch {
		just, ji = fin, pos[fin.Root]
	}
	e.fc.justified = just
	// An estimated branch's justification counts for this choice only: the store keeps
	// what real states showed (the estimate skips stake transactions; once the chain
	// connects the branch its state is known).
	if i, in := pos[sideJust.Root]; in && sideJust.Epoch > just.Epoch {
		just, ji = sideJust, i
	}
	finHeight, _ := t.Height(fin.Root)
	e.side.prune(func(h chain.Hash) bool {
		hh, ok := t.Height(h)
		return ok && hh > finHeight
	})

	// Viability (filter_block_tree): leaves agreeing with the justified checkpoint (or
	// all, if none does). A leaf whose checkpoints are unknown stays a candidate, even if
	// its estimate justified less (the estimate skips stake transactions, so it could be
	// too low): judging it by its ancestor's would exclude for good every branch the
	// chain has not connected yet (it connects only what this returns), such as the
	// majority's branch on the minority side of a healed partition. Once connected its
	// real state decides, and if that disagrees the next round (same runForkChoice)
	// moves back.
	anyViable := false
	for i := len(nodes) - 1; i >= 0; i-- {
		n := &nodes[i]
		if len(n.children) == 0 {
			n.viable = n.vst != nil && (just.Epoch == 0 || n.vst.CurJustified == just || n.unknown)
		}
		if n.viable {
			anyViable = true
			if n.parent >= 0 {
				nodes[n.parent].viable = true
			}
		}
	}
	if !anyViable {
		for i := range nodes {
			nodes[i].viable = true
		}
	}

	// Weights: each latest vote adds its validator's stake to its head block; subtree sums.
	if ws := nearest(ji); ws != nil {
		for key, m := range e.fc.latest {
			i, ok := pos[m.root]
			if !ok {
				continue
			}
			vi, ok := ws.index[key]
			if !ok {
				continue
			}
			nodes[i].weight += ws.curInfo.WeightOf(vi)
		}
	}
	for i := len(nodes) - 1; i > 0; i-- {
		nodes[nodes[i].parent].weight += nodes[i].weight
	}

	head := ji
	for {
		best := -1
		for _, c := range nodes[head].children {
			if !nodes[c].viable {
				continue
			}
			if best < 0 || nodes[c].weight > nodes[best].weight ||
				(nodes[c].weight == nodes[best].weight && bytes.Compare(nodes[c].hash[:], nodes[best].hash[:]) > 0) {
				best = c
			}
		}
		if best < 0 {
			return nodes[head].hash, nil
		}
		head = best
	}
}

// estimateLeaf replays the stored, never-connected blocks between leaf i and its nearest
// ancestor with a state (or an earlier estimate); nil if it cannot (sidebranch.go).
func (e *Engine) estimateLeaf(nodes []fcNode, i int, stateOf func(int) *State) *State {
	var path []chain.Hash
	var base *State
	for j := i; j >= 0; j = nodes[j].parent {
		if s := stateOf(j); s != nil {
			base = s
			break
		}
		if s := e.side.estimate(nodes[j].hash); s != nil {
			base = s
			break
		}
		path = append(path, nodes[j].hash)
	}
	if base == nil {
		return nil
	}
	if len(path) == 0 {
		return base
	}
	for a, b := 0, len(path)-1; a < b; a, b = a+1, b-1 {
		path[a], path[b] = path[b], path[a]
	}
	return e.replay(base, path)
}
