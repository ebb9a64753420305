package chain

import (
	"fmt"
	"sync"
)

// stateCache keeps engine states per block in memory (bounded) in front of the 's' keys.
// States of blocks validated in memory but not (yet) written live only here.
type stateCache struct {
	mu  sync.Mutex // leaf lock: readers holding Chain.mu shared fill the cache
	c   *Chain
	max int
	m   map[Hash]EngineState
}

func newStateCache(c *Chain, max int) *stateCache {
	return &stateCache{c: c, max: max, m: make(map[Hash]EngineState)}
}

func (s *stateCache) put(h Hash, st EngineState) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.m[h]; !ok && len(s.m) >= s.max {
		for k := range s.m {
			if k != s.c.tip().hash {
				delete(s.m, k)
				break
			}
		}
	}
	s.m[h] = st
}

// stateOf returns the engine state after n, if known. Caller holds c.mu.
func (c *Chain) stateOf(n *blockNode) (EngineState, bool, error) {
	if c.stateless {
		return nil, true, nil // every block's state is nil: header checks are never deferred
	}
	if st, ok := c.states.get(n.hash); ok {
		return st, true, nil
	}
	b, err := c.store.get(hashKey(prefixState, n.hash))
	if err != nil || b == nil {
		return nil, false, err
	}
	st, err := c.engine.DecodeState(b)
	if err != nil {
		return nil, false, fmt.Errorf("chain: decode engine state of %s: %w", n.hash, err)
	}
	c.states.put(n.hash, st)
	return st, true, nil
}

func (s *stateCache) get(h Hash) (EngineState, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	st, ok := s.m[h]
	return st, ok
}
