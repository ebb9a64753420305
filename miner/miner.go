package miner

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"math/big"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"chainlab/chain"
	"chainlab/genesis"
)

// Config configures a Miner.
type Config struct {
	Params *genesis.Params // required (consensus pow)
	Logger *slog.Logger    // optional; discarded when nil
	// Threads is the number of hashing goroutines; 0 means runtime.GOMAXPROCS(0).
	Threads int
	// HashRate is the target total hash rate in hashes per second; 0 means unthrottled.
	HashRate float64
	// Template returns a fresh unsealed block on the current tip (Engine.Prepare done).
	// Required. The miner calls it at start, after every Notify and after every block found.
	Template func() (*chain.Block, error)
	// Submit receives every sealed block. Required. It runs on the miner's control
	// goroutine; a slow Submit delays the next template, not the hashing goroutines.
	Submit func(*chain.Block) error
	// Now is the clock for header timestamps (default time.Now). Between batches the
	// miner moves the header time forward to Now, as Bitcoin miners do, so a block's
	// timestamp is when it was found, not when its template was made.
	Now func() time.Time
}

// Stats are the miner's counters.
type Stats struct {
	Running  bool
	Threads  int
	Target   float64 // requested hash rate (0 = unthrottled)
	HashRate float64 // measured over the last few seconds
	Hashes   uint64  // total hashes since New
	Found    uint64  // blocks sealed and submitted
	Rejected uint64  // blocks Submit refused
	Hasher   string  // "sha-ni" or "stdlib"
}

// Miner is the proof-of-work mining loop: a control goroutine that fetches templates and
// submits blocks, and Threads hashing goroutines. All methods are safe for concurrent use.
type Miner struct {
	cfg      Config
	log      *slog.Logger
	hasher   *hasher
	powLimit *big.Int

	rateBits atomic.Uint64 // float64 bits of the requested hash rate
	gen      atomic.Uint64 // work generation: bumped when current work must be abandoned
	xnonce   atomic.Uint64 // extranonce source, unique per (miner, work)
	found    atomic.Uint64
	rejected atomic.Uint64
	retired  atomic.Uint64 // hashes of worker sets that have exited

	mu       sync.Mutex
	running  bool
	threads  int
	wakeCh   chan struct{} // closed and replaced on every generation change
	job      *job          // current work, nil while waiting for a template
	counters []*counter
	stopCh   chan struct{}   // closes the control loop
	quitCh   chan struct{}   // closes the current worker set
	ctlDone  chan struct{}   // closed when the control loop has exited
	workers  *sync.WaitGroup // current worker set
	notifyCh chan struct{}
	foundCh  chan *foundBlock
	samples  [8]sample // hash-count samples for HashRate, ring
	nsample  int

	testNonceSpace uint64 // tests: roll the extranonce after this many nonces
}

type sample struct {
	t time.Time
	n uint64
}

// counter is a per-worker hash counter on its own cache line (shared counters false-share).
type counter struct {
	n atomic.Uint64
	_ [56]byte
}

// job is one template prepared for the workers.
type job struct {
	gen    uint64
	block  *chain.Block
	txids  []chain.Hash
	target *big.Int
}

type foundBlock struct {
	gen   uint64
	block *chain.Block
}

// New checks cfg and returns a stopped miner.
func New(cfg Config) (*Miner, error) {
	if cfg.Params == nil || cfg.Params.PoW == nil {
		return nil, errors.New("miner: Config.Params with pow parameters is required")
	}
	if cfg.Template == nil {
		return nil, errors.New("miner: Config.Template is required")
	}
	if cfg.Submit == nil {
		return nil, errors.New("miner: Config.Submit is required")
	}
	if cfg.Threads < 0 {
		return nil, fmt.Errorf("miner: Threads %d < 0", cfg.Threads)
	}
	if cfg.HashRate < 0 || math.IsNaN(cfg.HashRate) || math.IsInf(cfg.HashRate, 0) {
		return nil, fmt.Errorf("miner: HashRate %v is not a non-negative number", cfg.HashRate)
	}
	lim, bad := CompactToBig(cfg.Params.PoW.PowLimitBits)
	if bad || lim.Sign() <= 0 {
		return nil, fmt.Errorf("miner: pow limit bits 0x%08x encode no positive target", cfg.Params.PoW.PowLimitBits)
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	m := &Miner{
		cfg:      cfg,
		log:      cfg.Logger.With("component", "miner"),
		hasher:   newHasher(),
		powLimit: lim,
		threads:  cfg.Threads,
		wakeCh:   make(chan struct{}),
	}
	if m.threads == 0 {
		m.threads = runtime.GOMAXPROCS(0)
	}
	m.rateBits.Store(math.Float64bits(cfg.HashRate))
	m.gen.Store(1) // workers start with "done" generation 0
	m.log.Info("miner ready", "hasher", m.hasher.name(), "threads", m.threads, "hashrate", cfg.HashRate)
	return m, nil
}

// Start starts mining. Starting a running miner does nothing.
func (m *Miner) Start() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.running {
		return
	}
	m.running = true
	m.stopCh = make(chan struct{})
	m.ctlDone = make(chan struct{})
	m.notifyCh = make(chan struct{}, 1)
	m.foundCh = make(chan *foundBlock, 64)
	m.job = nil
	m.startWorkersLocked()
	go m.control(m.stopCh, m.ctlDone, m.notifyCh, m.foundCh)
}

