package wallet

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"
)

// Public is the readable part of a wallet file: everything needed to watch balances and
// history without the password. It is authenticated (AEAD associated data) but not secret.
type Public struct {
	Name       string          `json:"name"`
	Network    string          `json:"network"`
	Prefix     string          `json:"address_prefix"`
	Created    time.Time       `json:"created"`
	HD         bool            `json:"hd"`      // keys derive from a mnemonic
	Receive    uint32          `json:"receive"` // receive keys derived so far (indices 0..Receive-1)
	Change     uint32          `json:"change"`  // change keys derived so far
	Addresses  []AddressInfo   `json:"addresses"`
	Validators []ValidatorInfo `json:"validators,omitempty"`
	Journal    []JournalEntry  `json:"journal,omitempty"`
}

// AddressInfo is one spending key of the wallet.
type AddressInfo struct {
	Address string `json:"address"`
	Key     Key32  `json:"key"`             // x-only public key
	Branch  string `json:"branch"`          // receive, change or imported
	Path    string `json:"path,omitempty"`  // BIP-32 path (HD keys)
	Label   string `json:"label,omitempty"` // free text
	Index   uint32 `json:"index"`           // index in its branch
}

// ValidatorInfo is a validator key created by the wallet (wallet stake).
type ValidatorInfo struct {
	Key     Key32     `json:"key"`
	Index   uint32    `json:"index"`
	Path    string    `json:"path,omitempty"`
	KeyFile string    `json:"key_file,omitempty"` // where the private key was exported for the node
	Created time.Time `json:"created"`
}

// JournalEntry records a transaction this wallet built and broadcast.
type JournalEntry struct {
	TxID   string    `json:"txid"`
	Time   time.Time `json:"time"`
	Kind   string    `json:"kind"` // send, stake, unstake, withdraw
	To     string    `json:"to,omitempty"`
	Amount uint64    `json:"amount"`
	Fee    uint64    `json:"fee"`
	Raw    hexBytes  `json:"raw,omitempty"` // the signed transaction (wallet rebroadcast)
}

// secrets is the encrypted part of a wallet file.
type secrets struct {
	Mnemonic string   `json:"mnemonic,omitempty"`
	Imported []string `json:"imported,omitempty"` // hex secret keys, in Addresses order of branch "imported"
}

// Wallet is an unlocked wallet: its public record and its private keys. It is not safe for
// concurrent use.
type Wallet struct {
	pub    Public
	sec    secrets
	kc     *keychain // nil for a wallet without a mnemonic
	keys   map[Key32]*btcec.PrivateKey
	vkeys  map[Key32]*btcec.PrivateKey
	sealed *sealedKey
	path   string
	disk   []byte // file contents when opened or last saved (detects concurrent writers)
}

// Public returns a copy of the wallet's public record.
func (w *Wallet) Public() Public { return clonePublic(w.pub) }

// Name returns the wallet name.
func (w *Wallet) Name() string { return w.pub.Name }

// Prefix returns the address prefix of the wallet's network.
func (w *Wallet) Prefix() string { return w.pub.Prefix }

// Mnemonic returns the BIP-39 backup phrase ("" for a wallet without one).
func (w *Wallet) Mnemonic() string { return w.sec.Mnemonic }

// ImportedKeys returns the hex secret keys imported into the wallet.
func (w *Wallet) ImportedKeys() []string { return append([]string(nil), w.sec.Imported...) }

func clonePublic(p Public) Public {
	b, _ := json.Marshal(p)
	var q Public
	_ = json.Unmarshal(b, &q)
	return q
}

