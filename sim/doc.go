// Package sim is chainlab's deterministic discrete-event simulator: it runs the real
// chain, miner and staking code for many in-process nodes under a virtual clock and a
// simulated network, seeded so that one manifest and one seed always give byte-identical
// results (tip hashes, metrics.json).
//
// # Model
//
// Every node has its own chain.Chain on goleveldb's in-memory storage and its own engine
// instance (miner.Engine for PoW; staking.Engine plus staking.Duties holding the node's
// validator keys for PoS). Nodes share only what is immutable or content-addressed: block
// values (built once by the producer and passed by pointer; no node mutates a block), one
// chain.SigCache and one staking.VoteSigCache.
//
// The scheduler is a heap of events ordered by (virtual time, sequence number). The clock
// jumps from event to event; the virtual wall time (VirtualStart + elapsed) is what the
// nodes see as `now` (ProcessBlock, NewTemplate, Duties ticks). All randomness comes from
// one math/rand/v2 PCG seeded from the run seed and consumed in event order; outputs never
// iterate maps. Nothing reads the machine's clock.
//
// The network carries messages over the manifest's links (or the topology rebuilt for an
// overridden node count): each direction of a link is a FIFO queue — a message starts when
// the previous one has been transmitted, takes size·8/bandwidth to transmit, then the
// link's delay plus a uniform ±jitter to arrive; it is lost with the link's loss
// probability. Partitions and disconnections drop messages between the sides. Blocks are
// pushed to neighbours that do not have them (the effect of inv/getdata without its round
// trip); a node that receives an orphan asks the sender for the missing ancestors and gets
// them in one reply (a locator exchange). Only blocks that joined the receiver's main chain
// are relayed. PoS votes go out as one message per duties batch and reach every node after
// the shortest-path delay over live links of the sender's partition side (what flooding
// would first deliver, without nodes² relay events). Load transactions are real, signed by
// the lab's load generator, gossiped hop by hop into every node's real mempool.
//
// The simulator paces Go's garbage collector itself (gc.go): each node's LevelDB memory
// table reserves a 16 MiB write buffer that is never touched but counts as live heap.
//
// # Proof of work in virtual time
//
// Real mining would make virtual time meaningless, so discovery is drawn, and the block is
// still real. Every run's genesis bits are SimBits (target 2^246−1: W₀ = 2^10 expected
// hashes), whatever the manifest's hash rates; the manifest's hash-rate unit is rescaled
// by hashScale = W₀ / (H_total · T), where H_total is the manifest's total hash rate and
// T its target spacing. A node with manifest hash rate hᵢ then finds its next block after
// an exponential waiting time of rate hᵢ·hashScale / W(bits), where W(bits) = 2^256 /
// (target+1) is the real expected work of the bits the real difficulty algorithm gives its
// next block (miner.Engine.NextBits on its own chain). At the genesis bits the network
// finds one block per T, as the manifest says; when hash rate changes (a fault, a selfish
// miner, a partition) the difficulty algorithm — ASERT, Bitcoin retarget or fixed — runs
// unchanged on the virtual header timestamps and moves W(bits), and so the rate, exactly
// as it would move real mining. When the draw fires, the node builds a real template on its
// current tip with the virtual time and seals it with real SHA-256d (miner.SealBlock, about
// W(bits) hashes), so every block passes the real engine's header checks on every node.
// Because the exponential is memoryless, the draw is simply redrawn whenever the node's
// tip (and so its bits) changes. The one departure from reality: the easiest allowed
// target (pow limit 0x207fffff, W = 2) is only 2^9 times easier than the genesis bits, so
// the simulated difficulty cannot fall below 1/512 of the start (a hash-rate drop beyond
// that slows blocks instead).
//
// # Adversaries
//
// Strategies from the manifest's [[adversary]] list are implemented in this package
// (adversary.go): PoW selfish mining (Eyal & Sirer 2014) with tie-breaking share γ,
// block withholding, a double-spend private branch; PoS double votes, surround votes,
// an equivocating proposer, offline validators and a withholding proposer.
//
// # Validation
//
// Validate (chainlab sim validate) compares the simulator with published results:
// selfish-mining revenue against Eyal & Sirer's closed form, attacker catch-up probability
// against Nakamoto §11 and the exact Grunspan & Pérez-Marco form, stale rate against the
// Gervais et al. simulator (testdata/stale-rate), and PoS time to finality against
// Gasper's two epochs. docs/sim.md has the tables.
package sim
