package chain

import (
	"sync"
	"sync/atomic"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
)

// SigCache is a bounded, concurrency-safe cache of verified BIP-340 signatures and of
// parsed public keys. One cache may be shared by a chain and its mempool (a transaction
// verified on admission is not verified again when its block connects) and by many chains
// in one process (the simulator). Entries are keyed by the signed message and also store
// the key and signature, so a hit is exact. When full, an arbitrary entry is evicted (Go's
// map iteration order), as btcd's sigcache does.
type SigCache struct {
	mu      sync.RWMutex
	max     int
	sigs    map[Hash]sigEntry
	keysMu  sync.RWMutex
	maxKeys int
	keys    map[[32]byte]*btcec.PublicKey

	hits, misses atomic.Uint64
}

type sigEntry struct {
	key [32]byte
	sig [WitnessSize]byte
}

// NewSigCache returns a cache holding up to n verified signatures (and up to n parsed keys,
// at least 1024). n <= 0 disables signature caching but keeps the key cache.
func NewSigCache(n int) *SigCache {
	if n < 0 {
		n = 0
	}
	mk := n
	if mk < 1024 {
		mk = 1024
	}
	return &SigCache{max: n, sigs: make(map[Hash]sigEntry), maxKeys: mk, keys: make(map[[32]byte]*btcec.PublicKey)}
}

// Stats returns the number of signature cache hits and misses so far.
func (c *SigCache) Stats() (hits, misses uint64) { return c.hits.Load(), c.misses.Load() }

// Len returns the number of cached signatures.
func (c *SigCache) Len() int {
	c.mu.RLock()
	defer c.mu.RUnlock()
	return len(c.sigs)
}

func (c *SigCache) has(msg Hash, key [32]byte, sig []byte) bool {
	if c == nil || c.max == 0 {
		return false
	}
	c.mu.RLock()
	e, ok := c.sigs[msg]
	c.mu.RUnlock()
	if ok && e.key == key && string(e.sig[:]) == string(sig) {
		c.hits.Add(1)
		return true
	}
	c.misses.Add(1)
	return false
}

func (c *SigCache) add(msg Hash, key [32]byte, sig []byte) {
	if c == nil || c.max == 0 {
		return
	}
	e := sigEntry{key: key}
	copy(e.sig[:], sig)
	c.mu.Lock()
	if len(c.sigs) >= c.max {
		for k := range c.sigs {
			delete(c.sigs, k)
			break
		}
	}
	c.sigs[msg] = e
	c.mu.Unlock()
}

// pubKey parses an x-only key once and caches the point (parsing costs a square root).
func (c *SigCache) pubKey(key [32]byte) (*btcec.PublicKey, error) {
	if c != nil {
		c.keysMu.RLock()
		pk, ok := c.keys[key]
		c.keysMu.RUnlock()
		if ok {
			return pk, nil
		}
	}
	pk, err := schnorr.ParsePubKey(key[:])
	if err != nil {
		return nil, err
	}
	if c != nil {
		c.keysMu.Lock()
		if len(c.keys) >= c.maxKeys {
			for k := range c.keys {
				delete(c.keys, k)
				break
			}
		}
		c.keys[key] = pk
		c.keysMu.Unlock()
	}
	return pk, nil
}

// sigJob is one input signature to verify.
type sigJob struct {
	msg Hash
	key [32]byte
	sig []byte
	tx  int // index of the tx in its block (for the error message)
	in  int
}

// verify checks one signature, consulting and filling the cache.
func (c *SigCache) verify(j *sigJob) bool {
	if len(j.sig) != WitnessSize {
		return false
	}
	if c.has(j.msg, j.key, j.sig) {
		return true
	}
	pk, err := c.pubKey(j.key)
	if err != nil {
		return false
	}
	s, err := schnorr.ParseSignature(j.sig)
	if err != nil {
		return false
	}
	if !s.Verify(j.msg[:], pk) {
		return false
	}
	c.add(j.msg, j.key, j.sig)
	return true
}

// txSigJobs appends the signature jobs of a non-coinbase tx.
func txSigJobs(jobs []sigJob, tx *Tx, txIdx int, spent []*Coin) []sigJob {
	txid := tx.TxID()
	outs := make([]TxOut, len(spent))
	for i, c := range spent {
		outs[i] = c.Out
	}
	sh := SpentOutputsHash(outs)
	for i := range tx.Inputs {
		jobs = append(jobs, sigJob{
			msg: SigHash(txid, sh, uint32(i)),
			key: spent[i].Out.Lock.SpendKey(),
			sig: tx.Inputs[i].Witness,
			tx:  txIdx,
			in:  i,
		})
	}
	return jobs
}

