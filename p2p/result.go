package p2p

import "chainlab/chain"

// ChainResult is what Chain.ProcessBlock returns.
type ChainResult = chain.Result
