package sim

// SelfishMiner is Eyal & Sirer's selfish-mining decision rule (Algorithm 1 of "Majority is
// not enough: Bitcoin mining is vulnerable", 2014) with no network or chain attached: the
// caller reports the heights of the blocks the attacker mines and of the public blocks it
// hears of, and the machine says how many of its oldest private blocks to publish. The
// simulator drives it (adversary.go); a real node's mining loop could drive it the same way.
//
// With lead = (height of the private tip) − (public height) after a public block arrives
// (Δprev = lead + 1 in the paper): lead < 0 → adopt the public chain (drop the private
// blocks); lead = 0 → publish all: a tie race, in which the tie share γ matters; lead = 1 →
// publish all (the private branch wins); lead ≥ 2 → publish the private blocks up to the
// public height. A block mined during a tie race is published at once (it wins the race).
type SelfishMiner struct {
	private []uint64 // heights of unpublished blocks, oldest first
	pubH    uint64   // highest public (honest or published) height known
	race    bool
}

// Decision is what to do after an event.
type Decision struct {
	Publish int  // publish this many of the oldest private blocks (in order)
	Race    bool // the publication starts a tie race
	Adopt   bool // drop every private block: the public chain is longer
}

// Private returns the number of unpublished blocks.
func (s *SelfishMiner) Private() int { return len(s.private) }

// Mined records the attacker's new block at height h (on its private tip).
func (s *SelfishMiner) Mined(h uint64) Decision {
	s.private = append(s.private, h)
	if s.race {
		s.race = false
		return s.publish(len(s.private), false)
	}
	return Decision{}
}

// Public records a public (honest) block at height h.
func (s *SelfishMiner) Public(h uint64) Decision {
	if h <= s.pubH {
		return Decision{}
	}
	s.pubH = h
	s.race = false
	if len(s.private) == 0 {
		return Decision{}
	}
	top := s.private[len(s.private)-1]
	if top < s.pubH {
		s.private = nil
		return Decision{Adopt: true}
	}
	switch top - s.pubH {
	case 0:
		d := s.publish(len(s.private), true)
		s.race = true
		return d
	case 1:
		return s.publish(len(s.private), false)
	default:
		k := 0
		for k < len(s.private) && s.private[k] <= s.pubH {
			k++
		}
		return s.publish(k, false)
	}
}

func (s *SelfishMiner) publish(k int, race bool) Decision {
	if k > 0 && s.private[k-1] > s.pubH {
		s.pubH = s.private[k-1]
	}
	s.private = append([]uint64(nil), s.private[k:]...)
	return Decision{Publish: k, Race: race}
}