// VerifyTxSignatures checks the BIP-340 signature of every input of a non-coinbase tx
// against the outputs it spends (spent[i] for input i), using and filling cache (which may
// be nil). A failure is a RuleError of kind ErrBadSignature.
func VerifyTxSignatures(tx *Tx, spent []*Coin, cache *SigCache) error {
	if len(spent) != len(tx.Inputs) {
		return NewRuleError(ErrBadSignature, "tx has %d inputs but %d spent outputs were given", len(tx.Inputs), len(spent))
	}
	jobs := txSigJobs(nil, tx, 0, spent)
	for i := range jobs {
		if !cache.verify(&jobs[i]) {
			return NewRuleError(ErrBadSignature, "tx %s input %d: invalid signature", tx.TxID(), i)
		}
	}
	return nil
}

// verifyParallel checks jobs on up to workers goroutines and returns the first failure (the
// lowest index that failed among those checked). Goroutines only compute; they make no
// consensus decision and never outlive the call.
func verifyParallel(jobs []sigJob, workers int, cache *SigCache) error {
	if len(jobs) == 0 {
		return nil
	}
	if workers > len(jobs)/8+1 {
		workers = len(jobs)/8 + 1
	}
	var next atomic.Int64
	var failed atomic.Int64
	failed.Store(-1)
	const chunk = 16
	work := func() {
		for failed.Load() < 0 {
			start := int(next.Add(chunk)) - chunk
			if start >= len(jobs) {
				return
			}
			end := min(start+chunk, len(jobs))
			for i := start; i < end; i++ {
				if !cache.verify(&jobs[i]) {
					failed.CompareAndSwap(-1, int64(i))
					return
				}
			}
		}
	}
	if workers <= 1 {
		work()
	} else {
		var wg sync.WaitGroup
		for w := 0; w < workers; w++ {
			wg.Add(1)
			go func() { defer wg.Done(); work() }()
		}
		wg.Wait()
	}
	if f := failed.Load(); f >= 0 {
		j := jobs[f]
		return NewRuleError(ErrBadSignature, "tx %d input %d: invalid signature", j.tx, j.in)
	}
	return nil
}

// sigPipeline verifies signatures on worker goroutines while the caller is still checking
// the block's inputs, so the sequential contextual checks overlap with the BIP-340 work.
// The caller adds jobs in input order and then calls finish (or abort on a contextual
// error, whose report then takes precedence, exactly as without the pipeline).
type sigPipeline struct {
	cache   *SigCache
	ch      chan []sigJob
	wg      sync.WaitGroup
	pending []sigJob
	failed  atomic.Pointer[sigJob]
}

const sigPipelineChunk = 32

func newSigPipeline(workers int, cache *SigCache) *sigPipeline {
	p := &sigPipeline{cache: cache, ch: make(chan []sigJob, 64)}
	for w := 0; w < workers; w++ {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			for batch := range p.ch {
				if p.failed.Load() != nil {
					continue // drain
				}
				for i := range batch {
					if !cache.verify(&batch[i]) {
						p.failed.CompareAndSwap(nil, &batch[i])
						break
					}
				}
			}
		}()
	}
	return p
}

// add queues the jobs of one transaction.
func (p *sigPipeline) add(jobs ...sigJob) {
	p.pending = append(p.pending, jobs...)
	if len(p.pending) >= sigPipelineChunk {
		p.ch <- p.pending
		p.pending = make([]sigJob, 0, sigPipelineChunk+4)
	}
}

// finish waits for every queued job and returns the first failure found.
func (p *sigPipeline) finish() error {
	if len(p.pending) > 0 {
		p.ch <- p.pending
		p.pending = nil
	}
	close(p.ch)
	p.wg.Wait()
	if j := p.failed.Load(); j != nil {
		return NewRuleError(ErrBadSignature, "tx %d input %d: invalid signature", j.tx, j.in)
	}
	return nil
}

// abort stops the workers without reporting (a contextual error is being returned).
func (p *sigPipeline) abort() {
	p.failed.CompareAndSwap(nil, &sigJob{})
	p.pending = nil
	close(p.ch)
	p.wg.Wait()
}
