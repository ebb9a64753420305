package chain

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
)

// SpentOutputsHash commits to the value and lock of every output a transaction spends, in
// input order. It is part of every input's sighash, so a signer commits to what it spends.
func SpentOutputsHash(spent []TxOut) Hash {
	h := sha256.New()
	var buf [8 + 1 + 32 + 32 + 8]byte
	for i := range spent {
		b := binary.LittleEndian.AppendUint64(buf[:0], spent[i].Value)
		b = spent[i].Lock.AppendTo(b)
		h.Write(b)
	}
	var out Hash
	h.Sum(out[:0])
	return out
}

// SigHash is the message signed by input idx of a transaction with the given txid:
// TaggedHash("chainlab/sighash", txid || spentOutputsHash || idx as u32 LE).
// The txid covers the whole transaction without witnesses.
func SigHash(txid, spentHash Hash, idx uint32) Hash {
	var b [68]byte
	copy(b[:32], txid[:])
	copy(b[32:64], spentHash[:])
	binary.LittleEndian.PutUint32(b[64:], idx)
	return TaggedHash("chainlab/sighash", b[:])
}

// SignTx fills the witness of every input of tx with a BIP-340 signature. keys[i] signs
// input i; spent[i] is the output input i spends.
func SignTx(tx *Tx, spent []TxOut, keys []*btcec.PrivateKey) error {
	if len(spent) != len(tx.Inputs) || len(keys) != len(tx.Inputs) {
		return fmt.Errorf("signtx: %d inputs, %d spent outputs, %d keys", len(tx.Inputs), len(spent), len(keys))
	}
	txid := tx.TxID()
	sh := SpentOutputsHash(spent)
	for i := range tx.Inputs {
		msg := SigHash(txid, sh, uint32(i))
		sig, err := schnorr.Sign(keys[i], msg[:])
		if err != nil {
			return fmt.Errorf("signtx: input %d: %w", i, err)
		}
		tx.Inputs[i].Witness = sig.Serialize()
	}
	return nil
}

// VerifySchnorr checks a BIP-340 signature by x-only key over msg.
func VerifySchnorr(key [32]byte, msg Hash, sig []byte) bool {
	if len(sig) != WitnessSize {
		return false
	}
	pk, err := schnorr.ParsePubKey(key[:])
	if err != nil {
		return false
	}
	s, err := schnorr.ParseSignature(sig)
	if err != nil {
		return false
	}
	return s.Verify(msg[:], pk)
}

// SignHash returns a BIP-340 signature by k over msg.
func SignHash(k *btcec.PrivateKey, msg Hash) ([64]byte, error) {
	var out [64]byte
	sig, err := schnorr.Sign(k, msg[:])
	if err != nil {
		return out, err
	}
	copy(out[:], sig.Serialize())
	return out, nil
}

// XOnlyKey returns the x-only public key of k.
func XOnlyKey(k *btcec.PrivateKey) [32]byte {
	var out [32]byte
	copy(out[:], schnorr.SerializePubKey(k.PubKey()))
	return out
}
