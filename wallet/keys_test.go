package wallet

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/csv"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"
	"github.com/btcsuite/btcd/btcutil/base58"

	"chainlab/address"
	"chainlab/chain"
)

type hdVectors struct {
	BIP39 []struct {
		Mnemonic, Passphrase, Seed string
		RootXprv                   string `json:"root_xprv"`
	} `json:"bip39"`
	BIP32 []struct {
		Mnemonic, Passphrase string
		RootPrivateKey       string `json:"root_private_key"`
		RootXprv             string `json:"root_xprv"`
		DerivedPath          string `json:"derived_path"`
		DerivedPrivateKey    string `json:"derived_private_key"`
		DerivedXprv          string `json:"derived_xprv"`
	} `json:"bip32"`
	BIP86 struct {
		Mnemonic string
		RootXprv string `json:"root_xprv"`
		Keys     []struct {
			Path, Xprv  string
			InternalKey string `json:"internal_key"`
		}
	} `json:"bip86"`
}

func loadHDVectors(t *testing.T) hdVectors {
	t.Helper()
	b, err := os.ReadFile("testdata/hd-vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v hdVectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// xprv serialises k as BIP-32 mainnet "xprv" (version 0x0488ADE4), base58check.
func xprv(k *extKey) string {
	b := []byte{0x04, 0x88, 0xAD, 0xE4, k.depth}
	b = append(b, k.parentFP[:]...)
	b = binary.BigEndian.AppendUint32(b, k.index)
	b = append(b, k.chainCode[:]...)
	b = append(append(b, 0), k.key[:]...)
	h1 := sha256.Sum256(b)
	h2 := sha256.Sum256(h1[:])
	return base58.Encode(append(b, h2[:4]...))
}

func TestBIP39AndBIP32Vectors(t *testing.T) {
	v := loadHDVectors(t)
	for _, tc := range v.BIP39 {
		seed, err := mnemonicSeed(tc.Mnemonic, tc.Passphrase)
		if err != nil {
			t.Fatal(err)
		}
		if hex.EncodeToString(seed) != tc.Seed {
			t.Fatalf("seed = %x, want %s", seed, tc.Seed)
		}
		m, err := newMaster(seed)
		if err != nil {
			t.Fatal(err)
		}
		if xprv(m) != tc.RootXprv {
			t.Fatalf("root xprv = %s, want %s", xprv(m), tc.RootXprv)
		}
	}
	for _, tc := range v.BIP32 {
		seed, err := mnemonicSeed(tc.Mnemonic, tc.Passphrase)
		if err != nil {
			t.Fatal(err)
		}
		m, err := newMaster(seed)
		if err != nil {
			t.Fatal(err)
		}
		if hex.EncodeToString(m.key[:]) != tc.RootPrivateKey || xprv(m) != tc.RootXprv {
			t.Fatalf("root = %x %s", m.key, xprv(m))
		}
		path, err := ParsePath(tc.DerivedPath)
		if err != nil {
			t.Fatal(err)
		}
		if FormatPath(path) != tc.DerivedPath {
			t.Errorf("FormatPath = %s, want %s", FormatPath(path), tc.DerivedPath)
		}
		d, err := m.derive(path)
		if err != nil {
			t.Fatal(err)
		}
		if hex.EncodeToString(d.key[:]) != tc.DerivedPrivateKey {
			t.Errorf("%s key = %x, want %s", tc.DerivedPath, d.key, tc.DerivedPrivateKey)
		}
		if got := xprv(d); got != tc.DerivedXprv {
			t.Errorf("%s xprv = %s, want %s", tc.DerivedPath, got, tc.DerivedXprv)
		}
	}
}

func TestBIP86Vectors(t *testing.T) {
	v := loadHDVectors(t).BIP86
	seed, err := mnemonicSeed(v.Mnemonic, "")
	if err != nil {
		t.Fatal(err)
	}
	m, err := newMaster(seed)
	if err != nil {
		t.Fatal(err)
	}
	if xprv(m) != v.RootXprv {
		t.Fatalf("root xprv %s", xprv(m))
	}
	for _, k := range v.Keys {
		path, err := ParsePath(k.Path)
		if err != nil {
			t.Fatal(err)
		}
		d, err := m.derive(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := xprv(d); got != k.Xprv {
			t.Errorf("%s xprv = %s, want %s", k.Path, got, k.Xprv)
		}
		x := XOnly(d.privKey())
		if hex.EncodeToString(x[:]) != k.InternalKey {
			t.Errorf("%s internal key = %x, want %s", k.Path, x, k.InternalKey)
		}
	}
}

// TestKeychainPaths checks that the wallet's keychain derives exactly the documented paths.
func TestKeychainPaths(t *testing.T) {
	seed, _ := mnemonicSeed(loadHDVectors(t).BIP86.Mnemonic, "")
	kc, err := newKeychain(seed)
	if err != nil {
		t.Fatal(err)
	}
	m, _ := newMaster(seed)
	for _, b := range []Branch{BranchReceive, BranchChange, BranchValidator} {
		for i := uint32(0); i < 3; i++ {
			got, err := kc.key(b, i)
			if err != nil {
				t.Fatal(err)
			}
			want, err := m.derive(KeyPath(b, i))
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(got.Serialize(), want.key[:]) {
				t.Errorf("%v/%d: keychain and %s differ", b, i, FormatPath(KeyPath(b, i)))
			}
		}
	}
	if got := FormatPath(KeyPath(BranchValidator, 4)); got != "m/86'/1'/1'/4'" {
		t.Errorf("validator path %s", got)
	}
	if got := FormatPath(KeyPath(BranchChange, 7)); got != "m/86'/1'/0'/1/7" {
		t.Errorf("change path %s", got)
	}
}

func TestParsePathErrors(t *testing.T) {
	for _, s := range []string{"", "n/1", "m/", "m/x", "m/1''", "m/-1", "m/2147483648", "m/+1", "m/1/"} {
		if _, err := ParsePath(s); !errors.Is(err, ErrPath) {
			t.Errorf("ParsePath(%q) err = %v", s, err)
		}
	}
}

func TestMnemonic(t *testing.T) {
	m, err := NewMnemonic(24)
	if err != nil {
		t.Fatal(err)
	}
	if len(strings.Fields(m)) != 24 {
		t.Fatalf("%d words", len(strings.Fields(m)))
	}
	n, err := NormalizeMnemonic("  " + strings.ToUpper(strings.ReplaceAll(m, " ", "\n\t ")) + "\n")
	if err != nil || n != m {
		t.Fatalf("normalize: %q %v", n, err)
	}
	if _, err := NewMnemonic(13); !errors.Is(err, ErrMnemonic) {
		t.Errorf("13 words: %v", err)
	}
	w := strings.Fields(m)
	w[0], w[1] = w[1], w[0]
	if w[0] != w[1] {
		if _, err := NormalizeMnemonic(strings.Join(w, " ")); !errors.Is(err, ErrMnemonic) {
			t.Errorf("swapped words accepted: %v", err)
		}
	}
	if _, err := NormalizeMnemonic("abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon notaword"); !errors.Is(err, ErrMnemonic) {
		t.Errorf("unknown word: %v", err)
	}
	if _, err := mnemonicSeed(m, "pässword"); !errors.Is(err, ErrMnemonic) {
		t.Errorf("non-ASCII passphrase: %v", err)
	}
}

// TestBIP340Vectors runs the BIP-340 vectors through btcec's schnorr package, the code path
// chain.SignTx and chain.VerifySchnorr use, and checks the wallet's x-only key derivation.
func TestBIP340Vectors(t *testing.T) {
	f, err := os.Open("testdata/bip340-test-vectors.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	ran := 0
	for _, r := range rows[1:] {
		idx, sk, pk, aux, msg, sig, result := r[0], r[1], r[2], r[3], r[4], r[5], r[6] == "TRUE"
		msgB, _ := hex.DecodeString(msg)
		if len(msgB) != 32 {
			continue // btcec/v2 signs 32-byte messages only (vectors 15-18); chainlab always signs hashes
		}
		ran++
		pkB, _ := hex.DecodeString(pk)
		sigB, _ := hex.DecodeString(sig)
		if sk != "" {
			priv, err := ParsePrivateKey(sk)
			if err != nil {
				t.Fatalf("vector %s: %v", idx, err)
			}
			x := XOnly(priv)
			if !bytes.Equal(x[:], pkB) {
				t.Errorf("vector %s: x-only key %x, want %s", idx, x, pk)
			}
			auxB, _ := hex.DecodeString(aux)
			s, err := schnorr.Sign(priv, msgB, schnorr.CustomNonce([32]byte(auxB)))
			if err != nil {
				t.Fatalf("vector %s: sign: %v", idx, err)
			}
			if !bytes.Equal(s.Serialize(), sigB) {
				t.Errorf("vector %s: sig %x, want %s", idx, s.Serialize(), sig)
			}
		}
		var key [32]byte
		copy(key[:], pkB)
		if got := chain.VerifySchnorr(key, chain.Hash(msgB), sigB); got != result {
			t.Errorf("vector %s: verify = %v, want %v (%s)", idx, got, result, r[7])
		}
	}
	if ran != 15 {
		t.Fatalf("ran %d vectors, want 15", ran)
	}
}

func TestAddresses(t *testing.T) {
	k, _ := btcec.NewPrivateKey()
	key := XOnly(k)
	a, err := EncodeAddress("clpow", key)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DecodeAddress("clpow", a)
	if err != nil || got != key {
		t.Fatalf("round trip: %v", err)
	}
	if _, err := DecodeAddress("clpos", a); !errors.Is(err, address.ErrPrefix) {
		t.Errorf("wrong prefix: %v", err)
	}
	// Flip one data character: the bech32m checksum must catch it.
	b := []byte(a)
	i := len("clpow1") + 5
	if b[i] == 'q' {
		b[i] = 'p'
	} else {
		b[i] = 'q'
	}
	if _, err := DecodeAddress("clpow", string(b)); !errors.Is(err, address.ErrChecksum) {
		t.Errorf("bad checksum: %v", err)
	}
	if _, err := DecodeAddress("clpow", "clpow1notanaddress"); err == nil {
		t.Error("garbage accepted")
	}
	if _, err := ParsePrivateKey(strings.Repeat("ff", 32)); !errors.Is(err, ErrKey) {
		t.Errorf("key >= n accepted: %v", err)
	}
	if _, err := ParsePrivateKey(strings.Repeat("00", 32)); !errors.Is(err, ErrKey) {
		t.Errorf("zero key accepted: %v", err)
	}
}
