// Package node wires a chainlab node together: the LevelDB store, the chain, the consensus
// engine named by the genesis (PoW miner or PoS staking), the mempool, the vote pool, the
// websocket p2p server, the JSON-RPC server, and the block producer (mining loop or
// validator duties). It owns every goroutine, the clock and every connection; the packages
// below it are deterministic and take `now` as an argument.
//
// # Goroutines
//
//   - p2p and rpc run their own listeners and peer goroutines; both reach the chain only
//     through the node's adapters (chainAdapter, the rpc backends), which call into chain
//     (chain takes its own lock) and then run the node's post-processing (afterResult).
//   - afterResult is the one place a chain change fans out: mempool update, rpc events
//     (newblock, reorg, justified, finalized), miner notification, duties' NewHead. It runs
//     on the caller's goroutine, serialised by n.postMu so events leave in chain order.
//   - PoS: one duties goroutine drives staking.Duties (Tick per slot tick, NewHead,
//     SeenVote) and carries out its Ready outputs (process and broadcast blocks, votes).
//   - PoW: miner.Miner owns its hashing goroutines; the node gives it a template function
//     and a submit function.
//
// # Shutdown
//
// Stop stops producing first (miner, duties), then the network (p2p, rpc), then closes the
// chain and store, and finally releases the datadir lock. The CLI maps SIGINT/SIGTERM to Stop
// and a second signal to an immediate exit.
//
// # Datadir
//
//	<datadir>/LOCK-chainlab   advisory lock: one node per datadir
//	<datadir>/genesis.json    the genesis this datadir was created for (checked on start)
//	<datadir>/chain/          LevelDB store
//	<datadir>/.cookie         RPC auth cookie (while running)
//	<datadir>/slashing-protection.json  PoS signers' slashing-protection record
//	<datadir>/nodeid          the node's stable p2p id
package node
