package wallet

import (
	"crypto/hmac"
	"crypto/sha512"
	"encoding/binary"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/btcsuite/btcd/btcec/v2"
)

// HardenedOffset is added to a BIP-32 child index to select hardened derivation.
const HardenedOffset uint32 = 0x80000000

// ErrDerive is returned when a BIP-32 derivation step yields an invalid key (probability
// below 2^-127 per step; the caller moves to the next index, as BIP-32 prescribes).
var ErrDerive = errors.New("wallet: invalid derived key")

// ErrPath is returned for a malformed derivation path.
var ErrPath = errors.New("wallet: bad derivation path")

// extKey is a BIP-32 extended private key. Only private derivation (CKDpriv) is needed: the
// wallet never hands out extended public keys.
type extKey struct {
	key       [32]byte // secret scalar, big-endian
	chainCode [32]byte
	depth     uint8
	parentFP  [4]byte
	index     uint32
}

// newMaster derives the BIP-32 master key: I = HMAC-SHA512("Bitcoin seed", seed).
func newMaster(seed []byte) (*extKey, error) {
	if len(seed) < 16 || len(seed) > 64 {
		return nil, fmt.Errorf("wallet: seed is %d bytes, BIP-32 wants 16..64", len(seed))
	}
	mac := hmac.New(sha512.New, []byte("Bitcoin seed"))
	mac.Write(seed)
	sum := mac.Sum(nil)
	var s btcec.ModNScalar
	if overflow := s.SetByteSlice(sum[:32]); overflow || s.IsZero() {
		return nil, ErrDerive
	}
	k := &extKey{}
	copy(k.key[:], sum[:32])
	copy(k.chainCode[:], sum[32:])
	return k, nil
}

func (k *extKey) privKey() *btcec.PrivateKey {
	pk, _ := btcec.PrivKeyFromBytes(k.key[:])
	return pk
}

// child is BIP-32 CKDpriv((k, c), i).
func (k *extKey) child(i uint32) (*extKey, error) {
	priv := k.privKey()
	pub := priv.PubKey().SerializeCompressed()
	data := make([]byte, 0, 37)
	if i >= HardenedOffset {
		data = append(append(data, 0), k.key[:]...)
	} else {
		data = append(data, pub...)
	}
	data = binary.BigEndian.AppendUint32(data, i)
	mac := hmac.New(sha512.New, k.chainCode[:])
	mac.Write(data)
	sum := mac.Sum(nil)

	var il, kpar btcec.ModNScalar
	if overflow := il.SetByteSlice(sum[:32]); overflow {
		return nil, ErrDerive
	}
	kpar.SetByteSlice(k.key[:])
	il.Add(&kpar)
	if il.IsZero() {
		return nil, ErrDerive
	}
	c := &extKey{depth: k.depth + 1, index: i}
	b := il.Bytes()
	copy(c.key[:], b[:])
	copy(c.chainCode[:], sum[32:])
	fp := hash160(pub)
	copy(c.parentFP[:], fp[:4])
	return c, nil
}

// derive follows path from k.
func (k *extKey) derive(path []uint32) (*extKey, error) {
	cur := k
	for _, i := range path {
		next, err := cur.child(i)
		if err != nil {
			return nil, err
		}
		cur = next
	}
	return cur, nil
}

// ParsePath parses a BIP-32 path such as "m/86'/1'/0'/0/5" ('h' or 'H' also mark hardened).
func ParsePath(s string) ([]uint32, error) {
	parts := strings.Split(s, "/")
	if len(parts) == 0 || parts[0] != "m" {
		return nil, fmt.Errorf("%w: %q must start with m", ErrPath, s)
	}
	out := make([]uint32, 0, len(parts)-1)
	for _, p := range parts[1:] {
		hard := false
		if n := len(p); n > 0 && (p[n-1] == '\'' || p[n-1] == 'h' || p[n-1] == 'H') {
			hard, p = true, p[:n-1]
		}
		v, err := strconv.ParseUint(p, 10, 32)
		if err != nil || v >= uint64(HardenedOffset) || !allDigits(p) {
			return nil, fmt.Errorf("%w: %q: bad element %q", ErrPath, s, p)
		}
		if hard {
			v += uint64(HardenedOffset)
		}
		out = append(out, uint32(v))
	}
	return out, nil
}

// FormatPath prints a path in the m/86'/1'/0'/0/5 form.
func FormatPath(path []uint32) string {
	var b strings.Builder
	b.WriteString("m")
	for _, i := range path {
		if i >= HardenedOffset {
			fmt.Fprintf(&b, "/%d'", i-HardenedOffset)
		} else {
			fmt.Fprintf(&b, "/%d", i)
		}
	}
	return b.String()
}
