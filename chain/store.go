package chain

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/syndtr/goleveldb/leveldb"
	"github.com/syndtr/goleveldb/leveldb/filter"
	"github.com/syndtr/goleveldb/leveldb/opt"
	"github.com/syndtr/goleveldb/leveldb/storage"
	"github.com/syndtr/goleveldb/leveldb/util"
)

// Store is the chain's LevelDB database (schema in schema.go). The same code runs on disk
// (OpenStore) and on goleveldb's in-memory storage (OpenMemStore). A Store is used by one
// Chain at a time; the Chain closes it in Close.
type Store struct {
	db   *leveldb.DB
	path string // "" for memory
}

// ErrSchemaVersion is returned when a store was written by another schema version.
var ErrSchemaVersion = errors.New("chain: store schema version mismatch")

func storeOptions() *opt.Options {
	return &opt.Options{
		BlockCacheCapacity: 32 * opt.MiB,
		WriteBuffer:        16 * opt.MiB,
		// Blocks and coins are hashes: compression buys little and costs CPU.
		Compression: opt.NoCompression,
		// A bloom filter per table answers most lookups of absent keys (spent coins,
		// unknown blocks) without reading a data block, as Bitcoin Core's -dbcache does.
		Filter: filter.NewBloomFilter(10),
	}
}

// OpenStore opens (or creates) a store in dir.
func OpenStore(dir string) (*Store, error) {
	db, err := leveldb.OpenFile(dir, storeOptions())
	if err != nil {
		return nil, fmt.Errorf("chain: open store %s: %w", dir, err)
	}
	s := &Store{db: db, path: dir}
	if err := s.checkVersion(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// OpenMemStore opens a fresh store on goleveldb's in-memory storage.
func OpenMemStore() (*Store, error) {
	db, err := leveldb.Open(storage.NewMemStorage(), storeOptions())
	if err != nil {
		return nil, fmt.Errorf("chain: open memory store: %w", err)
	}
	s := &Store{db: db}
	if err := s.checkVersion(); err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// Path returns the store's directory ("" for a memory store).
func (s *Store) Path() string { return s.path }

// Close closes the database.
func (s *Store) Close() error {
	if err := s.db.Close(); err != nil && !errors.Is(err, leveldb.ErrClosed) {
		return fmt.Errorf("chain: close store: %w", err)
	}
	return nil
}

// checkVersion writes the schema version into an empty store, or checks it.
func (s *Store) checkVersion() error {
	v, err := s.get(versionKey())
	if err != nil {
		return err
	}
	if v == nil {
		empty, err := s.isEmpty()
		if err != nil {
			return err
		}
		if !empty {
			return fmt.Errorf("%w: store has data but no schema version", ErrSchemaVersion)
		}
		return s.put(versionKey(), binary.LittleEndian.AppendUint32(nil, SchemaVersion))
	}
	if len(v) != 4 || binary.LittleEndian.Uint32(v) != SchemaVersion {
		return fmt.Errorf("%w: store has %x, code wants %d", ErrSchemaVersion, v, SchemaVersion)
	}
	return nil
}

func (s *Store) isEmpty() (bool, error) {
	it := s.db.NewIterator(nil, nil)
	defer it.Release()
	has := it.Next()
	return !has, it.Error()
}

// get returns the value at key, or (nil, nil) if absent.
func (s *Store) get(key []byte) ([]byte, error) {
	v, err := s.db.Get(key, nil)
	if errors.Is(err, leveldb.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("chain: store get %x: %w", key[:1], err)
	}
	return v, nil
}

func (s *Store) put(key, val []byte) error {
	if err := s.db.Put(key, val, nil); err != nil {
		return fmt.Errorf("chain: store put: %w", err)
	}
	return nil
}

// write commits a batch atomically. sync fsyncs the log (connects and disconnects do, so a
// power loss cannot lose an acknowledged tip; a process kill loses nothing either way).
func (s *Store) write(b *leveldb.Batch, sync bool) error {
	if err := s.db.Write(b, &opt.WriteOptions{Sync: sync}); err != nil {
		return fmt.Errorf("chain: store write batch: %w", err)
	}
	return nil
}

// forEach calls fn for every key with prefix, in key order. fn must not retain k or v.
func (s *Store) forEach(prefix []byte, fn func(k, v []byte) error) error {
	it := s.db.NewIterator(util.BytesPrefix(prefix), nil)
	defer it.Release()
	for it.Next() {
		if err := fn(it.Key(), it.Value()); err != nil {
			return err
		}
	}
	if err := it.Error(); err != nil {
		return fmt.Errorf("chain: store iterate %x: %w", prefix, err)
	}
	return nil
}
