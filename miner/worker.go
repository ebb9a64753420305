package miner

import (
	"math"
	"slices"
	"sync"
	"time"

	"chainlab/chain"
)

// Batch sizes: unthrottled workers hash maxBatch nonces (about 2 ms with SHA-NI) between
// checks for abandoned work; throttled workers hash about throttleCycle worth of their
// share and then sleep until their schedule says the next batch is due.
const (
	maxBatch      = 1 << 16
	minBatch      = 64
	throttleCycle = 5 * time.Millisecond
	// A worker less than this far behind its schedule (CPU starved, or waiting for a
	// template) catches up by hashing without sleeping; beyond it, it forgets the debt.
	maxLag = time.Second
)

// control is the miner's control goroutine: it fetches templates, publishes them to the
// workers, submits found blocks and samples the hash counters.
func (m *Miner) control(stop, done chan struct{}, notify chan struct{}, found chan *foundBlock) {
	defer close(done)
	tick := time.NewTicker(500 * time.Millisecond)
	defer tick.Stop()
	var lastSubmitted uint64
	fetch := true
	for {
		if fetch {
			if err := m.publish(); err != nil {
				m.log.Warn("no block template", "err", err)
				select {
				case <-stop:
					return
				case <-notify:
				case <-time.After(time.Second):
				}
				continue
			}
			fetch = false
		}
		select {
		case <-stop:
			return
		case <-notify:
			fetch = true
		case f := <-found:
			if f.gen <= lastSubmitted {
				continue // a second solution of work already solved
			}
			lastSubmitted = f.gen
			m.mu.Lock()
			m.job = nil
			m.bumpLocked() // abandon the solved work everywhere
			m.mu.Unlock()
			hash := f.block.Header.Hash()
			if err := m.cfg.Submit(f.block); err != nil {
				m.rejected.Add(1)
				m.log.Warn("block rejected", "hash", hash, "err", err)
			} else {
				m.found.Add(1)
				m.log.Info("block found", "hash", hash, "bits", f.block.Header.Bits, "txs", len(f.block.Txs))
			}
			fetch = true
		case now := <-tick.C:
			m.mu.Lock()
			m.sampleLocked(now, m.totalLocked())
			m.mu.Unlock()
		}
	}
}

// publish fetches a template and makes it the current job.
func (m *Miner) publish() error {
	b, err := m.cfg.Template()
	if err != nil {
		return err
	}
	if len(b.Txs) == 0 || !b.Txs[0].IsCoinbase() {
		return errNoCoinbase
	}
	target, err := targetOf(b.Header.Bits)
	if err != nil {
		return err
	}
	if target.Cmp(m.powLimit) > 0 {
		return chain.NewRuleError(chain.ErrBadPowLimit, "template bits 0x%08x are easier than the pow limit", b.Header.Bits)
	}
	j := &job{block: b, txids: chain.TxIDs(b.Txs), target: target}
	m.mu.Lock()
	defer m.mu.Unlock()
	j.gen = m.gen.Load()
	m.job = j
	m.wakeLocked()
	return nil
}

// worker hashes the current job until it is abandoned, solved or the worker set quits.
func (m *Miner) worker(quit chan struct{}, wg *sync.WaitGroup, ctr *counter, threads int) {
	defer wg.Done()
	var w work
	var p pacer // kept across jobs so template changes do not reset the schedule
	var doneGen uint64
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	for {
		m.mu.Lock()
		j, wake := m.job, m.wakeCh
		m.mu.Unlock()
		if j == nil || j.gen != m.gen.Load() || j.gen == doneGen {
			select {
			case <-quit:
				return
			case <-wake:
			}
			continue
		}
		doneGen = j.gen
		if !m.mine(j, &w, &p, ctr, threads, quit, timer) {
			return
		}
	}
}

// pacer schedules a throttled worker: after count hashes since start at rate r, the next
// batch is due at start + count/r.
type pacer struct {
	start time.Time
	count float64
	rate  float64
}

