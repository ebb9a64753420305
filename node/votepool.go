package node

import (
	"sync"
	"time"

	"chainlab/chain"
)

// votePool holds PoS votes and slashing evidence seen on the network or made locally, for
// relay (p2p.VotePool), for the fork choice (staking.Engine.OnVote) and for proposers
// (the duties keep their own includable set, fed by SeenVote). Bounded: the oldest entries
// go first.
type votePool struct {
	n   *Node
	max int

	mu       sync.Mutex
	votes    map[chain.Hash]*chain.Vote
	order    []chain.Hash
	evidence map[chain.Hash]*chain.Evidence
}

func newVotePool(n *Node, max int) *votePool {
	return &votePool{n: n, max: max, votes: map[chain.Hash]*chain.Vote{}, evidence: map[chain.Hash]*chain.Evidence{}}
}

// AddVote validates v (known validator, signature, epoch) through the engine's fork-choice
// store and keeps it for relay. Invalid votes return a *chain.RuleError.
func (p *votePool) AddVote(v *chain.Vote, now time.Time) error {
	h := v.Hash()
	if p.HasVote(h) {
		return chain.NewRuleError(chain.ErrAlreadyHave, "vote %s", h)
	}
	if err := p.n.pos.OnVote(v); err != nil {
		return err
	}
	p.mu.Lock()
	if len(p.order) >= p.max {
		delete(p.votes, p.order[0])
		p.order = p.order[1:]
	}
	cp := *v
	p.votes[h] = &cp
	p.order = append(p.order, h)
	p.mu.Unlock()
	if d, ok := p.n.producer.(*posProducer); ok {
		d.seenVote(cp)
	}
	return nil
}

func (p *votePool) HasVote(h chain.Hash) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.votes[h]
	return ok
}

func (p *votePool) GetVote(h chain.Hash) (*chain.Vote, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	v, ok := p.votes[h]
	return v, ok
}

// AddEvidence keeps slashing evidence for relay; its validity is checked when a block
// includes it (staking.Engine.Apply) — here only the shape is checked.
func (p *votePool) AddEvidence(e *chain.Evidence, now time.Time) error {
	switch e.Kind {
	case chain.EvidenceDoubleVote, chain.EvidenceSurroundVote, chain.EvidenceDoubleBlock:
	default:
		return chain.NewRuleError(chain.ErrBadEvidence, "unknown kind %d", e.Kind)
	}
	h := e.Hash()
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.evidence[h]; ok {
		return chain.NewRuleError(chain.ErrAlreadyHave, "evidence %s", h)
	}
	if len(p.evidence) >= 1024 {
		for k := range p.evidence {
			delete(p.evidence, k)
			break
		}
	}
	cp := *e
	p.evidence[h] = &cp
	return nil
}

func (p *votePool) HasEvidence(h chain.Hash) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	_, ok := p.evidence[h]
	return ok
}

func (p *votePool) GetEvidence(h chain.Hash) (*chain.Evidence, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	e, ok := p.evidence[h]
	return e, ok
}