// Stop stops mining and waits for every goroutine to exit. Stopping a stopped miner does
// nothing.
func (m *Miner) Stop() {
	m.mu.Lock()
	if !m.running {
		m.mu.Unlock()
		return
	}
	m.running = false
	close(m.stopCh)
	done := m.ctlDone
	wg := m.stopWorkersLocked()
	m.job = nil
	m.bumpLocked()
	m.mu.Unlock()
	wg.Wait()
	<-done
}

// Running reports whether the miner is started.
func (m *Miner) Running() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.running
}

// Notify says that the tip or the template changed: the workers abandon their work (within
// one batch, a few milliseconds) and the miner fetches a new template.
func (m *Miner) Notify() {
	m.mu.Lock()
	defer m.mu.Unlock()
	if !m.running {
		return
	}
	m.job = nil
	m.bumpLocked()
	select {
	case m.notifyCh <- struct{}{}:
	default:
	}
}

// SetHashRate changes the target hash rate (0 = unthrottled) at run time.
func (m *Miner) SetHashRate(r float64) error {
	if r < 0 || math.IsNaN(r) || math.IsInf(r, 0) {
		return fmt.Errorf("miner: hash rate %v is not a non-negative number", r)
	}
	m.rateBits.Store(math.Float64bits(r))
	m.mu.Lock()
	m.wakeLocked() // sleeping workers re-plan with the new rate
	m.mu.Unlock()
	return nil
}

// SetThreads changes the number of hashing goroutines (0 = GOMAXPROCS) at run time.
func (m *Miner) SetThreads(n int) error {
	if n < 0 {
		return fmt.Errorf("miner: threads %d < 0", n)
	}
	if n == 0 {
		n = runtime.GOMAXPROCS(0)
	}
	m.mu.Lock()
	if n == m.threads {
		m.mu.Unlock()
		return nil
	}
	m.threads = n
	if !m.running {
		m.mu.Unlock()
		return nil
	}
	wg := m.stopWorkersLocked()
	m.mu.Unlock()
	wg.Wait()
	m.mu.Lock()
	if m.running {
		m.startWorkersLocked()
	}
	m.mu.Unlock()
	return nil
}

// HashRate returns the measured hash rate (hashes per second over the last few seconds).
func (m *Miner) HashRate() float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	now := time.Now()
	total := m.totalLocked()
	m.sampleLocked(now, total)
	oldest := m.samples[0]
	if m.nsample >= len(m.samples) {
		oldest = m.samples[m.nsample%len(m.samples)]
	}
	dt := now.Sub(oldest.t).Seconds()
	if dt <= 0 {
		return 0
	}
	return float64(total-oldest.n) / dt
}

// Hashes returns the number of hashes computed since New.
func (m *Miner) Hashes() uint64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.totalLocked()
}

// Stats returns the miner's counters.
func (m *Miner) Stats() Stats {
	hr := m.HashRate()
	m.mu.Lock()
	defer m.mu.Unlock()
	return Stats{
		Running: m.running, Threads: m.threads, Target: m.rate(), HashRate: hr,
		Hashes: m.totalLocked(), Found: m.found.Load(), Rejected: m.rejected.Load(),
		Hasher: m.hasher.name(),
	}
}

func (m *Miner) rate() float64 { return math.Float64frombits(m.rateBits.Load()) }

func (m *Miner) totalLocked() uint64 {
	n := m.retired.Load()
	for _, c := range m.counters {
		n += c.n.Load()
	}
	return n
}

// sampleLocked records (t, total) at most every 500 ms; HashRate measures against the
// oldest of the last eight samples (about 4 s).
func (m *Miner) sampleLocked(t time.Time, total uint64) {
	if m.nsample > 0 {
		last := m.samples[(m.nsample-1)%len(m.samples)]
		if t.Sub(last.t) < 500*time.Millisecond {
			return
		}
	}
	m.samples[m.nsample%len(m.samples)] = sample{t, total}
	m.nsample++
}

func (m *Miner) wakeLocked() {
	close(m.wakeCh)
	m.wakeCh = make(chan struct{})
}

func (m *Miner) bumpLocked() {
	m.gen.Add(1)
	m.wakeLocked()
}

// startWorkersLocked starts a worker set unless one is live.
func (m *Miner) startWorkersLocked() {
	if m.quitCh != nil {
		return
	}
	// The previous set (if any) has exited: fold its counts into the retired total.
	for _, c := range m.counters {
		m.retired.Add(c.n.Load())
	}
	m.quitCh = make(chan struct{})
	m.workers = new(sync.WaitGroup)
	m.counters = make([]*counter, m.threads)
	for i := range m.counters {
		m.counters[i] = new(counter)
		m.workers.Add(1)
		go m.worker(m.quitCh, m.workers, m.counters[i], m.threads)
	}
}

// stopWorkersLocked signals the current worker set (if any) to exit and returns it to
// wait on. Several callers may wait on the same set.
func (m *Miner) stopWorkersLocked() *sync.WaitGroup {
	if m.quitCh != nil {
		close(m.quitCh)
		m.quitCh = nil
		m.wakeLocked()
	}
	if m.workers == nil {
		return new(sync.WaitGroup)
	}
	return m.workers
}
