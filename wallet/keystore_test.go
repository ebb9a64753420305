package wallet

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// fastScrypt keeps tests quick; the format and code path are the same as DefaultScrypt.
var fastScrypt = ScryptParams{N: 1 << 10, R: 8, P: 1}

const testMnemonic = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon about"

func newTestStore(t *testing.T) *Store {
	t.Helper()
	s, err := NewStore(StoreConfig{Dir: filepath.Join(t.TempDir(), "wallets"), Scrypt: fastScrypt})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func createTestWallet(t *testing.T, s *Store, name string) *Wallet {
	t.Helper()
	w, err := s.Create([]byte("correct horse"), CreateOptions{Name: name, Network: "pow-dev", Prefix: "clpow", Mnemonic: testMnemonic})
	if err != nil {
		t.Fatal(err)
	}
	return w
}

func TestKeystoreRoundTrip(t *testing.T) {
	s := newTestStore(t)
	w := createTestWallet(t, s, "alice")
	if len(w.Public().Addresses) != 1 {
		t.Fatalf("%d addresses", len(w.Public().Addresses))
	}
	first := w.Public().Addresses[0]
	if first.Path != "m/86'/1'/0'/0/0" || !strings.HasPrefix(first.Address, "clpow1") {
		t.Fatalf("first address %+v", first)
	}
	a2, err := w.NewAddress(BranchReceive)
	if err != nil {
		t.Fatal(err)
	}
	v, vk, err := w.NewValidatorKey(time.Unix(1, 0))
	if err != nil {
		t.Fatal(err)
	}
	imp, _ := ParsePrivateKey(strings.Repeat("11", 32))
	if _, err := w.ImportKey(imp, "dev"); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(w); err != nil {
		t.Fatal(err)
	}
	fi, err := os.Stat(s.Path("alice"))
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("file mode %v, want 0600", fi.Mode().Perm())
	}
	raw, _ := os.ReadFile(s.Path("alice"))
	if bytes.Contains(raw, []byte("abandon")) || bytes.Contains(raw, []byte(strings.Repeat("11", 32))) {
		t.Fatal("secret in plaintext")
	}

	w2, err := s.Open("alice", []byte("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	if w2.Mnemonic() != testMnemonic {
		t.Errorf("mnemonic %q", w2.Mnemonic())
	}
	if _, ok := w2.SpendKey(a2.Key); !ok {
		t.Error("second address key lost")
	}
	if k, ok := w2.ValidatorKey(v.Key); !ok || !bytes.Equal(k.Serialize(), vk.Serialize()) {
		t.Error("validator key lost")
	}
	if _, ok := w2.SpendKey(XOnly(imp)); !ok {
		t.Error("imported key lost")
	}
	pub, err := s.ReadPublic("alice")
	if err != nil || len(pub.Addresses) != 3 || len(pub.Validators) != 1 {
		t.Fatalf("ReadPublic: %+v %v", pub, err)
	}
	names, err := s.List()
	if err != nil || len(names) != 1 || names[0] != "alice" {
		t.Fatalf("List = %v %v", names, err)
	}
}

func TestKeystoreWrongPassword(t *testing.T) {
	s := newTestStore(t)
	createTestWallet(t, s, "alice")
	before, _ := os.ReadFile(s.Path("alice"))
	fiBefore, _ := os.Stat(s.Path("alice"))
	_, err := s.Open("alice", []byte("wrong"))
	if !errors.Is(err, ErrWrongPassword) {
		t.Fatalf("err = %v, want ErrWrongPassword", err)
	}
	if errors.Is(err, ErrCorrupt) {
		t.Fatal("wrong password reported as corruption")
	}
	after, _ := os.ReadFile(s.Path("alice"))
	fiAfter, _ := os.Stat(s.Path("alice"))
	if !bytes.Equal(before, after) || !fiBefore.ModTime().Equal(fiAfter.ModTime()) {
		t.Fatal("file changed by a failed open")
	}
	if _, err := s.Open("alice", nil); !errors.Is(err, ErrWrongPassword) {
		t.Fatalf("empty password: %v", err)
	}
	if _, err := s.Open("bob", []byte("x")); !errors.Is(err, ErrNotFound) {
		t.Fatalf("missing wallet: %v", err)
	}
	if _, err := s.Open("../etc/passwd", []byte("x")); !errors.Is(err, ErrName) {
		t.Fatalf("bad name: %v", err)
	}
}

func TestKeystoreCorrupt(t *testing.T) {
	s := newTestStore(t)
	createTestWallet(t, s, "alice")
	orig, _ := os.ReadFile(s.Path("alice"))
	var env map[string]any
	if err := json.Unmarshal(orig, &env); err != nil {
		t.Fatal(err)
	}
	mutate := func(f func(m map[string]any)) []byte {
		var m map[string]any
		_ = json.Unmarshal(orig, &m)
		f(m)
		b, _ := json.Marshal(m)
		return b
	}
	cases := []struct {
		name string
		data []byte
		want error
	}{
		{"empty", nil, ErrCorrupt},
		{"truncated", orig[:len(orig)/2], ErrCorrupt},
		{"not json", []byte("hello"), ErrCorrupt},
		{"trailing", append(append([]byte{}, orig...), []byte("{}")...), ErrCorrupt},
		{"future version", mutate(func(m map[string]any) { m["version"] = 2 }), ErrVersion},
		{"no version", mutate(func(m map[string]any) { delete(m, "version") }), ErrCorrupt},
		{"unknown field", mutate(func(m map[string]any) { m["extra"] = 1 }), ErrCorrupt},
		{"huge scrypt N", mutate(func(m map[string]any) { m["kdf"].(map[string]any)["n"] = 1 << 30 }), ErrCorrupt},
		{"bad cipher", mutate(func(m map[string]any) { m["cipher"].(map[string]any)["name"] = "rot13" }), ErrCorrupt},
		{"flipped ciphertext", mutate(func(m map[string]any) {
			c := []byte(m["ciphertext"].(string))
			if c[10] == 'A' {
				c[10] = 'B'
			} else {
				c[10] = 'A'
			}
			m["ciphertext"] = string(c)
		}), ErrCorrupt},
		{"altered public address", mutate(func(m map[string]any) {
			pub := m["public"].(map[string]any)
			pub["network"] = "evil"
		}), ErrCorrupt},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(s.Path("alice"), tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := s.Open("alice", []byte("correct horse"))
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if errors.Is(err, ErrWrongPassword) {
				t.Fatal("corruption reported as a wrong password")
			}
			got, _ := os.ReadFile(s.Path("alice"))
			if !bytes.Equal(got, tc.data) {
				t.Fatal("file rewritten by a failed open")
			}
		})
	}
}

