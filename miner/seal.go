package miner

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math/big"

	"chainlab/chain"
)

// ExtraNonceSize is the size of the extranonce the miner keeps in the coinbase data right
// after the 8-byte height. A node should reserve these bytes at the start of
// TemplateRequest.Extra (TemplateExtra does that); otherwise the miner extends the data.
const ExtraNonceSize = 8

// TemplateExtra returns coinbase extra data with a zero extranonce slot followed by tag.
func TemplateExtra(tag []byte) []byte {
	return append(make([]byte, ExtraNonceSize, ExtraNonceSize+len(tag)), tag...)
}

// ExtraNonce returns the extranonce of b's coinbase (0 when the slot is absent).
func ExtraNonce(b *chain.Block) uint64 {
	if len(b.Txs) == 0 || len(b.Txs[0].Inputs) != 1 {
		return 0
	}
	d := b.Txs[0].Inputs[0].Data
	if len(d) < chain.CoinbaseHeightSize+ExtraNonceSize {
		return 0
	}
	return binary.LittleEndian.Uint64(d[chain.CoinbaseHeightSize:])
}

// errNoCoinbase reports a template without a coinbase to roll.
var errNoCoinbase = errors.New("miner: block has no coinbase")

// setExtraNonce writes x into the coinbase data of b (copying the data, extending it when
// the slot is missing) and returns the coinbase's new txid. It does not touch the header.
func setExtraNonce(b *chain.Block, x uint64) (chain.Hash, error) {
	if len(b.Txs) == 0 || !b.Txs[0].IsCoinbase() {
		return chain.Hash{}, errNoCoinbase
	}
	in := &b.Txs[0].Inputs[0]
	need := chain.CoinbaseHeightSize + ExtraNonceSize
	d := make([]byte, max(len(in.Data), need))
	copy(d, in.Data)
	if len(d) > chain.MaxCoinbaseData {
		return chain.Hash{}, fmt.Errorf("miner: coinbase data of %d bytes leaves no room for the extranonce", len(in.Data))
	}
	binary.LittleEndian.PutUint64(d[chain.CoinbaseHeightSize:], x)
	in.Data = d
	return b.Txs[0].TxID(), nil
}

// SetExtraNonce sets the extranonce of b's coinbase to x and recomputes the merkle root.
func SetExtraNonce(b *chain.Block, x uint64) error {
	id, err := setExtraNonce(b, x)
	if err != nil {
		return err
	}
	ids := chain.TxIDs(b.Txs)
	ids[0] = id
	b.Header.MerkleRoot, _ = chain.MerkleRoot(ids)
	return nil
}

// targetOf returns the target of bits, refusing bits that no valid block can carry.
func targetOf(bits uint32) (*big.Int, error) {
	t, bad := CompactToBig(bits)
	if bad || t.Sign() <= 0 {
		return nil, chain.NewRuleError(chain.ErrBadBits, "bits 0x%08x encode no positive target", bits)
	}
	return t, nil
}

// sealBatch is how many nonces SealBlock hashes between context checks.
const sealBatch = 1 << 16

// SealBlock searches b's nonce, starting at b.Header.Nonce, on the calling goroutine until
// the header hash meets its bits, maxTries hashes were tried (0 = no limit) or ctx is done.
// When the 2^32 nonce space is spent it increments the coinbase extranonce (recomputing
// the merkle root) and starts over at nonce 0. It modifies b in place and reports whether
// b is now sealed. The header time is left alone, so the result is deterministic.
func SealBlock(ctx context.Context, b *chain.Block, maxTries uint64) (bool, error) {
	ok, _, err := sealBlock(ctx, b, maxTries, 1<<32)
	return ok, err
}

// sealBlock is SealBlock with a nonce space of the given size (tests shrink it); it also
// returns the number of hashes tried.
func sealBlock(ctx context.Context, b *chain.Block, maxTries, space uint64) (bool, uint64, error) {
	target, err := targetOf(b.Header.Bits)
	if err != nil {
		return false, 0, err
	}
	if b.Header.Seal != nil {
		return false, 0, chain.NewRuleError(chain.ErrUnexpectedSeal, "cannot mine a header with a PoS seal")
	}
	hs := newHasher()
	var w work
	w.setHeader(&b.Header, target)
	nonce := uint64(b.Header.Nonce)
	var tries uint64
	for maxTries == 0 || tries < maxTries {
		if err := ctx.Err(); err != nil {
			return false, tries, err
		}
		if nonce >= space {
			if err := SetExtraNonce(b, ExtraNonce(b)+1); err != nil {
				return false, tries, err
			}
			w.setHeader(&b.Header, target)
			nonce = 0
		}
		n := min(uint64(sealBatch), space-nonce)
		if maxTries != 0 {
			n = min(n, maxTries-tries)
		}
		found, ok, tried := hs.scan(&w, uint32(nonce), uint32(n))
		tries += uint64(tried)
		nonce += uint64(tried)
		if ok {
			b.Header.Nonce = found
			return true, tries, nil
		}
	}
	return false, tries, nil
}

// Generate mines n blocks one after another for generatetoaddress-style RPCs: each round
// asks template for a block on the current tip, seals it with SealBlock and hands it to
// submit (which connects it). It returns the hashes of the blocks submitted.
func Generate(ctx context.Context, n int, template func() (*chain.Block, error), submit func(*chain.Block) error) ([]chain.Hash, error) {
	return GenerateMaxTries(ctx, n, 0, template, submit)
}

// GenerateMaxTries is Generate with Bitcoin's generatetoaddress maxtries: at most maxTries
// hashes in total over all blocks (0 = no limit). When they run out it returns the blocks
// mined so far and no error, as Bitcoin Core does.
func GenerateMaxTries(ctx context.Context, n int, maxTries uint64, template func() (*chain.Block, error), submit func(*chain.Block) error) ([]chain.Hash, error) {
	out := make([]chain.Hash, 0, n)
	var used uint64
	for i := 0; i < n; i++ {
		if maxTries != 0 && used >= maxTries {
			return out, nil
		}
		b, err := template()
		if err != nil {
			return out, fmt.Errorf("miner: template: %w", err)
		}
		var budget uint64
		if maxTries != 0 {
			budget = maxTries - used
		}
		ok, tries, err := sealBlock(ctx, b, budget, 1<<32)
		used += tries
		if err != nil {
			return out, err
		}
		if !ok {
			return out, nil // tries exhausted
		}
		if err := submit(b); err != nil {
			return out, fmt.Errorf("miner: submit: %w", err)
		}
		out = append(out, b.Header.Hash())
	}
	return out, nil
}
