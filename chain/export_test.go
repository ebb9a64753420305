package chain

// Test-only hooks for the external test package.

// RawDeleteUTXO deletes a coin behind the chain's back (corruption tests).
func (s *Store) RawDeleteUTXO(op OutPoint) error { return s.db.Delete(utxoKey(op), nil) }

// RawPutMeta overwrites a metadata record (corruption tests).
func (s *Store) RawPutMeta(name string, v []byte) error { return s.put(metaKey(name), v) }
