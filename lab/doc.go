// Package lab runs chainlab experiments on local multi-process networks and measures them.
//
// It owns four things:
//
//   - The experiment manifest (TOML, ParseManifest): consensus and its parameters, the
//     nodes with their hash rate or stake, the topology and per-link emulation, the
//     transaction load, a timed fault schedule, adversarial behaviour, how long to run and
//     a seed. Decoding is strict: an unknown key or an impossible value is a
//     *ManifestError naming the key. docs/manifest.md is the reference.
//   - Orchestration (Net): `chainlab net up` writes a genesis for the run, starts N real
//     `chainlab node` processes (the current executable) with their own datadirs and free
//     loopback ports, connects them per topology, waits until they are connected and
//     producing, and records the net in net.json in its directory.
//   - Experiments (Run): drive signed transaction load over RPC, apply faults on schedule,
//     record every block, tip change, reorg and finality advance over websocket
//     subscriptions together with per-process CPU, memory and bytes into a Trace, recount
//     the chains from the nodes afterwards (ground truth) and write a run directory.
//   - Metrics and reports: Compute turns a Trace into Metrics, the one schema both engines
//     and the simulator (package sim fills a Trace too) report in; every mean and rate
//     carries a 95 % confidence interval (t, Wilson, bootstrap or batch means, see
//     stats.go). WriteReport renders report.html with PNG plots; Compare puts runs side by
//     side.
//
// The package talks to nodes only through the small NodeClient interface, so metrics,
// reports and the experiment scheduler are tested without processes. Errors are wrapped
// with %w; manifest problems are *ManifestError. The lab never makes consensus decisions;
// it only observes them.
package lab
