package staking

import (
	"sync"

	"chainlab/chain"
)

// maxSideBodies bounds the bodies kept for blocks the chain has stored but not connected.
// Beyond it a new side block is not kept, and a branch through it is judged as before
// (its checkpoints unknown until the chain connects it).
const maxSideBodies = 4096

// sideBranches lets the fork choice learn the FFG checkpoints of a branch the chain has
// stored but never connected (so has no state for).
//
// The spec processes every block it stores, on every branch, and the store's checkpoints
// follow the best one any of them reached:
//
//	def on_block(store: Store, signed_block: SignedBeaconBlock) -> None:
//	    ...
//	    state = pre_state.copy()
//	    state_transition(state, signed_block, True)
//	    store.blocks[block_root] = block
//	    store.block_states[block_root] = state
//	    ...
//	    # Update justified and finalized checkpoints
//	    update_checkpoints(store, state.current_justified_checkpoint, state.finalized_checkpoint)
//
//	def update_checkpoints(store: Store, justified_checkpoint: Checkpoint, finalized_checkpoint: Checkpoint) -> None:
//	    if justified_checkpoint.epoch > store.justified_checkpoint.epoch:
//	        store.justified_checkpoint = justified_checkpoint
//	    if finalized_checkpoint.epoch > store.finalized_checkpoint.epoch:
//	        store.finalized_checkpoint = finalized_checkpoint
//
// The chain validates a block's transactions (and computes its state) only when it
// connects it, and it connects only the branch ChooseHead returns. A side branch past an
// epoch boundary from its last known state may have justified a later checkpoint, which
// makes the current branch non-viable (filter_block_tree), but only its state shows it.
// After a 2|2 partition heals, each side's latest messages weigh 2:2; the side whose
// branch justified less wins the hash tie-break on the other side's nodes, so they never
// connect it, never learn it justified more, and the network stays split for good (the
// other side finds that branch non-viable). Connecting the branch just to look would make
// nodes reorg back and forth with each new side block.
//
// So the engine keeps the bodies of stored, not yet connected blocks (ObserveBlock) and
// replays their consensus transition (transition without the transactions' stake changes:
// votes, slashings, epoch processing) from the nearest state. The result is an estimate:
// stake deposits and withdrawals on the branch are not applied. ChooseHead uses it only
// to raise the justified checkpoint of that one choice (as update_checkpoints would), so
// a branch estimated to justify more makes the branches that justified less non-viable
// and gets connected; it never records it in the store, never takes finality from it,
// and never excludes the estimated leaf itself (a too-low estimate must not hide a
// branch). Once the chain connects the branch, its real state decides.
type sideBranches struct {
	mu     sync.Mutex
	bodies map[chain.Hash]*chain.Block
	est    map[chain.Hash]*State // replayed states (estimates) by block hash
}

func newSideBranches() *sideBranches {
	return &sideBranches{bodies: map[chain.Hash]*chain.Block{}, est: map[chain.Hash]*State{}}
}

// observed keeps a stored block's body until the block is applied.
func (s *sideBranches) observed(b *chain.Block) {
	h := b.Hash()
	s.mu.Lock()
	if len(s.bodies) < maxSideBodies {
		s.bodies[h] = b
	}
	s.mu.Unlock()
}

// applied forgets a block the chain has validated: it has a real state now.
func (s *sideBranches) applied(b *chain.Block) {
	s.mu.Lock()
	if len(s.bodies) > 0 || len(s.est) > 0 {
		h := b.Hash()
		delete(s.bodies, h)
		delete(s.est, h)
	}
	s.mu.Unlock()
}

func (s *sideBranches) body(h chain.Hash) *chain.Block {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.bodies[h]
}

func (s *sideBranches) estimate(h chain.Hash) *State {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.est[h]
}

func (s *sideBranches) remember(h chain.Hash, st *State) {
	s.mu.Lock()
	if len(s.est) < maxSideBodies {
		s.est[h] = st
	}
	s.mu.Unlock()
}

// prune drops the entries of blocks keep rejects (no longer indexed, or not above the
// finalized checkpoint).
func (s *sideBranches) prune(keep func(chain.Hash) bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for h := range s.bodies {
		if !keep(h) {
			delete(s.bodies, h)
		}
	}
	for h := range s.est {
		if !keep(h) {
			delete(s.est, h)
		}
	}
}

// replay returns the estimated state after the last block of path (block hashes, parent
// first) on top of base, the state after path[0]'s parent; nil if a body is missing or a
// block fails the consensus rules (the chain then judges the branch when it connects it).
// Each block's estimate is remembered, so a growing branch costs one block per call.
func (e *Engine) replay(base *State, path []chain.Hash) *State {
	st := base
	for _, h := range path {
		b := e.side.body(h)
		if b == nil {
			return nil
		}
		next, _, err := e.transition(st, b, nil, false)
		if err != nil {
			e.log.Debug("side block fails replay", "block", h, "err", err)
			return nil
		}
		e.side.remember(h, next)
		st = next
	}
	return st
}
