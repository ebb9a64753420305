package chain

import (
	"bytes"
	"encoding/binary"
	"errors"
	"math/big"
	"testing"

	"github.com/syndtr/goleveldb/leveldb"
)

// storeSuite is the storage conformance suite: every test runs on goleveldb's memory
// storage and on disk. reopen is nil for memory (nothing survives).
type storeOpener struct {
	name   string
	open   func(t *testing.T) *Store
	reopen func(t *testing.T) *Store
}

func storeOpeners(t *testing.T) []storeOpener {
	dir := t.TempDir()
	return []storeOpener{
		{name: "mem", open: func(t *testing.T) *Store {
			s, err := OpenMemStore()
			if err != nil {
				t.Fatal(err)
			}
			return s
		}},
		{name: "disk", open: func(t *testing.T) *Store {
			s, err := OpenStore(dir)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}, reopen: func(t *testing.T) *Store {
			s, err := OpenStore(dir)
			if err != nil {
				t.Fatal(err)
			}
			return s
		}},
	}
}

func TestStoreConformance(t *testing.T) {
	for _, so := range storeOpeners(t) {
		t.Run(so.name, func(t *testing.T) {
			s := so.open(t)
			v, err := s.get(versionKey())
			if err != nil || binary.LittleEndian.Uint32(v) != SchemaVersion {
				t.Fatalf("schema version %x %v", v, err)
			}
			// One batch, several namespaces, all or nothing.
			b := new(leveldb.Batch)
			h := Hash{1, 2, 3}
			b.Put(hashKey(prefixBlock, h), []byte("body"))
			b.Put(mainKey(7), h[:])
			b.Put(mainKey(3), h[:])
			b.Put(utxoKey(OutPoint{TxID: h, Index: 1}), []byte{1})
			if err := s.write(b, true); err != nil {
				t.Fatal(err)
			}
			if got, _ := s.get(hashKey(prefixBlock, h)); string(got) != "body" {
				t.Fatalf("get %q", got)
			}
			if got, err := s.get(hashKey(prefixBlock, Hash{9})); got != nil || err != nil {
				t.Fatalf("absent key: %q %v", got, err)
			}
			var heights []uint64
			if err := s.forEach([]byte{prefixMain}, func(k, _ []byte) error {
				heights = append(heights, binary.BigEndian.Uint64(k[1:]))
				return nil
			}); err != nil {
				t.Fatal(err)
			}
			if len(heights) != 2 || heights[0] != 3 || heights[1] != 7 {
				t.Fatalf("prefix iteration %v", heights)
			}
			if so.reopen == nil {
				s.Close()
				return
			}
			s.Close()
			s = so.reopen(t)
			if got, _ := s.get(mainKey(7)); !bytes.Equal(got, h[:]) {
				t.Fatal("data lost on reopen")
			}
			// A store of another schema version is refused.
			s.put(versionKey(), binary.LittleEndian.AppendUint32(nil, SchemaVersion+1))
			s.Close()
			if _, err := OpenStore(s.path); !errors.Is(err, ErrSchemaVersion) {
				t.Fatalf("version mismatch: %v", err)
			}
		})
	}
}

