package chain

import "crypto/sha256"

// MerkleRoot computes Bitcoin's merkle root over hashes (txids). The second result reports
// the CVE-2012-2459 mutation: two identical adjacent hashes at any level, which lets a
// different transaction list produce the same root; a block with it is rejected.
func MerkleRoot(hashes []Hash) (Hash, bool) {
	if len(hashes) == 0 {
		return ZeroHash, false
	}
	level := make([]Hash, len(hashes))
	copy(level, hashes)
	mutated := false
	var buf [64]byte
	for len(level) > 1 {
		for i := 0; i+1 < len(level); i += 2 {
			if level[i] == level[i+1] {
				mutated = true
			}
		}
		if len(level)%2 == 1 {
			level = append(level, level[len(level)-1])
		}
		next := level[:len(level)/2]
		for i := 0; i < len(level); i += 2 {
			copy(buf[:32], level[i][:])
			copy(buf[32:], level[i+1][:])
			first := sha256.Sum256(buf[:])
			next[i/2] = sha256.Sum256(first[:])
		}
		level = next
	}
	return level[0], mutated
}

// TxIDs returns the txids of txs.
func TxIDs(txs []*Tx) []Hash {
	out := make([]Hash, len(txs))
	for i, tx := range txs {
		out[i] = tx.TxID()
	}
	return out
}
