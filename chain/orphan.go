package chain

// orphanPool holds blocks whose parent is unknown, bounded by count; the oldest is evicted
// first. When a block is accepted, its orphan children are processed (ProcessBlock).
type orphanPool struct {
	max      int
	blocks   map[Hash]*Block
	byParent map[Hash][]Hash
	order    []Hash // insertion order, for eviction
}

func newOrphanPool(max int) *orphanPool {
	return &orphanPool{max: max, blocks: make(map[Hash]*Block), byParent: make(map[Hash][]Hash)}
}

func (p *orphanPool) has(h Hash) bool { _, ok := p.blocks[h]; return ok }

func (p *orphanPool) add(h Hash, b *Block) {
	if p.has(h) {
		return
	}
	for len(p.blocks) >= p.max && len(p.order) > 0 {
		p.remove(p.order[0])
	}
	p.blocks[h] = b
	p.byParent[b.Header.Prev] = append(p.byParent[b.Header.Prev], h)
	p.order = append(p.order, h)
}

func (p *orphanPool) remove(h Hash) {
	b, ok := p.blocks[h]
	if !ok {
		return
	}
	delete(p.blocks, h)
	sib := p.byParent[b.Header.Prev]
	for i, s := range sib {
		if s == h {
			sib = append(sib[:i], sib[i+1:]...)
			break
		}
	}
	if len(sib) == 0 {
		delete(p.byParent, b.Header.Prev)
	} else {
		p.byParent[b.Header.Prev] = sib
	}
	for i, s := range p.order {
		if s == h {
			p.order = append(p.order[:i], p.order[i+1:]...)
			break
		}
	}
}

// takeChildren removes and returns the orphans whose parent is h.
func (p *orphanPool) takeChildren(h Hash) []*Block {
	hs := p.byParent[h]
	out := make([]*Block, 0, len(hs))
	for _, c := range append([]Hash(nil), hs...) {
		out = append(out, p.blocks[c])
		p.remove(c)
	}
	return out
}

// root returns the hash of the oldest missing ancestor of orphan h (what to request).
func (p *orphanPool) root(h Hash) Hash {
	for {
		b, ok := p.blocks[h]
		if !ok {
			return h
		}
		h = b.Header.Prev
	}
}