// unlock rebuilds the key maps from the secrets and checks them against the public record.
func (w *Wallet) unlock() error {
	w.keys = make(map[Key32]*btcec.PrivateKey)
	w.vkeys = make(map[Key32]*btcec.PrivateKey)
	if w.sec.Mnemonic != "" {
		seed, err := mnemonicSeed(w.sec.Mnemonic, "")
		if err != nil {
			return fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		if w.kc, err = newKeychain(seed); err != nil {
			return fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
	}
	imported := 0
	for _, a := range w.pub.Addresses {
		var (
			k   *btcec.PrivateKey
			err error
		)
		switch a.Branch {
		case "imported":
			if int(a.Index) >= len(w.sec.Imported) {
				return fmt.Errorf("%w: imported key %d missing", ErrCorrupt, a.Index)
			}
			k, err = ParsePrivateKey(w.sec.Imported[a.Index])
			imported++
		case "receive", "change":
			if w.kc == nil {
				return fmt.Errorf("%w: HD address without a mnemonic", ErrCorrupt)
			}
			b := BranchReceive
			if a.Branch == "change" {
				b = BranchChange
			}
			k, err = w.kc.key(b, a.Index)
		default:
			return fmt.Errorf("%w: unknown branch %q", ErrCorrupt, a.Branch)
		}
		if err != nil {
			return fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		if Key32(XOnly(k)) != a.Key {
			return fmt.Errorf("%w: key of %s does not match its secret", ErrCorrupt, a.Address)
		}
		w.keys[a.Key] = k
	}
	if imported != len(w.sec.Imported) {
		return fmt.Errorf("%w: %d imported secrets, %d imported addresses", ErrCorrupt, len(w.sec.Imported), imported)
	}
	for _, v := range w.pub.Validators {
		if w.kc == nil {
			return fmt.Errorf("%w: validator key without a mnemonic", ErrCorrupt)
		}
		k, err := w.kc.key(BranchValidator, v.Index)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrCorrupt, err)
		}
		if Key32(XOnly(k)) != v.Key {
			return fmt.Errorf("%w: validator key %s does not match its secret", ErrCorrupt, v.Key)
		}
		w.vkeys[v.Key] = k
	}
	return nil
}

// NewAddress derives the next key of branch b (receive or change), records it and returns it.
// Call Store.Save to persist it.
func (w *Wallet) NewAddress(b Branch) (AddressInfo, error) {
	if w.kc == nil {
		return AddressInfo{}, errors.New("wallet: this wallet has no mnemonic; it cannot derive new addresses")
	}
	var idx *uint32
	switch b {
	case BranchReceive:
		idx = &w.pub.Receive
	case BranchChange:
		idx = &w.pub.Change
	default:
		return AddressInfo{}, fmt.Errorf("%w: branch %v has no addresses", ErrPath, b)
	}
	k, err := w.kc.key(b, *idx)
	if err != nil {
		return AddressInfo{}, err
	}
	key := Key32(XOnly(k))
	addr, err := EncodeAddress(w.pub.Prefix, key)
	if err != nil {
		return AddressInfo{}, err
	}
	a := AddressInfo{Address: addr, Key: key, Branch: b.String(), Path: FormatPath(KeyPath(b, *idx)), Index: *idx}
	*idx++
	w.pub.Addresses = append(w.pub.Addresses, a)
	w.keys[key] = k
	return a, nil
}

// ImportKey adds a raw secret key. Importing a key the wallet already has is a no-op that
// returns the existing entry.
func (w *Wallet) ImportKey(k *btcec.PrivateKey, label string) (AddressInfo, error) {
	key := Key32(XOnly(k))
	for _, a := range w.pub.Addresses {
		if a.Key == key {
			return a, nil
		}
	}
	addr, err := EncodeAddress(w.pub.Prefix, key)
	if err != nil {
		return AddressInfo{}, err
	}
	a := AddressInfo{Address: addr, Key: key, Branch: "imported", Label: label, Index: uint32(len(w.sec.Imported))}
	w.sec.Imported = append(w.sec.Imported, PrivateKeyHex(k))
	w.pub.Addresses = append(w.pub.Addresses, a)
	w.keys[key] = k
	return a, nil
}

// NewValidatorKey derives the next validator key, records it and returns it with its secret.
func (w *Wallet) NewValidatorKey(now time.Time) (ValidatorInfo, *btcec.PrivateKey, error) {
	if w.kc == nil {
		return ValidatorInfo{}, nil, errors.New("wallet: this wallet has no mnemonic; it cannot derive validator keys")
	}
	i := uint32(len(w.pub.Validators))
	k, err := w.kc.key(BranchValidator, i)
	if err != nil {
		return ValidatorInfo{}, nil, err
	}
	v := ValidatorInfo{Key: Key32(XOnly(k)), Index: i, Path: FormatPath(KeyPath(BranchValidator, i)), Created: now.UTC().Truncate(time.Second)}
	w.pub.Validators = append(w.pub.Validators, v)
	w.vkeys[v.Key] = k
	return v, k, nil
}

// SetValidatorKeyFile records where a validator's private key was exported.
func (w *Wallet) SetValidatorKeyFile(key Key32, path string) {
	for i := range w.pub.Validators {
		if w.pub.Validators[i].Key == key {
			w.pub.Validators[i].KeyFile = path
		}
	}
}

// ValidatorKey returns the secret of a validator key of this wallet.
func (w *Wallet) ValidatorKey(key Key32) (*btcec.PrivateKey, bool) {
	k, ok := w.vkeys[key]
	return k, ok
}

// SpendKey returns the secret for an x-only key of this wallet: a spending key, or a
// validator key (a node may pay proposer rewards to it).
func (w *Wallet) SpendKey(key [32]byte) (*btcec.PrivateKey, bool) {
	if k, ok := w.keys[Key32(key)]; ok {
		return k, true
	}
	k, ok := w.vkeys[Key32(key)]
	return k, ok
}

// Record appends a journal entry.
func (w *Wallet) Record(e JournalEntry) { w.pub.Journal = append(w.pub.Journal, e) }

// ---- store ----

// StoreConfig configures a Store.
type StoreConfig struct {
	Dir    string       // required: the wallet directory (created 0700 if missing)
	Scrypt ScryptParams // cost for new wallets; zero means DefaultScrypt
}

// Store is a directory of wallet files, one per wallet: <Dir>/<name>.wallet.
type Store struct {
	dir    string
	scrypt ScryptParams
	// beforeCommit, if set, runs before each atomic rename (tests inject failures here).
	beforeCommit func() error
}

// NewStore checks cfg and returns a Store. It creates the directory if needed.
func NewStore(cfg StoreConfig) (*Store, error) {
	if cfg.Dir == "" {
		return nil, errors.New("wallet: StoreConfig.Dir is required")
	}
	if cfg.Scrypt == (ScryptParams{}) {
		cfg.Scrypt = DefaultScrypt
	}
	if err := cfg.Scrypt.check(); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("wallet dir: %w", err)
	}
	return &Store{dir: cfg.Dir, scrypt: cfg.Scrypt}, nil
}

