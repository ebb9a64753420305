package wallet

import (
	"encoding/hex"
	"errors"
	"fmt"
	"strings"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/tyler-smith/go-bip39"

	"chainlab/address"
)

// Derivation paths. chainlab follows BIP-86 (single-key taproot) for its x-only keys, with the
// SLIP-44 testnet coin type 1' on every network (chainlab is a testbed; the address prefix, not
// the key, tells the networks apart). The x-only key is the BIP-86 *internal* key: chainlab
// locks pay to the key itself, there is no taproot tweak.
//
//	receive addresses  m/86'/1'/0'/0/i
//	change addresses   m/86'/1'/0'/1/i
//	validator keys     m/86'/1'/1'/i'   (hardened: a validator key handed to a node reveals
//	                                      nothing about its siblings or the spending keys)
const (
	purpose  = 86 + HardenedOffset
	coinType = 1 + HardenedOffset
)

// Branch is a key chain of the wallet.
type Branch uint8

// Branches.
const (
	BranchReceive   Branch = 0
	BranchChange    Branch = 1
	BranchValidator Branch = 2
)

func (b Branch) String() string {
	switch b {
	case BranchReceive:
		return "receive"
	case BranchChange:
		return "change"
	case BranchValidator:
		return "validator"
	}
	return "unknown"
}

// KeyPath returns the derivation path of key i of branch b.
func KeyPath(b Branch, i uint32) []uint32 {
	switch b {
	case BranchValidator:
		return []uint32{purpose, coinType, 1 + HardenedOffset, i + HardenedOffset}
	default:
		return []uint32{purpose, coinType, 0 + HardenedOffset, uint32(b), i}
	}
}

// Mnemonic errors.
var (
	ErrMnemonic = errors.New("wallet: invalid mnemonic")
	ErrKey      = errors.New("wallet: invalid private key")
)

// NewMnemonic returns a fresh BIP-39 English mnemonic of words words (12, 15, 18, 21 or 24)
// from crypto/rand.
func NewMnemonic(words int) (string, error) {
	if words%3 != 0 || words < 12 || words > 24 {
		return "", fmt.Errorf("%w: %d words (want 12, 15, 18, 21 or 24)", ErrMnemonic, words)
	}
	ent, err := bip39.NewEntropy(words / 3 * 32)
	if err != nil {
		return "", fmt.Errorf("wallet: entropy: %w", err)
	}
	return bip39.NewMnemonic(ent)
}

// NormalizeMnemonic lowercases m and collapses its whitespace, then checks the BIP-39 wordlist
// and checksum.
func NormalizeMnemonic(m string) (string, error) {
	n := strings.Join(strings.Fields(strings.ToLower(m)), " ")
	if !bip39.IsMnemonicValid(n) {
		return "", fmt.Errorf("%w: unknown word or bad checksum", ErrMnemonic)
	}
	return n, nil
}

// mnemonicSeed is the BIP-39 seed (PBKDF2-HMAC-SHA512, 2048 rounds). Passphrases are limited
// to ASCII because BIP-39 requires NFKD normalisation, which ASCII needs none of.
func mnemonicSeed(m, passphrase string) ([]byte, error) {
	for i := 0; i < len(passphrase); i++ {
		if passphrase[i] >= 0x80 {
			return nil, fmt.Errorf("%w: passphrase must be ASCII", ErrMnemonic)
		}
	}
	seed, err := bip39.NewSeedWithErrorChecking(m, passphrase)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrMnemonic, err)
	}
	return seed, nil
}

// keychain derives the wallet's keys from a BIP-39 seed.
type keychain struct {
	spend     *extKey // m/86'/1'/0'
	validator *extKey // m/86'/1'/1'
}

func newKeychain(seed []byte) (*keychain, error) {
	m, err := newMaster(seed)
	if err != nil {
		return nil, err
	}
	spend, err := m.derive([]uint32{purpose, coinType, 0 + HardenedOffset})
	if err != nil {
		return nil, err
	}
	val, err := m.derive([]uint32{purpose, coinType, 1 + HardenedOffset})
	if err != nil {
		return nil, err
	}
	return &keychain{spend: spend, validator: val}, nil
}

// key derives key i of branch b.
func (kc *keychain) key(b Branch, i uint32) (*btcec.PrivateKey, error) {
	var (
		k   *extKey
		err error
	)
	switch b {
	case BranchReceive, BranchChange:
		k, err = kc.spend.derive([]uint32{uint32(b), i})
	case BranchValidator:
		if i >= HardenedOffset {
			return nil, fmt.Errorf("%w: validator index %d", ErrPath, i)
		}
		k, err = kc.validator.child(i + HardenedOffset)
	default:
		return nil, fmt.Errorf("%w: unknown branch %d", ErrPath, b)
	}
	if err != nil {
		return nil, err
	}
	return k.privKey(), nil
}

// XOnly returns the BIP-340 x-only public key of k.
func XOnly(k *btcec.PrivateKey) [32]byte {
	var out [32]byte
	copy(out[:], schnorr.SerializePubKey(k.PubKey()))
	return out
}

// ParsePrivateKey parses a 32-byte secp256k1 secret key in hex (64 characters).
func ParsePrivateKey(s string) (*btcec.PrivateKey, error) {
	s = strings.TrimSpace(s)
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return nil, fmt.Errorf("%w: want 64 hex characters", ErrKey)
	}
	var sc btcec.ModNScalar
	if overflow := sc.SetByteSlice(b); overflow || sc.IsZero() {
		return nil, fmt.Errorf("%w: out of range", ErrKey)
	}
	k, _ := btcec.PrivKeyFromBytes(b)
	return k, nil
}

// PrivateKeyHex returns the 64-hex-character form of k.
func PrivateKeyHex(k *btcec.PrivateKey) string { return hex.EncodeToString(k.Serialize()) }

// DecodeAddress parses a bech32m address under the network prefix hrp; errors wrap the
// address package's ErrPrefix, ErrChecksum, ErrFormat, ErrLength.
func DecodeAddress(hrp, s string) ([32]byte, error) { return address.Decode(hrp, s) }

// EncodeAddress returns the bech32m address of an x-only key under prefix hrp.
func EncodeAddress(hrp string, key [32]byte) (string, error) { return address.Encode(hrp, key) }
