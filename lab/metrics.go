package lab

import (
	"encoding/json"
	"os"
	"runtime"
	"strings"
)

// MetricsSchemaVersion is bumped when the Metrics JSON changes incompatibly.
const MetricsSchemaVersion = 1

// Metrics is the one result schema for PoW and PoS, real (lab) and simulated (sim) runs.
// Every mean and rate carries a 95 % confidence interval (Estimate). Times are seconds,
// sizes bytes. It is written as metrics.json in the run directory.
type Metrics struct {
	Schema     int      `json:"schema"`
	Name       string   `json:"name"`
	Engine     string   `json:"engine"` // pow | pos
	Source     string   `json:"source"` // lab | sim
	Seed       int64    `json:"seed"`
	Nodes      int      `json:"nodes"`
	Span       float64  `json:"span"` // run length, seconds
	Host       HostInfo `json:"host"`
	Target     float64  `json:"target_interval"`
	Finality   string   `json:"finality_rule"` // "k-deep (k=6)" or "FFG finalized checkpoint"
	Height     uint64   `json:"height"`        // canonical tip height at the end
	Blocks     int      `json:"blocks"`        // distinct blocks seen (genesis excluded)
	MainBlocks int      `json:"main_blocks"`   // blocks on the canonical chain produced during the run

	BlockInterval Distribution `json:"block_interval"` // canonical consecutive first-seen gaps
	StaleRate     Estimate     `json:"stale_rate"`     // blocks off the canonical chain / all blocks (Wilson)
	Reorgs        ReorgStats   `json:"reorgs"`

	Propagation     Propagation  `json:"propagation"`
	TxInclusion     Distribution `json:"tx_inclusion"`   // submit → first block containing it
	TxFinality      Distribution `json:"tx_finality"`    // submit → its canonical block is final
	BlockFinality   Distribution `json:"block_finality"` // block first seen → final
	Throughput      Estimate     `json:"throughput"`     // confirmed (canonical) tx/s, batch means
	TxSubmitted     int          `json:"tx_submitted"`
	TxRejected      int          `json:"tx_rejected"`
	TxConfirmed     int          `json:"tx_confirmed"`
	TxFinalized     int          `json:"tx_finalized"`
	FinalizedHeight uint64       `json:"finalized_height"`
	FinalityStalls  []Stall      `json:"finality_stalls"`

	Fairness  Fairness       `json:"fairness"`
	Resources Resources      `json:"resources"`
	Faults    []FaultOutcome `json:"faults"`
}

// HostInfo states where a run happened; the lab runs every node on this one machine.
type HostInfo struct {
	Hostname  string `json:"hostname"`
	OS        string `json:"os"`
	Arch      string `json:"arch"`
	Cores     int    `json:"cores"`
	CPUModel  string `json:"cpu_model,omitempty"`
	GoVersion string `json:"go_version"`
	Shared    bool   `json:"shared_machine"` // every node shares this machine's cores
	Note      string `json:"note"`
}

// LocalHost describes this machine.
func LocalHost(source string) HostInfo {
	h, _ := os.Hostname()
	hi := HostInfo{Hostname: h, OS: runtime.GOOS, Arch: runtime.GOARCH, Cores: runtime.NumCPU(), CPUModel: cpuModel(), GoVersion: runtime.Version()}
	if source == "sim" {
		hi.Note = "simulated nodes in one process under a virtual clock; times are virtual"
	} else {
		hi.Shared = true
		hi.Note = "all nodes ran as separate processes on this one machine, sharing its cores; links are emulated on loopback"
	}
	return hi
}

// Distribution summarises a sample.
type Distribution struct {
	N         int       `json:"n"`
	Mean      Estimate  `json:"mean"` // t interval
	P50       Estimate  `json:"p50"`  // order-statistic interval
	P95       Estimate  `json:"p95"`  // order-statistic interval
	Min       float64   `json:"min"`
	Max       float64   `json:"max"`
	StdDev    float64   `json:"stddev"`
	BinWidth  float64   `json:"bin_width,omitempty"`
	Histogram []int     `json:"histogram,omitempty"`
	Values    []float64 `json:"-"` // kept for plots, not written
}

