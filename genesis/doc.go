// Package genesis holds a network's genesis specification: the consensus parameters, the
// initial allocations and (for proof of stake) the initial validators. It is pure data plus
// validation; it imports no chain code — chain builds the genesis block from a *Params.
//
// A spec is JSON. Decoding is strict: unknown fields, bad addresses and impossible parameters
// are rejected with an *Error that names the offending field (e.g. "pow.target_spacing").
// Presets "pow-dev" and "pos-dev" give ready-made local networks; their keys come from DevKey,
// a deterministic, publicly known derivation that must never hold real value.
//
// All durations are integers with their unit in the field name (seconds or milliseconds);
// all amounts are base units (1 coin = 100,000,000 units).
package genesis
