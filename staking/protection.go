package staking

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"sync"

	"github.com/btcsuite/btcd/btcec/v2"

	"chainlab/chain"
)

// ErrSlashableSign is returned when signing would create a slashable pair with something
// the key already signed.
var ErrSlashableSign = errors.New("staking: refusing to sign a slashable message")

// protRecord is what a key has signed, reduced to watermarks (EIP-3076's minimal form): a
// new block needs a slot above BlockSlot; a new vote needs source >= Source and
// target > Target. That forbids double votes (targets strictly increase) and surround
// votes in both directions (sources never decrease, targets always increase).
type protRecord struct {
	Key       string `json:"key"`
	HasBlock  bool   `json:"has_block"`
	BlockSlot uint64 `json:"block_slot"`
	HasVote   bool   `json:"has_vote"`
	Source    uint64 `json:"source_epoch"`
	Target    uint64 `json:"target_epoch"`
}

// Protection is a validator client's slashing-protection record: a small JSON file
// rewritten atomically (temp file, fsync, rename, fsync dir) before every signature is
// released, so an honest validator never signs a slashable pair, even across restarts.
// An empty path keeps the record in memory only (tests). Safe for concurrent use.
type Protection struct {
	mu   sync.Mutex
	path string
	recs map[[32]byte]*protRecord
}

// NewProtection opens (or starts) the record at path.
func NewProtection(path string) (*Protection, error) {
	p := &Protection{path: path, recs: map[[32]byte]*protRecord{}}
	if path == "" {
		return p, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return p, nil
	}
	if err != nil {
		return nil, fmt.Errorf("staking: slashing protection: %w", err)
	}
	var recs []protRecord
	if err := json.Unmarshal(data, &recs); err != nil {
		return nil, fmt.Errorf("staking: slashing protection %s: %w", path, err)
	}
	for i := range recs {
		b, err := hex.DecodeString(recs[i].Key)
		if err != nil || len(b) != 32 {
			return nil, fmt.Errorf("staking: slashing protection %s: bad key %q", path, recs[i].Key)
		}
		var k [32]byte
		copy(k[:], b)
		r := recs[i]
		p.recs[k] = &r
	}
	return p, nil
}

func (p *Protection) rec(k [32]byte) *protRecord {
	r, ok := p.recs[k]
	if !ok {
		r = &protRecord{Key: hex.EncodeToString(k[:])}
		p.recs[k] = r
	}
	return r
}

// save writes the record atomically. Called with p.mu held.
func (p *Protection) save() error {
	if p.path == "" {
		return nil
	}
	recs := make([]protRecord, 0, len(p.recs))
	for _, r := range p.recs {
		recs = append(recs, *r)
	}
	sort.Slice(recs, func(i, j int) bool { return recs[i].Key < recs[j].Key })
	data, err := json.MarshalIndent(recs, "", "  ")
	if err != nil {
		return err
	}
	dir := filepath.Dir(p.path)
	f, err := os.CreateTemp(dir, ".protection-*")
	if err != nil {
		return fmt.Errorf("staking: slashing protection: %w", err)
	}
	tmp := f.Name()
	_, werr := f.Write(data)
	if werr == nil {
		werr = f.Sync()
	}
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	if werr == nil {
		werr = os.Rename(tmp, p.path)
	}
	if werr != nil {
		os.Remove(tmp)
		return fmt.Errorf("staking: slashing protection: %w", werr)
	}
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
	return nil
}

// CheckVote reports whether key may sign a vote with these source and target epochs.
func (p *Protection) CheckVote(key [32]byte, source, target uint64) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.checkVote(key, source, target)
}

func (p *Protection) checkVote(key [32]byte, source, target uint64) error {
	r, ok := p.recs[key]
	if !ok || !r.HasVote {
		return nil
	}
	if target <= r.Target || source < r.Source {
		return fmt.Errorf("%w: vote %d->%d after %d->%d", ErrSlashableSign, source, target, r.Source, r.Target)
	}
	return nil
}

// SignVote records and signs v with k (v.Validator must be k's key).
func (p *Protection) SignVote(k *btcec.PrivateKey, v *chain.Vote) error {
	key := chain.XOnlyKey(k)
	if key != v.Validator {
		return fmt.Errorf("staking: vote for %x signed by %x", v.Validator[:8], key[:8])
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if err := p.checkVote(key, v.Source.Epoch, v.Target.Epoch); err != nil {
		return err
	}
	r := p.rec(key)
	old := *r
	r.HasVote, r.Source, r.Target = true, v.Source.Epoch, v.Target.Epoch
	if err := p.save(); err != nil {
		*r = old
		return err
	}
	sig, err := chain.SignHash(k, v.SigningHash())
	if err != nil {
		return err
	}
	v.Sig = sig
	return nil
}

// SignBlock records and signs a sealed header with k (h.Seal.Proposer must be k's key).
func (p *Protection) SignBlock(k *btcec.PrivateKey, h *chain.Header) error {
	if h.Seal == nil {
		return errors.New("staking: sign block: header has no seal")
	}
	key := chain.XOnlyKey(k)
	if key != h.Seal.Proposer {
		return fmt.Errorf("staking: block of %x signed by %x", h.Seal.Proposer[:8], key[:8])
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	r := p.rec(key)
	if r.HasBlock && h.Seal.Slot <= r.BlockSlot {
		return fmt.Errorf("%w: block at slot %d after slot %d", ErrSlashableSign, h.Seal.Slot, r.BlockSlot)
	}
	old := *r
	r.HasBlock, r.BlockSlot = true, h.Seal.Slot
	if err := p.save(); err != nil {
		*r = old
		return err
	}
	sig, err := chain.SignHash(k, h.SigningHash())
	if err != nil {
		return err
	}
	h.Seal.Sig = sig
	return nil
}
