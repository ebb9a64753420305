package chain

import (
	"container/heap"
	"math/bits"
)

// feeRateCmp compares fee rates fa/sa and fb/sb exactly (128-bit cross products, so no
// rounding and no overflow): -1, 0 or +1.
func feeRateCmp(fa uint64, sa int, fb uint64, sb int) int {
	ah, al := bits.Mul64(fa, uint64(sb))
	bh, bl := bits.Mul64(fb, uint64(sa))
	switch {
	case ah < bh || (ah == bh && al < bl):
		return -1
	case ah > bh || (ah == bh && al > bl):
		return 1
	}
	return 0
}

// better reports whether a should be mined before b: higher fee rate, then earlier
// arrival, then lower txid (a total order, so templates are deterministic).
func (a *poolTx) better(b *poolTx) bool {
	if c := feeRateCmp(a.fee, a.size, b.fee, b.size); c != 0 {
		return c > 0
	}
	if a.seq != b.seq {
		return a.seq < b.seq
	}
	return hashLess(a.id, b.id)
}

func hashLess(a, b Hash) bool {
	for i := HashSize - 1; i >= 0; i-- { // display order: most significant byte last
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return false
}

// evictHeap is a min-heap of pool entries by mining priority: the root is the entry to evict
// first (lowest fee rate, newest). Entries keep their index for O(log n) removal.
type evictHeap []*poolTx

func (h evictHeap) Len() int           { return len(h) }
func (h evictHeap) Less(i, j int) bool { return h[j].better(h[i]) }
func (h evictHeap) Swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].heapIdx = i
	h[j].heapIdx = j
}
func (h *evictHeap) Push(x any) {
	e := x.(*poolTx)
	e.heapIdx = len(*h)
	*h = append(*h, e)
}
func (h *evictHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	e.heapIdx = -1
	return e
}

func (h *evictHeap) remove(e *poolTx) {
	if e.heapIdx >= 0 {
		heap.Remove(h, e.heapIdx)
	}
}

// mineHeap is a max-heap by mining priority (template selection).
type mineHeap []*poolTx

func (h mineHeap) Len() int           { return len(h) }
func (h mineHeap) Less(i, j int) bool { return h[i].better(h[j]) }
func (h mineHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *mineHeap) Push(x any)        { *h = append(*h, x.(*poolTx)) }
func (h *mineHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	old[len(old)-1] = nil
	*h = old[:len(old)-1]
	return e
}