// mine works on j until it is abandoned (true), solved (true) or quit closes (false).
func (m *Miner) mine(j *job, w *work, p *pacer, ctr *counter, threads int, quit chan struct{}, timer *time.Timer) bool {
	blk := cloneForMining(j.block)
	ids := slices.Clone(j.txids)
	roll := func() bool {
		id, err := setExtraNonce(blk, m.xnonce.Add(1))
		if err != nil {
			m.log.Warn("cannot roll extranonce", "err", err)
			return false
		}
		ids[0] = id
		blk.Header.MerkleRoot, _ = chain.MerkleRoot(ids)
		w.setHeader(&blk.Header, j.target)
		return true
	}
	if !roll() {
		return true
	}
	nonce := uint64(0)
	space := m.nonceSpace()
	for {
		if m.gen.Load() != j.gen {
			return true
		}
		select {
		case <-quit:
			return false
		default:
		}
		if now := m.cfg.Now().Unix(); now > int64(blk.Header.Time) && now <= math.MaxUint32 {
			blk.Header.Time = uint32(now)
			w.setTime(blk.Header.Time)
		}
		total := m.rate()
		r := total / float64(threads)
		n := min(batchSize(r), space-nonce)
		found, ok, tried := m.hasher.scan(w, uint32(nonce), uint32(n))
		ctr.n.Add(uint64(tried))
		if ok {
			blk.Header.Nonce = found
			select {
			case m.foundCh <- &foundBlock{gen: j.gen, block: blk}:
			case <-quit:
				return false
			}
			return true
		}
		nonce += uint64(tried)
		if nonce >= space {
			if !roll() {
				return true
			}
			nonce = 0
		}
		if r > 0 && !m.pace(p, r, total, float64(tried), j.gen, quit, timer) {
			return false
		}
	}
}

// pace sleeps until the schedule allows the next batch; it returns false when quit
// closes. A rate change, Notify or Stop wakes it early.
func (m *Miner) pace(p *pacer, r, total, tried float64, gen uint64, quit chan struct{}, timer *time.Timer) bool {
	now := time.Now()
	if p.start.IsZero() || p.rate != r {
		// (Re)start the schedule as if this batch had been hashed at rate r.
		*p = pacer{start: now.Add(-time.Duration(tried / r * float64(time.Second))), rate: r}
	}
	p.count += tried
	due := p.start.Add(time.Duration(p.count / r * float64(time.Second)))
	if wait := due.Sub(now); wait > 0 {
		m.mu.Lock()
		wake := m.wakeCh
		m.mu.Unlock()
		if m.gen.Load() != gen || m.rate() != total {
			return true // woken between planning and sleeping
		}
		timer.Reset(wait)
		select {
		case <-timer.C:
		case <-wake:
			timer.Stop()
		case <-quit:
			timer.Stop()
			return false
		}
	} else if -wait > maxLag {
		*p = pacer{start: now, rate: r}
	}
	return true
}

// batchSize is the nonces hashed between checks for a per-worker rate r (0 = unthrottled).
func batchSize(r float64) uint64 {
	if r <= 0 {
		return maxBatch
	}
	n := uint64(r * throttleCycle.Seconds())
	n = max(min(n, maxBatch), minBatch)
	return n &^ 1
}

// nonceSpace is the size of the nonce range before the extranonce rolls (2^32; tests
// shrink it through the unexported field).
func (m *Miner) nonceSpace() uint64 {
	if m.testNonceSpace != 0 {
		return m.testNonceSpace
	}
	return 1 << 32
}

// cloneForMining copies the parts of b a worker changes: the header and the coinbase.
func cloneForMining(b *chain.Block) *chain.Block {
	nb := &chain.Block{Header: b.Header, Votes: b.Votes, Slashings: b.Slashings}
	cb := *b.Txs[0]
	cb.Inputs = slices.Clone(cb.Inputs)
	cb.Inputs[0].Data = slices.Clone(cb.Inputs[0].Data)
	nb.Txs = append([]*chain.Tx{&cb}, b.Txs[1:]...)
	return nb
}
