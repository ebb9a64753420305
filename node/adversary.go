package node

import (
	"fmt"
	"sort"

	"chainlab/genesis"
)

// Adversary names a deliberately misbehaving strategy a node runs instead of (or on top
// of) the honest protocol (Config.Adversary, `chainlab node --adversary <mode>`). It exists
// so real-process experiments (`chainlab experiment run`) can show what the protocol does
// about misbehaviour; the simulator (package sim) implements the same strategies in
// process. The zero value is an honest node.
//
// Each strategy is a small file of this package:
//
//   - AdvDoubleVote (PoS, adv_votes.go): every vote the duties make is followed by a second,
//     conflicting vote for the same target epoch, signed straight with the validator key
//     (bypassing slashing protection on purpose) and broadcast. Honest nodes' duties see
//     the pair (staking.DetectSlashable), broadcast the evidence and include it in their
//     next block, which slashes the validator.
//   - AdvSurroundVote (PoS, adv_votes.go): every other vote is replaced by one whose source
//     is genesis (epoch 0) and whose target is the current epoch, so it surrounds the
//     validator's previous published vote (source ≥ 1, target one epoch earlier).
//   - AdvWithhold, PoS (adv_withhold.go): the node's validators propose (their duties build
//     and sign the block) but the block is neither connected locally nor published; the
//     slot is missed network-wide. The node keeps voting honestly.
//   - AdvWithhold, PoW (adv_withhold.go): block withholding. Blocks the miner finds are
//     dropped: never published and never connected (the miner keeps mining on the public
//     tip), so its hash power is wasted, as a pool member that withholds full solutions.
//     Connecting them locally and publishing later is not offered: p2p re-announces the
//     local tip periodically and serves headers from the local main chain, so a private
//     block on the local tip would leak.
//
// Not offered on real nodes (simulator only): PoW selfish mining and double-spend, which
// need a private branch that the node mines on but that p2p never announces or serves —
// p2p announces the local tip and answers getheaders from the main chain, so it would need
// a private-chain mode in chain/p2p; and the PoS equivocating proposer.
type Adversary string

// Adversary strategies a real node runs.
const (
	AdvNone         Adversary = ""
	AdvDoubleVote   Adversary = "double-vote"
	AdvSurroundVote Adversary = "surround-vote"
	AdvWithhold     Adversary = "withhold"
)

// advConsensus lists the consensus each strategy needs ("" = either).
var advConsensus = map[Adversary]string{
	AdvDoubleVote:   genesis.PoS,
	AdvSurroundVote: genesis.PoS,
	AdvWithhold:     "",
}

// AdversaryModes returns the strategies a real node accepts, sorted.
func AdversaryModes() []string {
	out := make([]string, 0, len(advConsensus))
	for a := range advConsensus {
		out = append(out, string(a))
	}
	sort.Strings(out)
	return out
}

// AdversaryError is returned by New for an unknown adversary mode or one the genesis's
// consensus does not support.
type AdversaryError struct {
	Mode      string
	Consensus string // the genesis's consensus
	Msg       string
}

func (e *AdversaryError) Error() string {
	return fmt.Sprintf("node: adversary %q: %s", e.Mode, e.Msg)
}

// checkAdversary validates mode against the consensus of the genesis.
func checkAdversary(mode Adversary, consensus string) error {
	if mode == AdvNone {
		return nil
	}
	need, ok := advConsensus[mode]
	if !ok {
		msg := "unknown mode"
		if mode == "selfish" || mode == "double-spend" || mode == "equivocate" {
			msg = "runs only in the simulator (chainlab sim)"
		}
		return &AdversaryError{Mode: string(mode), Consensus: consensus, Msg: msg +
			"; allowed: double-vote (pos), surround-vote (pos), withhold (pos or pow)"}
	}
	if need != "" && need != consensus {
		return &AdversaryError{Mode: string(mode), Consensus: consensus, Msg: fmt.Sprintf(
			"needs a %s genesis; this genesis is %s", need, consensus)}
	}
	return nil
}