// Dir returns the wallet directory.
func (s *Store) Dir() string { return s.dir }

// Path returns the file of wallet name.
func (s *Store) Path(name string) string { return filepath.Join(s.dir, name+fileSuffix) }

// CreateOptions describe a new wallet.
type CreateOptions struct {
	Name     string // required; ValidName
	Network  string // required: genesis network name
	Prefix   string // required: address prefix of the network
	Mnemonic string // restore from this BIP-39 phrase; empty: generate a new 24-word one
	Now      time.Time
}

// Create makes a new HD wallet with one receive address, encrypts it under password and writes
// it; it never replaces an existing file (ErrExists).
func (s *Store) Create(password []byte, o CreateOptions) (*Wallet, error) {
	if !ValidName(o.Name) {
		return nil, fmt.Errorf("%w: %q (letters, digits, '.', '_', '-'; at most 64)", ErrName, o.Name)
	}
	if o.Network == "" || o.Prefix == "" {
		return nil, errors.New("wallet: CreateOptions.Network and Prefix are required")
	}
	if _, err := os.Stat(s.Path(o.Name)); err == nil {
		return nil, fmt.Errorf("%w: %s", ErrExists, s.Path(o.Name))
	}
	m := o.Mnemonic
	if m == "" {
		var err error
		if m, err = NewMnemonic(24); err != nil {
			return nil, err
		}
	} else {
		var err error
		if m, err = NormalizeMnemonic(m); err != nil {
			return nil, err
		}
	}
	sk, err := newSealedKey(password, s.scrypt)
	if err != nil {
		return nil, err
	}
	now := o.Now
	if now.IsZero() {
		now = time.Now()
	}
	w := &Wallet{
		pub:    Public{Name: o.Name, Network: o.Network, Prefix: o.Prefix, Created: now.UTC().Truncate(time.Second), HD: true},
		sec:    secrets{Mnemonic: m},
		sealed: sk,
		path:   s.Path(o.Name),
	}
	if err := w.unlock(); err != nil {
		return nil, err
	}
	if _, err := w.NewAddress(BranchReceive); err != nil {
		return nil, err
	}
	if err := s.write(w, true); err != nil {
		return nil, err
	}
	return w, nil
}

// Open decrypts wallet name. A wrong password gives ErrWrongPassword, a damaged or altered file
// ErrCorrupt; neither touches the file.
func (s *Store) Open(name string, password []byte) (*Wallet, error) {
	if !ValidName(name) {
		return nil, fmt.Errorf("%w: %q", ErrName, name)
	}
	path := s.Path(name)
	data, err := readWalletFile(path)
	if err != nil {
		return nil, err
	}
	e, err := parseEnvelope(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	sk, pt, err := e.open(password)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	w := &Wallet{pub: e.Public, sealed: sk, path: path, disk: data}
	if err := json.Unmarshal(pt, &w.sec); err != nil {
		return nil, fmt.Errorf("%s: %w: secrets: %v", path, ErrCorrupt, err)
	}
	clear(pt)
	if err := w.unlock(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return w, nil
}

// ReadPublic returns the public record of wallet name without the password (watch-only use:
// addresses, balances, history). It is not authenticated until the wallet is opened.
func (s *Store) ReadPublic(name string) (*Public, error) {
	if !ValidName(name) {
		return nil, fmt.Errorf("%w: %q", ErrName, name)
	}
	data, err := readWalletFile(s.Path(name))
	if err != nil {
		return nil, err
	}
	e, err := parseEnvelope(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.Path(name), err)
	}
	return &e.Public, nil
}

// List returns the names of the wallets in the directory.
func (s *Store) List() ([]string, error) { return listNames(s.dir) }

// Save re-encrypts w and atomically replaces its file. It refuses (ErrChangedOnDisk) if the
// file changed since w was opened or last saved, so two processes cannot lose each other's
// addresses.
func (s *Store) Save(w *Wallet) error {
	cur, err := readWalletFile(w.path)
	if err != nil {
		return err
	}
	if w.disk != nil && string(cur) != string(w.disk) {
		return fmt.Errorf("%w: %s", ErrChangedOnDisk, w.path)
	}
	return s.write(w, false)
}

func (s *Store) write(w *Wallet, create bool) error {
	pt, err := json.Marshal(w.sec)
	if err != nil {
		return err
	}
	data, err := w.sealed.seal(w.pub, pt)
	clear(pt)
	if err != nil {
		return err
	}
	if err := writeFileAtomic(w.path, data, create, s.beforeCommit); err != nil {
		return fmt.Errorf("wallet: write %s: %w", w.path, err)
	}
	w.disk = data
	return nil
}