// ReorgStats counts reorganisations over all nodes.
type ReorgStats struct {
	Count     int      `json:"count"`    // reorg events summed over nodes
	PerNode   Estimate `json:"per_node"` // mean reorgs per node (t interval)
	MaxDepth  int      `json:"max_depth"`
	DepthHist []int    `json:"depth_hist"` // index = depth
	Reverted  int      `json:"blocks_reverted"`
	// DeepPoW counts PoW reorgs at least FinalityDepth deep: blocks the k-deep rule had
	// called final were reverted (a partition longer than k intervals does this).
	DeepPoW int `json:"pow_reorgs_beyond_k"`
}

// Propagation is block propagation over canonical blocks seen by every node.
type Propagation struct {
	Blocks     int       `json:"blocks"`     // blocks seen by every node
	ToAllP50   Estimate  `json:"to_all_p50"` // first sighting → last node, median over blocks
	ToAllP95   Estimate  `json:"to_all_p95"`
	PerNodeP50 Estimate  `json:"per_node_p50"` // first sighting → each other node, pooled
	PerNodeP95 Estimate  `json:"per_node_p95"`
	ToAll      []float64 `json:"-"`
}

// Fairness compares block production with hash rate or stake.
type Fairness struct {
	Nodes []NodeShare `json:"nodes"`
	// Jain is Jain's index over produced-share / resource-share ratios (1 = proportional).
	Jain Estimate `json:"jain"`
	// Gini is the Gini coefficient of the same ratios (0 = proportional).
	Gini float64 `json:"gini"`
}

// NodeShare is one node's production.
type NodeShare struct {
	Name     string   `json:"name"`
	Share    float64  `json:"share"`    // of hash rate or stake
	Produced int      `json:"produced"` // canonical blocks
	Stale    int      `json:"stale"`    // its blocks that ended off the canonical chain
	Observed Estimate `json:"observed"` // produced share, Wilson interval
	// MeasuredHashRate is the PoW miner's own hash-rate reading averaged over the run
	// (0 when not measured): on a shared machine it can fall short of the throttle.
	MeasuredHashRate float64 `json:"measured_hashrate,omitempty"`
}

// Resources is the cost of the run over all nodes.
type Resources struct {
	CPUSeconds          float64  `json:"cpu_seconds"`
	BytesSent           uint64   `json:"bytes_sent"`
	MaxRSS              uint64   `json:"max_rss"` // largest single-node resident size
	CPUPerBlock         Estimate `json:"cpu_per_block"`
	BytesPerBlock       Estimate `json:"bytes_per_block"`
	CPUPerFinalizedTx   Estimate `json:"cpu_per_finalized_tx"`
	BytesPerFinalizedTx Estimate `json:"bytes_per_finalized_tx"`
}

// Stall is a period in which no node's finalized block advanced for longer than expected.
type Stall struct {
	From     float64 `json:"from"`
	To       float64 `json:"to"` // span end if it never resumed
	Resumed  bool    `json:"resumed"`
	Duration float64 `json:"duration"`
}

// FaultOutcome is the network's behaviour during and after one fault.
type FaultOutcome struct {
	FaultEvent
	// RecoverSeconds: from the end of the fault (or its start, for one-shot faults) until
	// every live node has the same tip again; -1 if it never happened.
	RecoverSeconds float64 `json:"recover_seconds"`
	ReorgsAfter    int     `json:"reorgs_after"`    // reorgs within the recovery window after the end
	BlocksReverted int     `json:"blocks_reverted"` // their total depth
	MaxReorgDepth  int     `json:"max_reorg_depth"`
	// Finality during the fault: whether a block produced after the fault began became
	// final (at any node) before it ended, the longest gap without a finality advance
	// overlapping the fault, and how long after End finality advanced again (-1: never).
	FinalityAdvanced bool    `json:"finality_advanced_during"`
	FinalityStall    float64 `json:"finality_stall"`
	FinalityResumed  float64 `json:"finality_resumed_after"`
	HeightAtStart    uint64  `json:"finalized_at_start"`
	HeightAtEnd      uint64  `json:"finalized_at_end"`
}

// WriteMetrics writes m as indented JSON.
func WriteMetrics(path string, m *Metrics) error {
	b, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(path, append(b, '\n'))
}

// ReadMetrics reads a metrics.json.
func ReadMetrics(path string) (*Metrics, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var m Metrics
	return &m, json.Unmarshal(b, &m)
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}
