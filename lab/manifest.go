package lab

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// ManifestError is a manifest problem that names the offending key (dotted TOML path,
// e.g. "network.loss" or "fault[2].at").
type ManifestError struct {
	Key string
	Msg string
}

func (e *ManifestError) Error() string {
	if e.Key == "" {
		return "manifest: " + e.Msg
	}
	return fmt.Sprintf("manifest: key %q: %s", e.Key, e.Msg)
}

func keyErr(key, format string, a ...any) error {
	return &ManifestError{Key: key, Msg: fmt.Sprintf(format, a...)}
}

// Duration is a time.Duration written in a manifest as a Go duration string ("1.5s", "200ms").
type Duration struct{ time.Duration }

// UnmarshalText implements encoding.TextUnmarshaler.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("not a duration like \"1.5s\" or \"200ms\": %q", string(b))
	}
	d.Duration = v
	return nil
}

// MarshalText implements encoding.TextMarshaler.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// D is shorthand for Duration{d}.
func D(d time.Duration) Duration { return Duration{d} }

// Manifest is an experiment description shared by the lab (real processes) and the
// simulator. docs/manifest.md documents every key, its unit and its default.
type Manifest struct {
	Name        string   `toml:"name"`
	Description string   `toml:"description"`
	Consensus   string   `toml:"consensus"` // pow | pos
	Seed        int64    `toml:"seed"`
	Duration    Duration `toml:"duration"`     // wall (or virtual) run time; 0 = until Blocks
	Blocks      uint64   `toml:"blocks"`       // stop once the network's best height reaches this; 0 = until Duration
	MaxDuration Duration `toml:"max_duration"` // safety cap when only Blocks is set (default 10m)

	Chain   ChainSection   `toml:"chain"`
	PoW     PoWSection     `toml:"pow"`
	PoS     PoSSection     `toml:"pos"`
	Nodes   NodesSection   `toml:"nodes"`
	Node    []NodeSpec     `toml:"node"`
	Network NetworkSection `toml:"network"`
	Links   []LinkSpec     `toml:"link"`
	Load    LoadSection    `toml:"load"`
	Faults  []FaultSpec    `toml:"fault"`
	Adv     []AdvSpec      `toml:"adversary"`
}

// ChainSection holds consensus-independent genesis parameters.
type ChainSection struct {
	CoinbaseMaturity *uint64 `toml:"coinbase_maturity"` // blocks (default 1)
	FinalityDepth    uint64  `toml:"finality_depth"`    // PoW k-deep finality (default 6)
	MaxBlockSize     uint32  `toml:"max_block_size"`    // bytes (default 1 MiB)
}

// PoWSection holds proof-of-work parameters.
type PoWSection struct {
	TargetSpacing  Duration `toml:"target_spacing"`  // whole seconds (default 1s)
	Algorithm      string   `toml:"algorithm"`       // asert | bitcoin | fixed (default asert)
	HalfLife       Duration `toml:"half_life"`       // asert (default 60s)
	RetargetWindow uint64   `toml:"retarget_window"` // bitcoin (default 20)
	InitialBits    string   `toml:"initial_bits"`    // hex compact bits; default derived from total hash rate
}

// PoSSection holds proof-of-stake parameters.
type PoSSection struct {
	Slot            Duration `toml:"slot"`             // slot length (default 1s, ms resolution)
	EpochSlots      uint64   `toml:"epoch_slots"`      // default 8
	InactivityLeak  *bool    `toml:"inactivity_leak"`  // default true
	InactivityAfter uint64   `toml:"inactivity_after"` // epochs without finality before the leak (default 4)
	MinStake        float64  `toml:"min_stake"`        // coins (default 100)
}

// NodesSection gives the defaults every node gets.
type NodesSection struct {
	Count    int     `toml:"count"`    // number of nodes when no [[node]] list is given (default 4)
	HashRate float64 `toml:"hashrate"` // PoW: hashes per second per node (default 10000)
	Stake    float64 `toml:"stake"`    // PoS: coins per validator (default 1000)
}

// NodeSpec is one node of an explicit [[node]] list; zero fields take [nodes] defaults.
type NodeSpec struct {
	Name      string   `toml:"name"`
	HashRate  *float64 `toml:"hashrate"` // 0 = does not mine
	Stake     *float64 `toml:"stake"`    // 0 = not a validator
	StartLate Duration `toml:"start"`    // start the process this long after the others (0 = with them)
}

// NetworkSection is the topology and the default link.
type NetworkSection struct {
	Topology string `toml:"topology"` // full | line | ring | star | random (default full)
	Degree   int    `toml:"degree"`   // random: links per node (default 2)
	Hub      string `toml:"hub"`      // star: the hub node (default the first)
	LinkParams
}

