package wallet

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"golang.org/x/crypto/chacha20poly1305"
	"golang.org/x/crypto/scrypt"
)

// FileVersion is the keystore envelope version this package writes and reads.
const FileVersion = 1

// fileSuffix is the extension of wallet files in a wallet directory.
const fileSuffix = ".wallet"

// Names of the algorithms in the envelope.
const (
	kdfScrypt        = "scrypt"
	cipherXChaCha    = "xchacha20-poly1305"
	scryptKeyLen     = 64 // 32 bytes AEAD key, 32 bytes password check
	maxScryptMemory  = 1 << 30
	maxWalletFile    = 16 << 20
	defaultScryptLog = 17
)

// Keystore errors; match them with errors.Is.
var (
	ErrWrongPassword = errors.New("wallet: wrong password")
	ErrCorrupt       = errors.New("wallet: keystore file is corrupt")
	ErrVersion       = errors.New("wallet: unsupported keystore version")
	ErrExists        = errors.New("wallet: wallet already exists")
	ErrNotFound      = errors.New("wallet: no such wallet")
	ErrName          = errors.New("wallet: bad wallet name")
	ErrChangedOnDisk = errors.New("wallet: keystore file changed on disk since it was opened")
	ErrEmptyPassword = errors.New("wallet: empty password")
	ErrScryptParams  = errors.New("wallet: bad scrypt parameters")
)

// ScryptParams are the password-hashing costs. N must be a power of two.
type ScryptParams struct {
	N int `json:"n"`
	R int `json:"r"`
	P int `json:"p"`
}

// DefaultScrypt is what new wallets use: N=2^17, r=8, p=1 (128 MiB, about a second on a
// loaded 2-core machine; every file records its own parameters).
var DefaultScrypt = ScryptParams{N: 1 << defaultScryptLog, R: 8, P: 1}

func (p ScryptParams) check() error {
	if p.N < 2 || p.N&(p.N-1) != 0 || p.R < 1 || p.R > 32 || p.P < 1 || p.P > 16 ||
		uint64(p.N)*uint64(p.R)*128 > maxScryptMemory {
		return fmt.Errorf("%w: N=%d r=%d p=%d", ErrScryptParams, p.N, p.R, p.P)
	}
	return nil
}

// envelope is the on-disk JSON of a wallet file. Everything but the nonce and ciphertext is
// authenticated as AEAD associated data, so the readable part (public keys, addresses, the
// journal) cannot be altered without the password.
type envelope struct {
	Version    int       `json:"version"`
	KDF        kdfParams `json:"kdf"`
	Cipher     cipherHdr `json:"cipher"`
	Check      hexBytes  `json:"check"` // SHA-256 of the second half of the scrypt output
	Public     Public    `json:"public"`
	Ciphertext []byte    `json:"ciphertext"` // base64 in JSON
}

type kdfParams struct {
	Name string `json:"name"`
	ScryptParams
	Salt hexBytes `json:"salt"`
}

type cipherHdr struct {
	Name  string   `json:"name"`
	Nonce hexBytes `json:"nonce"`
}

// aad is the associated data: the canonical (compact) JSON of the authenticated fields.
func (e *envelope) aad() ([]byte, error) {
	return json.Marshal(struct {
		Version int       `json:"version"`
		KDF     kdfParams `json:"kdf"`
		Cipher  string    `json:"cipher"`
		Check   hexBytes  `json:"check"`
		Public  Public    `json:"public"`
	}{e.Version, e.KDF, e.Cipher.Name, e.Check, e.Public})
}

// sealedKey is a password-derived key kept by an unlocked wallet so it can re-save without
// running scrypt again (every save uses a fresh random nonce).
type sealedKey struct {
	kdf   kdfParams
	key   [32]byte
	check []byte
}

func deriveKey(password []byte, kdf kdfParams) (*sealedKey, error) {
	if err := kdf.ScryptParams.check(); err != nil {
		return nil, err
	}
	dk, err := scrypt.Key(password, kdf.Salt, kdf.N, kdf.R, kdf.P, scryptKeyLen)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrScryptParams, err)
	}
	sk := &sealedKey{kdf: kdf}
	copy(sk.key[:], dk[:32])
	c := sha256.Sum256(dk[32:])
	sk.check = c[:]
	clear(dk)
	return sk, nil
}

func newSealedKey(password []byte, p ScryptParams) (*sealedKey, error) {
	if len(password) == 0 {
		return nil, ErrEmptyPassword
	}
	salt := make([]byte, 32)
	if _, err := rand.Read(salt); err != nil {
		return nil, err
	}
	return deriveKey(password, kdfParams{Name: kdfScrypt, ScryptParams: p, Salt: salt})
}

