package node

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"syscall"

	"chainlab/chain"
	"chainlab/genesis"
	"chainlab/p2p"
)

// datadir holds the node's directory and its advisory lock.
type datadir struct {
	path string
	lock *os.File
}

func openDatadir(path string) (*datadir, error) {
	if err := os.MkdirAll(path, 0o700); err != nil {
		return nil, fmt.Errorf("node: datadir: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(path, "LOCK-chainlab"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("node: datadir lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("node: datadir %s is in use by another node: %w", path, err)
	}
	return &datadir{path: path, lock: f}, nil
}

func (d *datadir) join(name string) string { return filepath.Join(d.path, name) }

func (d *datadir) close() {
	if d.lock != nil {
		_ = syscall.Flock(int(d.lock.Fd()), syscall.LOCK_UN)
		d.lock.Close()
		d.lock = nil
	}
}

// checkGenesis refuses a datadir created for another genesis, and records the genesis of a
// new one. The chain store checks the genesis hash too; this check runs first so the error
// names both networks.
func (d *datadir) checkGenesis(p *genesis.Params) error {
	gb, err := chain.GenesisBlock(p)
	if err != nil {
		return fmt.Errorf("node: genesis: %w", err)
	}
	want := gb.Hash()
	path := d.join("genesis.json")
	data, err := os.ReadFile(path)
	switch {
	case errors.Is(err, os.ErrNotExist):
		b, err := p.Marshal()
		if err != nil {
			return err
		}
		return writeFileAtomic(path, b, 0o644)
	case err != nil:
		return fmt.Errorf("node: %w", err)
	}
	old, err := genesis.Parse(data)
	if err != nil {
		return fmt.Errorf("node: datadir %s has an unreadable genesis.json: %w", d.path, err)
	}
	ob, err := chain.GenesisBlock(old)
	if err != nil {
		return fmt.Errorf("node: datadir genesis: %w", err)
	}
	if got := ob.Hash(); got != want {
		return fmt.Errorf("node: datadir %s was created for genesis %s (network %q), not %s (network %q); use another --datadir",
			d.path, got, old.Network, want, p.Network)
	}
	return nil
}

// nodeID returns the node's persistent p2p id, creating it on first start.
func (d *datadir) nodeID() (p2p.NodeID, error) {
	path := d.join("nodeid")
	if b, err := os.ReadFile(path); err == nil {
		id, err := p2p.ParseNodeID(string(trimSpace(b)))
		if err == nil {
			return id, nil
		}
	}
	id := p2p.NewNodeID()
	if err := writeFileAtomic(path, []byte(id.Hex()+"\n"), 0o600); err != nil {
		return id, err
	}
	return id, nil
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == ' ' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}

// writeFileAtomic writes via a temp file, fsync and rename.
func writeFileAtomic(path string, data []byte, mode os.FileMode) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), filepath.Base(path)+".tmp-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(mode); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