// LinkParams are the emulated properties of a link (applied in both directions).
type LinkParams struct {
	Delay     Duration `toml:"delay"`     // one-way latency
	Jitter    Duration `toml:"jitter"`    // uniform ± jitter added to Delay
	Loss      float64  `toml:"loss"`      // message loss probability 0..1
	Bandwidth float64  `toml:"bandwidth"` // kilobits per second; 0 = unlimited
}

// LinkSpec overrides (or adds) one link.
type LinkSpec struct {
	A string `toml:"a"`
	B string `toml:"b"`
	LinkParams
}

// Load patterns.
const (
	PatternConstant = "constant"
	PatternPoisson  = "poisson"
	PatternBurst    = "burst"
)

// LoadSection describes the transaction load.
type LoadSection struct {
	Rate          float64  `toml:"rate"`           // transactions per second (mean); 0 = no load
	Pattern       string   `toml:"pattern"`        // constant | poisson | burst (default poisson)
	BurstSize     int      `toml:"burst_size"`     // burst: txs per burst (default 20)
	BurstInterval Duration `toml:"burst_interval"` // burst: time between bursts (default burst_size/rate)
	Start         Duration `toml:"start"`          // when the load begins (default 2s)
	Stop          Duration `toml:"stop"`           // when it ends (default: the end of the run)
	Keys          int      `toml:"keys"`           // funded load keys (default 8)
	Fee           uint64   `toml:"fee"`            // base units per tx (default 1000)
	Nodes         []string `toml:"nodes"`          // nodes that receive txs (default all, round robin)
}

// Fault actions.
const (
	FaultKill       = "kill"       // SIGKILL the process
	FaultRestart    = "restart"    // start a killed/stopped node again on its datadir
	FaultStop       = "stop"       // SIGTERM (clean stop)
	FaultPause      = "pause"      // SIGSTOP
	FaultResume     = "resume"     // SIGCONT
	FaultDisconnect = "disconnect" // cut every link of the nodes (or the a–b links)
	FaultReconnect  = "reconnect"  // undo disconnect
	FaultPartition  = "partition"  // split into groups a | b
	FaultHeal       = "heal"       // remove every partition and cut link
	FaultHashRate   = "hashrate"   // set the nodes' hash rate
	FaultStake      = "stake"      // bond more stake to the nodes' validators
	FaultLink       = "link"       // change the link parameters of the nodes (or a–b)
)

var faultActions = []string{FaultKill, FaultRestart, FaultStop, FaultPause, FaultResume, FaultDisconnect,
	FaultReconnect, FaultPartition, FaultHeal, FaultHashRate, FaultStake, FaultLink}

// FaultSpec is one timed fault.
type FaultSpec struct {
	At       Duration  `toml:"at"`       // time from the start of the run
	Action   string    `toml:"action"`   // see Fault* constants
	Nodes    []string  `toml:"nodes"`    // target nodes ("all" = every node)
	A        []string  `toml:"a"`        // partition side A / disconnect endpoints
	B        []string  `toml:"b"`        // partition side B (default: every node not in A)
	For      Duration  `toml:"for"`      // undo automatically after this long (kill→restart, pause→resume, partition/disconnect→heal)
	HashRate *float64  `toml:"hashrate"` // hashrate action: H/s
	Stake    *float64  `toml:"stake"`    // stake action: coins to add
	Link     *LinkSpec `toml:"link"`     // link action: new parameters (a/b ignored)

	index int // position in Manifest.Faults + 1 (0: a generated action such as an undo)
}

// Adversary strategies. PoW: selfish, withhold, double-spend. PoS: double-vote,
// surround-vote, equivocate, offline, withhold.
const (
	AdvSelfish      = "selfish"
	AdvWithhold     = "withhold"
	AdvDoubleSpend  = "double-spend"
	AdvDoubleVote   = "double-vote"
	AdvSurroundVote = "surround-vote"
	AdvEquivocate   = "equivocate"
	AdvOffline      = "offline"
)

// AdvSpec assigns adversarial behaviour to nodes for a time window.
type AdvSpec struct {
	Nodes    []string `toml:"nodes"`
	Strategy string   `toml:"strategy"`
	Start    Duration `toml:"start"`  // default: from the start
	Stop     Duration `toml:"stop"`   // default: to the end
	Gamma    *float64 `toml:"gamma"`  // selfish: share of honest power that mines on the attacker's branch in a tie (0..1)
	Depth    uint64   `toml:"depth"`  // double-spend: confirmations z the merchant waits for (default 6)
	Amount   float64  `toml:"amount"` // double-spend: coins (default 10)
	Every    uint64   `toml:"every"`  // double-vote / surround-vote / equivocate: act every N-th duty (default 1)
}

var advStrategies = map[string]string{
	AdvSelfish: "pow", AdvDoubleSpend: "pow",
	AdvDoubleVote: "pos", AdvSurroundVote: "pos", AdvEquivocate: "pos", AdvOffline: "pos",
	AdvWithhold: "",
}