func TestStoredValueRoundTrips(t *testing.T) {
	coins := []*Coin{
		{Out: TxOut{Value: 5, Lock: PayTo([32]byte{1})}, Height: 0},
		{Out: TxOut{Value: 1 << 40, Lock: Lock{Kind: LockStake, Key: [32]byte{2}, Owner: [32]byte{3}}}, Height: 300, Coinbase: true},
		{Out: TxOut{Value: 7, Lock: Lock{Kind: LockUnbonding, Key: [32]byte{2}, Owner: [32]byte{3}, Release: 9}}, Height: 1 << 33},
	}
	for _, c := range coins {
		got, err := decodeCoin(encodeCoin(nil, c))
		if err != nil || *got != *c {
			t.Fatalf("coin %+v -> %+v %v", c, got, err)
		}
	}
	u, err := decodeUndo(encodeUndo(coins))
	if err != nil || len(u) != 3 || *u[2] != *coins[2] {
		t.Fatalf("undo %v", err)
	}
	if _, err := decodeUndo(append(encodeUndo(coins), 0)); err == nil {
		t.Fatal("trailing byte accepted")
	}
	e := &indexEntry{status: statusHaveData | statusValid, height: 42, seq: 7, work: big.NewInt(123456), header: Header{Version: 1, Time: 5, Seal: &Seal{Slot: 3}}}
	got, err := decodeIndexEntry(encodeIndexEntry(e))
	if err != nil || got.status != e.status || got.height != 42 || got.seq != 7 || got.work.Cmp(e.work) != 0 || got.header.Hash() != e.header.Hash() {
		t.Fatalf("index entry %+v %v", got, err)
	}
	st := utxoStats{count: 3, total: 9, digest: [32]byte{4}}
	if got, err := decodeUTXOStats(st.encode()); err != nil || got != st {
		t.Fatal("stats")
	}
}

// mapReader is a UTXOReader over a map, for view tests.
type mapReader map[OutPoint]*Coin

func (m mapReader) Coin(op OutPoint) (*Coin, error) { return m[op], nil }

func TestUTXOViewNetChanges(t *testing.T) {
	op := func(i uint32) OutPoint { return OutPoint{TxID: Hash{byte(i)}, Index: i} }
	coin := func(v uint64) *Coin { return &Coin{Out: TxOut{Value: v, Lock: PayTo([32]byte{1})}} }
	base := mapReader{op(1): coin(1), op(2): coin(2)}
	branch := NewUTXOView(base)

	v1 := NewUTXOView(branch)
	v1.Add(op(3), coin(3))
	if c, _ := v1.Spend(op(1)); c == nil || c.Out.Value != 1 {
		t.Fatal("spend from parent")
	}
	v1.Add(op(4), coin(4))
	if c, _ := v1.Spend(op(4)); c == nil {
		t.Fatal("spend fresh")
	}
	if _, ok := v1.entries[op(4)]; ok {
		t.Fatal("created-and-spent coin left an entry")
	}
	if c, _ := v1.Spend(op(1)); c != nil {
		t.Fatal("double spend in a view")
	}
	v1.mergeInto(branch)

	v2 := NewUTXOView(branch)
	if c, _ := v2.Spend(op(3)); c == nil {
		t.Fatal("spend a coin created by the previous block")
	}
	v2.Add(op(1), coin(1)) // restore (a disconnect)
	v2.mergeInto(branch)

	// Net effect on base: 1 unchanged (spent then restored), 2 unchanged, 3 gone, 4 never.
	var stats utxoStats
	stats.add(op(1), coin(1))
	stats.add(op(2), coin(2))
	want := stats
	b := new(leveldb.Batch)
	branch.writeTo(b, &stats, false)
	if stats != want {
		t.Fatalf("net stats %+v want %+v", stats, want)
	}
	for o := uint32(1); o <= 4; o++ {
		c, _ := branch.Coin(op(o))
		if (c != nil) != (o <= 2) {
			t.Fatalf("coin %d present=%v", o, c != nil)
		}
	}
}

func TestUTXOCacheBounded(t *testing.T) {
	s, _ := OpenMemStore()
	defer s.Close()
	u := newUTXOSet(s, 4)
	v := NewUTXOView(u)
	for i := 0; i < 10; i++ {
		v.Add(OutPoint{Index: uint32(i)}, &Coin{Out: TxOut{Value: 1}})
	}
	b := new(leveldb.Batch)
	v.writeTo(b, &u.stats, false)
	if err := s.write(b, false); err != nil {
		t.Fatal(err)
	}
	u.applyCommitted(v)
	if len(u.cache) > 4 {
		t.Fatalf("cache holds %d > 4", len(u.cache))
	}
	for i := 0; i < 10; i++ {
		if c, err := u.Coin(OutPoint{Index: uint32(i)}); c == nil || err != nil {
			t.Fatalf("coin %d: %v", i, err)
		}
	}
	if u.stats.count != 10 {
		t.Fatal("count")
	}
}
