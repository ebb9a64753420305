package lab

import (
	"encoding/json"
	"fmt"
	"os"
	"sort"
)

// Trace is everything an experiment recorded, in one engine-neutral shape. The lab fills it
// from websocket events and RPC polls of real processes; the simulator fills it from its
// virtual network. Compute turns a Trace into Metrics, so both engines and both modes share
// one metrics definition. Times are seconds since the start of the run (wall or virtual);
// hashes are the display (byte-reversed hex) form.
type Trace struct {
	Name      string  `json:"name"`
	Engine    string  `json:"engine"` // pow | pos
	Source    string  `json:"source"` // lab | sim
	Seed      int64   `json:"seed"`
	StartUnix float64 `json:"start_unix,omitempty"` // wall-clock start (lab); 0 in sim
	Span      float64 `json:"span"`                 // run length in seconds
	// TargetInterval is the designed block interval: PoW target spacing or PoS slot length.
	TargetInterval float64 `json:"target_interval"`
	FinalityDepth  uint64  `json:"finality_depth"` // PoW k
	EpochSlots     uint64  `json:"epoch_slots"`    // PoS

	Nodes     []TraceNode      `json:"nodes"`
	Blocks    []BlockRecord    `json:"blocks"`    // every distinct block seen (main and side chains), genesis excluded
	Seen      []Sighting       `json:"seen"`      // first time each node had each block
	Tips      []TipEvent       `json:"tips"`      // every tip change per node
	Reorgs    []ReorgEvent     `json:"reorgs"`    // every reorg per node
	Finality  []FinalityEvent  `json:"finality"`  // every advance of a node's finalized block
	Txs       []TxEvent        `json:"txs"`       // every load transaction submitted
	Faults    []FaultEvent     `json:"faults"`    // every fault applied
	Resources []ResourceSample `json:"resources"` // per-node CPU, memory and bytes over time
	// Canonical is the main chain at the end of the run (index = height, genesis at 0), as
	// recounted from a node's store; blocks not on it are stale.
	Canonical []string `json:"canonical"`
}

// TraceNode is one node of the run.
type TraceNode struct {
	Name     string  `json:"name"`
	Share    float64 `json:"share"` // its share of the total hash rate or stake (0..1)
	HashRate float64 `json:"hashrate,omitempty"`
	Stake    float64 `json:"stake,omitempty"`
	// Producer identifies the node's blocks (mining address key or validator key, hex).
	Producer string `json:"producer,omitempty"`
}

// BlockRecord is a block as first observed.
type BlockRecord struct {
	Hash     string   `json:"hash"`
	Parent   string   `json:"parent"`
	Height   uint64   `json:"height"`
	Producer int      `json:"producer"` // node index, -1 if unknown
	Time     int64    `json:"time"`     // header timestamp (unix seconds)
	Mined    float64  `json:"mined"`    // first sighting anywhere (seconds since start)
	Size     int      `json:"size"`     // encoded bytes
	TxIDs    []string `json:"txids,omitempty"`
	Slot     uint64   `json:"slot,omitempty"`
}

// Sighting is the first time a node had a block (received or produced).
type Sighting struct {
	Node int     `json:"node"`
	Hash string  `json:"hash"`
	At   float64 `json:"at"`
}

// TipEvent is a change of a node's best block.
type TipEvent struct {
	Node   int     `json:"node"`
	At     float64 `json:"at"`
	Hash   string  `json:"hash"`
	Height uint64  `json:"height"`
}

// ReorgEvent is a reorganisation at one node.
type ReorgEvent struct {
	Node   int     `json:"node"`
	At     float64 `json:"at"`
	Depth  int     `json:"depth"` // blocks disconnected
	OldTip string  `json:"old_tip"`
	NewTip string  `json:"new_tip"`
}

// FinalityEvent is a node's finalized block advancing.
type FinalityEvent struct {
	Node   int     `json:"node"`
	At     float64 `json:"at"`
	Height uint64  `json:"height"`
	Hash   string  `json:"hash"`
	Epoch  uint64  `json:"epoch,omitempty"`
}

// TxEvent is a load transaction submitted to a node.
type TxEvent struct {
	ID   string  `json:"id"`
	At   float64 `json:"at"`
	Node int     `json:"node"`
	Err  string  `json:"err,omitempty"` // rejected on submission
}

// FaultEvent is an applied fault. End is when it was undone (heal, restart, resume), or
// -1 if it lasted to the end of the run (or has no duration, like a hash-rate change).
type FaultEvent struct {
	At     float64 `json:"at"`
	End    float64 `json:"end"`
	Action string  `json:"action"`
	Nodes  []int   `json:"nodes,omitempty"`
	Label  string  `json:"label"`
	Err    string  `json:"err,omitempty"`
}

// ResourceSample is one poll of a node's process and network counters (cumulative).
type ResourceSample struct {
	Node      int     `json:"node"`
	At        float64 `json:"at"`
	CPU       float64 `json:"cpu"` // user+system seconds since the process started
	RSS       uint64  `json:"rss"` // resident bytes
	BytesSent uint64  `json:"bytes_sent"`
	BytesRecv uint64  `json:"bytes_recv"`
	HashRate  float64 `json:"hashrate,omitempty"` // PoW: the miner's measured hashes per second
}

// Sort orders every event list by time (stable), so Compute and the CSVs see them in order.
func (t *Trace) Sort() {
	sort.SliceStable(t.Blocks, func(i, j int) bool { return t.Blocks[i].Mined < t.Blocks[j].Mined })
	sort.SliceStable(t.Seen, func(i, j int) bool { return t.Seen[i].At < t.Seen[j].At })
	sort.SliceStable(t.Tips, func(i, j int) bool { return t.Tips[i].At < t.Tips[j].At })
	sort.SliceStable(t.Reorgs, func(i, j int) bool { return t.Reorgs[i].At < t.Reorgs[j].At })
	sort.SliceStable(t.Finality, func(i, j int) bool { return t.Finality[i].At < t.Finality[j].At })
	sort.SliceStable(t.Txs, func(i, j int) bool { return t.Txs[i].At < t.Txs[j].At })
	sort.SliceStable(t.Faults, func(i, j int) bool { return t.Faults[i].At < t.Faults[j].At })
	sort.SliceStable(t.Resources, func(i, j int) bool { return t.Resources[i].At < t.Resources[j].At })
}

// WriteTrace writes t as JSON.
func WriteTrace(path string, t *Trace) error {
	b, err := json.Marshal(t)
	if err != nil {
		return err
	}
	return writeFileAtomic(path, b)
}

// ReadTrace reads a trace written by WriteTrace.
func ReadTrace(path string) (*Trace, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var t Trace
	if err := json.Unmarshal(b, &t); err != nil {
		return nil, fmt.Errorf("trace %s: %w", path, err)
	}
	return &t, nil
}

func writeFileAtomic(path string, b []byte) error {
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		return err
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