func TestKeystoreAtomicWrite(t *testing.T) {
	s := newTestStore(t)
	w := createTestWallet(t, s, "alice")
	before, _ := os.ReadFile(s.Path("alice"))

	// A failure after the temp file is written but before the rename leaves the old file and
	// no temporary behind.
	s.beforeCommit = func() error { return errors.New("injected crash") }
	if _, err := w.NewAddress(BranchReceive); err != nil {
		t.Fatal(err)
	}
	if err := s.Save(w); err == nil || !strings.Contains(err.Error(), "injected crash") {
		t.Fatalf("save err = %v", err)
	}
	after, _ := os.ReadFile(s.Path("alice"))
	if !bytes.Equal(before, after) {
		t.Fatal("failed save changed the file")
	}
	ents, _ := os.ReadDir(s.Dir())
	if len(ents) != 1 {
		t.Fatalf("dir has %d entries after a failed save (temp file left?)", len(ents))
	}
	if _, err := s.Open("alice", []byte("correct horse")); err != nil {
		t.Fatalf("old file unreadable: %v", err)
	}

	// The retry succeeds and the new address is on disk.
	s.beforeCommit = nil
	if err := s.Save(w); err != nil {
		t.Fatal(err)
	}
	w2, err := s.Open("alice", []byte("correct horse"))
	if err != nil || len(w2.Public().Addresses) != 2 {
		t.Fatalf("after save: %v", err)
	}

	// Create never replaces an existing wallet.
	if _, err := s.Create([]byte("other"), CreateOptions{Name: "alice", Network: "pow-dev", Prefix: "clpow"}); !errors.Is(err, ErrExists) {
		t.Fatalf("create over existing: %v", err)
	}
	if _, err := s.Open("alice", []byte("correct horse")); err != nil {
		t.Fatalf("existing wallet damaged: %v", err)
	}
	// The no-clobber link also holds if the file appears between the check and the write.
	w3 := &Wallet{pub: Public{Name: "x"}, sealed: w.sealed, path: s.Path("alice")}
	if err := s.write(w3, true); !errors.Is(err, ErrExists) {
		t.Fatalf("racing create: %v", err)
	}
}

