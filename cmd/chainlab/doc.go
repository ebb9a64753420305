// Command chainlab is the one binary of the chainlab testbed: a node (`node`), a
// bitcoin-cli-like RPC client (`rpc`), a wallet (`wallet`), local real-process networks
// (`net`), experiments (`experiment run`), the PoW-vs-PoS comparison (`compare`), the
// deterministic simulator (`sim`), and genesis tools (`genesis`).
//
// Each command lives in its own file (node.go, rpc.go, wallet*.go, lab.go, sim.go,
// genesis.go) and is registered in app.go. Commands parse flags into the Config of the
// package that does the work; no command holds state of its own. Errors are printed once,
// prefixed "chainlab:", and exit with status 1.
package main
