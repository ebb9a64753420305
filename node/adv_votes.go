package node

import (
	"sync"

	"github.com/btcsuite/btcd/btcec/v2"

	"chainlab/chain"
)

// voteForger turns the duties' honest votes into the slashable votes of the double-vote
// and surround-vote adversaries (see Adversary). Forged votes are signed directly with the
// validator key: the node's slashing protection, which would refuse them, is bypassed on
// purpose. It runs on the duties goroutine; keys may be added from RPC (mu).
type voteForger struct {
	mode    Adversary
	genesis chain.Hash

	mu   sync.Mutex
	keys map[[32]byte]*btcec.PrivateKey

	last map[[32]byte]chain.Vote // last vote published per key (surround-vote)
}

func newVoteForger(mode Adversary, genesis chain.Hash, keys []*btcec.PrivateKey) *voteForger {
	f := &voteForger{mode: mode, genesis: genesis, keys: map[[32]byte]*btcec.PrivateKey{}, last: map[[32]byte]chain.Vote{}}
	for _, k := range keys {
		f.addKey(k)
	}
	return f
}

func (f *voteForger) addKey(k *btcec.PrivateKey) {
	f.mu.Lock()
	f.keys[chain.XOnlyKey(k)] = k
	f.mu.Unlock()
}

func (f *voteForger) key(x [32]byte) *btcec.PrivateKey {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.keys[x]
}

// forge takes one honest vote v of the duties and returns the votes to publish: honest
// ones go through the vote pool as usual (fork choice, own duties), forged ones are only
// kept for relay so the node does not report itself.
func (f *voteForger) forge(v chain.Vote) (honest, forged []chain.Vote) {
	if f == nil {
		return []chain.Vote{v}, nil
	}
	k := f.key(v.Validator)
	if k == nil {
		return []chain.Vote{v}, nil
	}
	switch f.mode {
	case AdvDoubleVote:
		// Same target epoch, another head and target root (the justified source's root).
		v2 := v
		v2.Head, v2.Target.Root = v.Source.Root, v.Source.Root
		if v2.Head == v.Head && v2.Target == v.Target {
			// Early on the three roots may coincide: another slot of the epoch still makes
			// the data differ with the same target epoch.
			if v2.Slot%2 == 0 {
				v2.Slot++
			} else {
				v2.Slot--
			}
		}
		if sign(k, &v2) {
			return []chain.Vote{v}, []chain.Vote{v2}
		}
	case AdvSurroundVote:
		prev, ok := f.last[v.Validator]
		if ok && prev.Source.Epoch >= 1 && prev.Target.Epoch < v.Target.Epoch {
			// Source genesis (epoch 0 < prev's source), target this epoch (> prev's
			// target): it surrounds prev. The honest vote for this epoch is not published,
			// so the pair is a surround, not a double vote.
			v2 := v
			v2.Source = chain.Checkpoint{Epoch: 0, Root: f.genesis}
			if sign(k, &v2) {
				f.last[v.Validator] = v2
				return nil, []chain.Vote{v2}
			}
		}
		f.last[v.Validator] = v
	}
	return []chain.Vote{v}, nil
}

func sign(k *btcec.PrivateKey, v *chain.Vote) bool {
	sig, err := chain.SignHash(k, v.SigningHash())
	if err != nil {
		return false
	}
	v.Sig = sig
	return true
}

// keepForRelay stores a forged vote so peers can fetch it after the inv (p2p asks the
// vote pool for the body). Unlike AddVote it does not feed the node's own fork choice or
// duties: the adversary does not report itself.
func (p *votePool) keepForRelay(v *chain.Vote) {
	h := v.Hash()
	p.mu.Lock()
	defer p.mu.Unlock()
	if _, ok := p.votes[h]; ok {
		return
	}
	if len(p.order) >= p.max {
		delete(p.votes, p.order[0])
		p.order = p.order[1:]
	}
	cp := *v
	p.votes[h] = &cp
	p.order = append(p.order, h)
}