func TestKeystoreConcurrentWriterDetected(t *testing.T) {
	s := newTestStore(t)
	createTestWallet(t, s, "alice")
	a, err := s.Open("alice", []byte("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.Open("alice", []byte("correct horse"))
	if err != nil {
		t.Fatal(err)
	}
	a.NewAddress(BranchReceive)
	if err := s.Save(a); err != nil {
		t.Fatal(err)
	}
	b.NewAddress(BranchReceive)
	if err := s.Save(b); !errors.Is(err, ErrChangedOnDisk) {
		t.Fatalf("lost update not detected: %v", err)
	}
}

func TestKeystoreBadInputs(t *testing.T) {
	s := newTestStore(t)
	if _, err := s.Create(nil, CreateOptions{Name: "a", Network: "n", Prefix: "clpow"}); !errors.Is(err, ErrEmptyPassword) {
		t.Errorf("empty password: %v", err)
	}
	if _, err := s.Create([]byte("p"), CreateOptions{Name: "a/b", Network: "n", Prefix: "clpow"}); !errors.Is(err, ErrName) {
		t.Errorf("bad name: %v", err)
	}
	if _, err := s.Create([]byte("p"), CreateOptions{Name: "a", Network: "n", Prefix: "clpow", Mnemonic: "abandon abandon"}); !errors.Is(err, ErrMnemonic) {
		t.Errorf("bad mnemonic: %v", err)
	}
	if _, err := NewStore(StoreConfig{Dir: t.TempDir(), Scrypt: ScryptParams{N: 1000, R: 8, P: 1}}); !errors.Is(err, ErrScryptParams) {
		t.Errorf("N not a power of two: %v", err)
	}
}

var testNow = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

// FuzzOpenWalletFile feeds arbitrary files to Open: it must never panic and must fail with
// a typed keystore error (a random file is never "the right password").
func FuzzOpenWalletFile(f *testing.F) {
	s, err := NewStore(StoreConfig{Dir: f.TempDir(), Scrypt: fastScrypt})
	if err != nil {
		f.Fatal(err)
	}
	if _, err := s.Create([]byte("pw"), CreateOptions{Name: "seed", Network: "pow-dev", Prefix: "clpow", Mnemonic: testMnemonic}); err != nil {
		f.Fatal(err)
	}
	good, _ := os.ReadFile(s.Path("seed"))
	f.Add(good)
	f.Add([]byte(`{"version":1}`))
	f.Add([]byte(`{"version":1,"kdf":{"name":"scrypt","n":1024,"r":8,"p":1,"salt":"00"}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		if err := os.WriteFile(s.Path("fuzz"), data, 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := s.Open("fuzz", []byte("pw"))
		if err == nil {
			return // only the real file (or a JSON re-encoding of it) opens
		}
		if !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrVersion) && !errors.Is(err, ErrWrongPassword) {
			t.Fatalf("untyped error: %v", err)
		}
	})
}