// seal encrypts plaintext into a fresh envelope around pub.
func (k *sealedKey) seal(pub Public, plaintext []byte) ([]byte, error) {
	aead, err := chacha20poly1305.NewX(k.key[:])
	if err != nil {
		return nil, err
	}
	nonce := make([]byte, aead.NonceSize())
	if _, err := rand.Read(nonce); err != nil {
		return nil, err
	}
	e := &envelope{Version: FileVersion, KDF: k.kdf, Cipher: cipherHdr{Name: cipherXChaCha, Nonce: nonce}, Check: k.check, Public: pub}
	ad, err := e.aad()
	if err != nil {
		return nil, err
	}
	e.Ciphertext = aead.Seal(nil, nonce, plaintext, ad)
	out, err := json.MarshalIndent(e, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// parseEnvelope decodes and sanity-checks a wallet file without the password.
func parseEnvelope(data []byte) (*envelope, error) {
	var probe struct {
		Version *int `json:"version"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if probe.Version == nil {
		return nil, fmt.Errorf("%w: no version field", ErrCorrupt)
	}
	if *probe.Version != FileVersion {
		return nil, fmt.Errorf("%w: file has version %d, this build reads %d", ErrVersion, *probe.Version, FileVersion)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var e envelope
	if err := dec.Decode(&e); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("%w: trailing data", ErrCorrupt)
	}
	switch {
	case e.KDF.Name != kdfScrypt:
		return nil, fmt.Errorf("%w: unknown kdf %q", ErrCorrupt, e.KDF.Name)
	case e.Cipher.Name != cipherXChaCha:
		return nil, fmt.Errorf("%w: unknown cipher %q", ErrCorrupt, e.Cipher.Name)
	case len(e.KDF.Salt) < 16:
		return nil, fmt.Errorf("%w: salt too short", ErrCorrupt)
	case len(e.Cipher.Nonce) != chacha20poly1305.NonceSizeX:
		return nil, fmt.Errorf("%w: nonce is %d bytes", ErrCorrupt, len(e.Cipher.Nonce))
	case len(e.Check) != sha256.Size:
		return nil, fmt.Errorf("%w: password check is %d bytes", ErrCorrupt, len(e.Check))
	case len(e.Ciphertext) < chacha20poly1305.Overhead:
		return nil, fmt.Errorf("%w: ciphertext too short", ErrCorrupt)
	}
	if err := e.KDF.ScryptParams.check(); err != nil {
		return nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	return &e, nil
}

// open derives the key from password and decrypts e. A password whose check value does not
// match gives ErrWrongPassword; a matching password whose ciphertext or authenticated fields do
// not verify gives ErrCorrupt.
func (e *envelope) open(password []byte) (*sealedKey, []byte, error) {
	k, err := deriveKey(password, e.KDF)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: %v", ErrCorrupt, err)
	}
	if subtle.ConstantTimeCompare(k.check, e.Check) != 1 {
		return nil, nil, ErrWrongPassword
	}
	aead, err := chacha20poly1305.NewX(k.key[:])
	if err != nil {
		return nil, nil, err
	}
	ad, err := e.aad()
	if err != nil {
		return nil, nil, err
	}
	pt, err := aead.Open(nil, e.Cipher.Nonce, e.Ciphertext, ad)
	if err != nil {
		return nil, nil, fmt.Errorf("%w: authentication failed (file altered or damaged)", ErrCorrupt)
	}
	return k, pt, nil
}

// ---- files ----

var nameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

// ValidName reports whether name can name a wallet file.
func ValidName(name string) bool { return nameRE.MatchString(name) && !strings.Contains(name, "..") }

// writeFileAtomic writes data to path through a temporary file in the same directory: write,
// fsync, then rename over path (or, with noClobber, hard-link to path, which fails if path
// exists), then fsync the directory. A crash leaves either the old file or the new one, never a
// mix; a failure before the rename leaves the old file untouched. beforeCommit (tests) runs after
// the temporary file is synced and may fail the write.
func writeFileAtomic(path string, data []byte, noClobber bool, beforeCommit func() error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err = f.Chmod(0o600); err != nil {
		return err
	}
	if _, err = f.Write(data); err != nil {
		return err
	}
	if err = f.Sync(); err != nil {
		return err
	}
	if err = f.Close(); err != nil {
		return err
	}
	if beforeCommit != nil {
		if err = beforeCommit(); err != nil {
			return err
		}
	}
	if noClobber {
		if err = os.Link(tmp, path); err != nil {
			if errors.Is(err, os.ErrExist) {
				err = fmt.Errorf("%w: %s", ErrExists, path)
			}
			return err
		}
		os.Remove(tmp)
	} else if err = os.Rename(tmp, path); err != nil {
		return err
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil && !errors.Is(err, os.ErrInvalid) {
		return fmt.Errorf("sync %s: %w", dir, err)
	}
	return nil
}

func readWalletFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%w: %s", ErrNotFound, path)
		}
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxWalletFile+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxWalletFile {
		return nil, fmt.Errorf("%w: larger than %d bytes", ErrCorrupt, maxWalletFile)
	}
	return data, nil
}

// listNames returns the wallet names in dir, sorted.
func listNames(dir string) ([]string, error) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, err
	}
	var out []string
	for _, e := range ents {
		n := e.Name()
		if e.Type().IsRegular() && strings.HasSuffix(n, fileSuffix) && ValidName(strings.TrimSuffix(n, fileSuffix)) {
			out = append(out, strings.TrimSuffix(n, fileSuffix))
		}
	}
	sort.Strings(out)
	return out, nil
}
