// Package wallet is chainlab's key manager and transaction builder. It is a client of a
// node's JSON-RPC interface: it reads the coins of its addresses, builds and signs
// transactions locally and hands the node only signed transactions. A node never holds the
// wallet's spending keys (validator signing keys are the one thing a wallet may give a node,
// on request, because the node must sign blocks and votes with them).
//
// # Keys
//
// Keys are secp256k1 (btcec/v2); public keys are BIP-340 x-only keys and addresses are
// their bech32m encoding under the network's prefix (package address). Every key derives from
// a BIP-39 English mnemonic (no passphrase) by BIP-32, on BIP-86-shaped paths with the SLIP-44
// testnet coin type on every network:
//
//	receive    m/86'/1'/0'/0/i
//	change     m/86'/1'/0'/1/i
//	validator  m/86'/1'/1'/i'   (hardened: a key handed to a node reveals nothing else)
//
// The x-only key is the BIP-86 internal key (chainlab has no taproot tweak). Raw keys can be
// imported next to the derived ones. The BIP-32/39/86 and BIP-340 vectors in testdata are
// checked by the tests. A wallet restored from its mnemonic finds its coins with Rescan:
// receive and change addresses in batches up to a gap of 20 unused ones (BIP-44's rule; the
// node keeps no history, so addresses whose coins were all spent count as unused), and the
// validator keys of any stake or unbonding outputs found.
//
// # Keystore
//
// One file per wallet, <dir>/<name>.wallet, a versioned JSON envelope:
//
//	{"version":1,
//	 "kdf":{"name":"scrypt","n":131072,"r":8,"p":1,"salt":hex},
//	 "cipher":{"name":"xchacha20-poly1305","nonce":hex},
//	 "check":hex,            SHA-256 of the second half of the scrypt output
//	 "public":{...},         name, network, prefix, addresses, validator keys, journal
//	 "ciphertext":base64}    the mnemonic and imported keys
//
// scrypt derives 64 bytes from the password: the first 32 are the AEAD key, the hash of the
// last 32 is "check", which tells a wrong password (ErrWrongPassword) from a damaged or
// altered file (ErrCorrupt) without weakening anything (testing a guess costs one scrypt
// either way). Everything but the nonce and ciphertext is AEAD associated data, so the
// readable public part, used to watch balances without the password, cannot be altered
// unnoticed. Files are written atomically (temporary file, fsync, rename or link, fsync of
// the directory); creation never replaces a file; a failed open never writes; a save refuses
// if another process changed the file since it was read (ErrChangedOnDisk). scrypt costs in
// a file are bounded on read so a hostile file cannot exhaust memory.
//
// # Money
//
// Amounts are uint64 base units (10^8 per coin), parsed and printed with exactly 8 decimals
// by ParseAmount/FormatAmount using integers only.
//
// # Building transactions
//
// Sync reads a Snapshot (tip, the confirmed outputs of every wallet key, the mempool) and
// classifies it in a CoinView: spendable, unconfirmed, immature coinbase, staked, unbonding,
// and pending (spent by a mempool transaction, so never selected twice). Selection draws on the
// spendable coins plus the unconfirmed change of the wallet's own journaled transactions
// (chained mempool transactions; SendOptions.ConfirmedOnly opts out), never on unconfirmed
// payments from others. Coin selection is
// deterministic: the smallest single coin that pays amount + fee (preferring one that needs
// no change), else the largest coins first; change below the dust limit (the mempool's rule)
// goes to the fee. Fee rates are base units per byte; without --fee-rate the estimate is the
// relay floor while the mempool fits in half a block, else one above the rate at that
// boundary. The wallet saves a fresh change key to disk before it broadcasts anything paying
// it, then journals the transaction.
//
// # Staking
//
// Stake derives the next validator key, bonds the amount in a stake output
// Lock{Kind: LockStake, Key: validator, Owner: a new receive key} and writes the validator's
// secret as 64 hex characters in a new 0600 file for `chainlab node --validator-key <file>`
// (or registers it with registervalidator). Unstake follows package staking's rule: the
// stake output is spent into one unbonding output of exactly the validator's current balance
// with Release = E + UnbondingEpochs + 1, E being the tip's epoch (the rule accepts E+U and
// E+U+1; +1 keeps the transaction valid across an epoch boundary), the fee paid by other
// coins. Withdraw sweeps unbonding outputs whose release and exit epochs have passed.
//
// # Errors
//
// Errors are typed and match with errors.Is: ErrWrongPassword, ErrCorrupt, ErrVersion,
// ErrExists, ErrNotFound, ErrInsufficientFunds (*InsufficientFundsError with the amounts),
// ErrDust (*DustError), ErrAmount and its kinds, ErrMnemonic, ErrKey, ErrWrongNetwork,
// ErrNothingToDo; address errors are the address package's ErrPrefix, ErrChecksum, ....
// Node errors (rpc.Error with the rule kind in the message) are wrapped, never reworded.
package wallet
