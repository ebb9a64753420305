// Package fullblocktest is a btcd-fullblocktests-style block generator for package chain:
// it builds named blocks and forks on top of a chain's genesis (signed spends of genesis
// allocations and mature coinbases, deliberately broken variants through mungers) and
// turns them into Steps that say what ProcessBlock must do with each one: accept it on the
// main chain (optionally with a reorganisation of a given depth), accept it on a side
// chain, keep it as an orphan, reject it with a given ErrorKind, or leave a given tip.
//
// Generate returns the standard suite (named cases covering every ErrorKind a block can
// trigger through ProcessBlock with the chaintest engine; see the tests for the
// engine- and mempool-only kinds). Steps run in order on a fresh chain; Step.Check runs
// one step against anything with ProcessBlock, Tip and IsMainChain.
//
// The generator does no consensus work: headers carry the parent's bits and no seal, so it
// is meant for the chaintest engine (or any engine that accepts such headers).
package fullblocktest
