// Package address encodes and decodes chainlab addresses: bech32m (BIP-350) strings of a
// 32-byte BIP-340 x-only public key under a human-readable prefix chosen per network
// (genesis "address_prefix"). It is a leaf package: genesis, chain, wallet and rpc all use it.
//
// Layout: hrp "1" data, where data is witness-version-like byte 1 followed by the 32-byte key
// converted to 5-bit groups, checksummed with bech32m. Errors are typed (ErrPrefix, ErrChecksum,
// ErrFormat, ErrLength) so callers can map them to RPC code -5.
package address