var lastKeyRE = regexp.MustCompile(`\(last key "([^"]*)"\):`)

// ParseManifest decodes and validates a TOML manifest. Unknown keys and impossible values
// are *ManifestError naming the key.
func ParseManifest(data []byte) (*Manifest, error) {
	var m Manifest
	md, err := toml.NewDecoder(bytes.NewReader(data)).Decode(&m)
	if err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, &ManifestError{Key: pe.LastKey, Msg: strings.TrimSpace(pe.Message)}
		}
		msg := err.Error()
		if sub := lastKeyRE.FindStringSubmatch(msg); sub != nil {
			return nil, &ManifestError{Key: sub[1], Msg: strings.TrimSpace(msg[strings.Index(msg, "):")+2:])}
		}
		return nil, &ManifestError{Msg: msg}
	}
	if und := md.Undecoded(); len(und) > 0 {
		return nil, keyErr(und[0].String(), "unknown key (typo?)")
	}
	m.applyDefaults()
	if err := m.Validate(); err != nil {
		return nil, err
	}
	return &m, nil
}

// LoadManifest reads and parses a manifest file.
func LoadManifest(path string) (*Manifest, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("manifest: %w", err)
	}
	m, err := ParseManifest(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return m, nil
}

func (m *Manifest) applyDefaults() {
	if m.Name == "" {
		m.Name = m.Consensus
	}
	if m.MaxDuration.Duration == 0 {
		m.MaxDuration = D(10 * time.Minute)
	}
	if m.Chain.CoinbaseMaturity == nil {
		one := uint64(1)
		m.Chain.CoinbaseMaturity = &one
	}
	if m.Chain.FinalityDepth == 0 {
		m.Chain.FinalityDepth = 6
	}
	if m.Chain.MaxBlockSize == 0 {
		m.Chain.MaxBlockSize = 1 << 20
	}
	if m.PoW.TargetSpacing.Duration == 0 {
		m.PoW.TargetSpacing = D(time.Second)
	}
	if m.PoW.Algorithm == "" {
		m.PoW.Algorithm = "asert"
	}
	if m.PoW.HalfLife.Duration == 0 {
		m.PoW.HalfLife = D(60 * time.Second)
	}
	if m.PoW.RetargetWindow == 0 {
		m.PoW.RetargetWindow = 20
	}
	if m.PoS.Slot.Duration == 0 {
		m.PoS.Slot = D(time.Second)
	}
	if m.PoS.EpochSlots == 0 {
		m.PoS.EpochSlots = 8
	}
	if m.PoS.InactivityLeak == nil {
		t := true
		m.PoS.InactivityLeak = &t
	}
	if m.PoS.InactivityAfter == 0 {
		m.PoS.InactivityAfter = 4
	}
	if m.PoS.MinStake == 0 {
		m.PoS.MinStake = 100
	}
	if m.Nodes.Count == 0 && len(m.Node) == 0 {
		m.Nodes.Count = 4
	}
	if m.Nodes.HashRate == 0 {
		m.Nodes.HashRate = 10000
	}
	if m.Nodes.Stake == 0 {
		m.Nodes.Stake = 1000
	}
	if m.Network.Topology == "" {
		m.Network.Topology = "full"
	}
	if m.Network.Degree == 0 {
		m.Network.Degree = 2
	}
	if m.Load.Pattern == "" {
		m.Load.Pattern = PatternPoisson
	}
	if m.Load.BurstSize == 0 {
		m.Load.BurstSize = 20
	}
	if m.Load.BurstInterval.Duration == 0 && m.Load.Rate > 0 {
		m.Load.BurstInterval = D(time.Duration(float64(m.Load.BurstSize) / m.Load.Rate * float64(time.Second)))
	}
	if m.Load.Start.Duration == 0 {
		m.Load.Start = D(2 * time.Second)
	}
	if m.Load.Keys == 0 {
		m.Load.Keys = 8
	}
	if m.Load.Fee == 0 {
		m.Load.Fee = 1000
	}
	for i := range m.Adv {
		if m.Adv[i].Depth == 0 {
			m.Adv[i].Depth = 6
		}
		if m.Adv[i].Amount == 0 {
			m.Adv[i].Amount = 10
		}
		if m.Adv[i].Every == 0 {
			m.Adv[i].Every = 1
		}
	}
}

// Clone returns a deep copy of m (by re-encoding).
func (m *Manifest) Clone() *Manifest {
	var buf bytes.Buffer
	if err := toml.NewEncoder(&buf).Encode(m); err != nil {
		panic(err)
	}
	var c Manifest
	if _, err := toml.Decode(buf.String(), &c); err != nil {
		panic(err)
	}
	return &c
}

// Encode writes m as TOML (the normalised form, with defaults filled in).
func (m *Manifest) Encode() ([]byte, error) {
	var buf bytes.Buffer
	err := toml.NewEncoder(&buf).Encode(m)
	return buf.Bytes(), err
}
