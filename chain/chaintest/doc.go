// Package chaintest provides a consensus engine and helpers for testing package chain
// without proof-of-work or proof-of-stake.
//
// The test Engine (Name "test"):
//   - does no PoW work and checks no header signatures: VerifyHeader only refuses a PoS seal
//     (ErrUnexpectedSeal);
//   - gives every block Weight 1, so the longest chain wins and ties go to the first seen;
//   - keeps no engine state (GenesisState and DecodeState return nil);
//   - pays at most subsidy + fees in the coinbase (Params.BlockSubsidy);
//   - REFUSES transactions that create or spend stake/unbonding locks (ErrBadStake): stake
//     transitions are the PoS engine's business and are tested there;
//   - reports Finality k-deep (Params.FinalityDepth, not absolute) unless a test calls
//     SetFinalized(h), after which the block at height h of the tip's branch is absolutely
//     final and the chain must refuse any reorganisation below it (ErrFinalizedConflict).
//
// Helpers: Params (pow-dev with coinbase maturity 2), Key (funded genesis keys), NewMemChain,
// and Builder, which makes valid (or deliberately broken) blocks and signed spends.
package chaintest
