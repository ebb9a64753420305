package lab

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"syscall"
	"time"

	"chainlab/address"
	"chainlab/genesis"
)

// StateFile is the name of a net's state file in its directory.
const StateFile = "net.json"

// NetState is the persistent description of a running (or stopped) local network.
type NetState struct {
	Dir       string      `json:"dir"`
	Name      string      `json:"name"`
	Consensus string      `json:"consensus"`
	Seed      int64       `json:"seed"`
	Genesis   string      `json:"genesis"`
	Started   time.Time   `json:"started"`
	Nodes     []NodeState `json:"nodes"`
	Edges     []Edge      `json:"edges"`
}

// NodeState is one node process of a net.
type NodeState struct {
	Index      int      `json:"index"`
	Name       string   `json:"name"`
	DataDir    string   `json:"datadir"`
	P2P        string   `json:"p2p"` // host:port
	RPC        string   `json:"rpc"` // host:port
	NodeID     string   `json:"node_id"`
	PID        int      `json:"pid"`
	Log        string   `json:"log"`
	HashRate   float64  `json:"hashrate,omitempty"`
	Stake      float64  `json:"stake,omitempty"`
	MiningKey  string   `json:"mining_key,omitempty"` // x-only hex paid by its blocks
	Validator  string   `json:"validator,omitempty"`  // x-only validator key hex
	KeyFile    string   `json:"key_file,omitempty"`
	Peers      []string `json:"peers"` // p2p addresses it dials
	StartLate  float64  `json:"start_late,omitempty"`
	ExtraFlags []string `json:"extra_flags,omitempty"`
	// ExtraValidators are validator keys (x-only hex) bonded during the run by stake
	// faults; the node holds them from the start (ExtraKeyFiles).
	ExtraValidators []string `json:"extra_validators,omitempty"`
	ExtraKeyFiles   []string `json:"extra_key_files,omitempty"`
}

// LoadNetState reads dir/net.json.
func LoadNetState(dir string) (*NetState, error) {
	b, err := os.ReadFile(filepath.Join(dir, StateFile))
	if err != nil {
		return nil, fmt.Errorf("net: no network in %s: %w", dir, err)
	}
	var s NetState
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("net: %s: %w", filepath.Join(dir, StateFile), err)
	}
	return &s, nil
}

// Save writes the state atomically.
func (s *NetState) Save() error {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return err
	}
	return writeFileAtomic(filepath.Join(s.Dir, StateFile), append(b, '\n'))
}

// NetConfig configures a Net.
type NetConfig struct {
	Dir      string    // required: the net's directory (created)
	Manifest *Manifest // required
	Binary   string    // the chainlab executable (default os.Executable())
	Logger   *slog.Logger
	// Detach leaves the processes running when the Net is dropped (net up); otherwise
	// the lab owns them and reaps them (experiment run).
	Detach bool
	// StartAll starts every node with the others, ignoring [[node]] start delays (net up:
	// there is no run clock to delay them by).
	StartAll bool
	// NodeArgs overrides how a node's command line is built (tests); nil = NodeArgs.
	NodeArgs func(n *NodeState, genesisPath string) []string
}

// Net is a local network of node processes.
type Net struct {
	cfg   NetConfig
	plan  *Plan
	State *NetState

	mu      sync.Mutex
	procs   map[int]*exec.Cmd
	exited  map[int]chan struct{}
	clients map[int]NodeClient
}

// NewNet prepares (but does not start) a net for a manifest.
func NewNet(cfg NetConfig) (*Net, error) {
	if cfg.Dir == "" {
		return nil, errors.New("lab: NetConfig.Dir is required")
	}
	if cfg.Manifest == nil {
		return nil, errors.New("lab: NetConfig.Manifest is required")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Binary == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("lab: finding the chainlab binary: %w", err)
		}
		cfg.Binary = exe
	}
	if cfg.NodeArgs == nil {
		cfg.NodeArgs = NodeArgs
	}
	plan, err := cfg.Manifest.Resolve()
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(cfg.Dir)
	if err != nil {
		return nil, err
	}
	cfg.Dir = abs
	return &Net{cfg: cfg, plan: plan, procs: map[int]*exec.Cmd{}, exited: map[int]chan struct{}{}, clients: map[int]NodeClient{}}, nil
}

// Plan returns the resolved manifest.
func (n *Net) Plan() *Plan { return n.plan }

// NodeArgs is the `chainlab node` command line of a lab node.
func NodeArgs(ns *NodeState, genesisPath string) []string {
	args := []string{"node", "--datadir", ns.DataDir, "--genesis", genesisPath,
		"--p2p-listen", ns.P2P, "--rpc-listen", ns.RPC, "--log-format", "json", "--seed", strconv.Itoa(ns.Index + 1)}
	for _, p := range ns.Peers {
		args = append(args, "--peer", p)
	}

	if ns.HashRate > 0 {
		args = append(args, "--mine", "--threads", "1", "--hashrate", strconv.FormatFloat(ns.HashRate, 'f', -1, 64))
	}
	if ns.MiningKey != "" {
		args = append(args, "--mining-address", ns.MiningKey)
	}
	if ns.KeyFile != "" {
		args = append(args, "--validator-key", ns.KeyFile)
	}
	for _, f := range ns.ExtraKeyFiles {
		args = append(args, "--validator-key", f)
	}
	return append(args, ns.ExtraFlags...)
}

// freePorts reserves n distinct loopback ports by binding :0 (and releasing them just
// before the nodes bind; the window is small on a lab machine).
func freePorts(n int) ([]int, error) {
	var ls []net.Listener
	defer func() {
		for _, l := range ls {
			l.Close()
		}
	}()
	out := make([]int, n)
	for i := range out {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("lab: reserving a port: %w", err)
		}
		ls = append(ls, l)
		out[i] = l.Addr().(*net.TCPAddr).Port
	}
	return out, nil
}

// Prepare writes the genesis, datadirs, node ids and key files, and the state file.
func (n *Net) Prepare(now time.Time) error {
	m := n.cfg.Manifest
	if err := os.MkdirAll(n.cfg.Dir, 0o755); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(n.cfg.Dir, StateFile)); err == nil {
		return fmt.Errorf("lab: %s already holds a net (run `chainlab net down --purge --dir %s` first)", n.cfg.Dir, n.cfg.Dir)
	}
	g, err := BuildGenesis(m, n.plan, now)
	if err != nil {
		return err
	}
	gb, err := g.Marshal()
	if err != nil {
		return err
	}
	gpath := filepath.Join(n.cfg.Dir, "genesis.json")
	if err := os.WriteFile(gpath, gb, 0o644); err != nil {
		return err
	}
	ports, err := freePorts(2 * len(n.plan.Nodes))
	if err != nil {
		return err
	}
	st := &NetState{Dir: n.cfg.Dir, Name: m.Name, Consensus: m.Consensus, Seed: m.Seed, Genesis: gpath, Started: now, Edges: n.plan.Edges}
	for _, pn := range n.plan.Nodes {
		ns := NodeState{Index: pn.Index, Name: pn.Name, DataDir: filepath.Join(n.cfg.Dir, pn.Name),
			P2P: fmt.Sprintf("127.0.0.1:%d", ports[2*pn.Index]), RPC: fmt.Sprintf("127.0.0.1:%d", ports[2*pn.Index+1]),
			Log: filepath.Join(n.cfg.Dir, pn.Name+".log"), StartLate: pn.StartLate.Seconds()}
		if n.cfg.StartAll {
			ns.StartLate = 0
		}
		if err := os.MkdirAll(ns.DataDir, 0o700); err != nil {
			return err
		}
		// A deterministic p2p id, so setlink/setpartition can name peers before they start.
		id := RunKey(m.Seed, "nodeid", pn.Index).Serialize()
		ns.NodeID = hex.EncodeToString(id)
		if err := os.WriteFile(filepath.Join(ns.DataDir, "nodeid"), []byte(ns.NodeID+"\n"), 0o600); err != nil {
			return err
		}
		if m.Consensus == "pow" {
			ns.HashRate = pn.HashRate
			mk := genesis.XOnly(RunKey(m.Seed, "miner", pn.Index))
			ns.MiningKey = address.MustEncode(g.AddressPrefix, mk)
		} else if pn.Stake > 0 {
			ns.Stake = pn.Stake
			k := RunKey(m.Seed, "validator", pn.Index)
			vk := genesis.XOnly(k)
			ns.Validator = hex.EncodeToString(vk[:])
			ns.KeyFile = filepath.Join(ns.DataDir, "validator.key")
			if err := os.WriteFile(ns.KeyFile, []byte(KeyHex(k)+"\n"), 0o600); err != nil {
				return err
			}
		}
		st.Nodes = append(st.Nodes, ns)
	}
	for _, sf := range stakeFunds(m, n.plan) {
		ns := &st.Nodes[sf.Node]
		vk := genesis.XOnly(sf.Validator)
		f := filepath.Join(ns.DataDir, fmt.Sprintf("validator-fault%d.key", sf.Fault))
		if err := os.WriteFile(f, []byte(KeyHex(sf.Validator)+"\n"), 0o600); err != nil {
			return err
		}
		ns.ExtraValidators = append(ns.ExtraValidators, hex.EncodeToString(vk[:]))
		ns.ExtraKeyFiles = append(ns.ExtraKeyFiles, f)
	}
	// Each edge is dialled by its lower-index end.
	for _, e := range n.plan.Edges {
		st.Nodes[e.A].Peers = append(st.Nodes[e.A].Peers, st.Nodes[e.B].P2P)
	}
	if err := applyAdversaryFlags(m, n.plan, st); err != nil {
		return err
	}
	n.State = st
	return st.Save()
}

// Start starts node i's process.
func (n *Net) Start(i int) error {
	ns := &n.State.Nodes[i]
	logf, err := os.OpenFile(ns.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(n.cfg.Binary, n.cfg.NodeArgs(ns, n.State.Genesis)...)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Own process group: a Ctrl-C in the lab's terminal reaches the lab, which stops the
	// nodes cleanly, instead of killing them mid-write.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return fmt.Errorf("lab: starting %s: %w", ns.Name, err)
	}
	ns.PID = cmd.Process.Pid
	done := make(chan struct{})
	n.mu.Lock()
	n.procs[i] = cmd
	n.exited[i] = done
	n.mu.Unlock()
	if n.cfg.Detach {
		logf.Close()
		go func() { cmd.Wait(); close(done) }()
	} else {
		go func() { cmd.Wait(); logf.Close(); close(done) }()
	}
	n.cfg.Logger.Info("node started", "node", ns.Name, "pid", ns.PID, "p2p", ns.P2P, "rpc", ns.RPC)
	return n.State.Save()
}

// Signal sends sig to node i's process.
func (n *Net) Signal(i int, sig syscall.Signal) error {
	pid := n.State.Nodes[i].PID
	if pid <= 0 {
		return fmt.Errorf("lab: %s is not running", n.State.Nodes[i].Name)
	}
	if err := syscall.Kill(pid, sig); err != nil {
		return fmt.Errorf("lab: signal %v to %s (pid %d): %w", sig, n.State.Nodes[i].Name, pid, err)
	}
	return nil
}

// Wait waits until node i's process exits (only for processes this Net started).
func (n *Net) Wait(i int, timeout time.Duration) bool {
	n.mu.Lock()
	done := n.exited[i]
	n.mu.Unlock()
	if done == nil {
		return waitPID(n.State.Nodes[i].PID, timeout)
	}
	select {
	case <-done:
		return true
	case <-time.After(timeout):
		return false
	}
}

// waitPID polls for a foreign process to disappear.
func waitPID(pid int, timeout time.Duration) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if pid <= 0 || syscall.Kill(pid, 0) != nil {
			return true
		}
		time.Sleep(100 * time.Millisecond)
	}
	return false
}

// Alive reports whether node i's process runs.
func (n *Net) Alive(i int) bool {
	n.mu.Lock()
	done := n.exited[i]
	n.mu.Unlock()
	if done != nil {
		select {
		case <-done:
			return false
		default:
			return true
		}
	}
	pid := n.State.Nodes[i].PID
	return pid > 0 && syscall.Kill(pid, 0) == nil
}

// StopNode stops node i: SIGTERM (SIGCONT first, in case it is paused), then SIGKILL
// after the timeout.
func (n *Net) StopNode(i int, timeout time.Duration) error {
	if !n.Alive(i) {
		return nil
	}
	_ = n.Signal(i, syscall.SIGCONT)
	if err := n.Signal(i, syscall.SIGTERM); err != nil {
		return err
	}
	if n.Wait(i, timeout) {
		return nil
	}
	n.cfg.Logger.Warn("node did not stop; killing", "node", n.State.Nodes[i].Name)
	_ = n.Signal(i, syscall.SIGKILL)
	n.Wait(i, 5*time.Second)
	return nil
}

// Client returns (dialling once) the RPC client of node i.
func (n *Net) Client(i int) (NodeClient, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if c, ok := n.clients[i]; ok {
		return c, nil
	}
	ns := n.State.Nodes[i]
	c, err := DialNode(ns.RPC, ns.DataDir)
	if err != nil {
		return nil, err
	}
	n.clients[i] = c
	return c, nil
}

// dropClient forgets node i's client (after a restart the cookie changes).
func (n *Net) dropClient(i int) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if c, ok := n.clients[i]; ok {
		c.Close()
		delete(n.clients, i)
	}
}

// WaitReady waits until node i answers RPC.
func (n *Net) WaitReady(ctx context.Context, i int, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var last error
	for {
		if !n.Alive(i) {
			return fmt.Errorf("lab: %s exited during startup (see %s): %s", n.State.Nodes[i].Name, n.State.Nodes[i].Log, tailFile(n.State.Nodes[i].Log, 600))
		}
		n.dropClient(i)
		c, err := n.Client(i)
		if err == nil {
			cctx, ccancel := context.WithTimeout(ctx, 2*time.Second)
			_, err = c.BlockCount(cctx)
			ccancel()
			if err == nil {
				return nil
			}
		}
		last = err
		select {
		case <-ctx.Done():
			return fmt.Errorf("lab: %s did not answer RPC within %v: %v", n.State.Nodes[i].Name, timeout, last)
		case <-time.After(150 * time.Millisecond):
		}
	}
}

// ApplyLinks sets every edge's emulated link on both of its ends.
func (n *Net) ApplyLinks(ctx context.Context, only int) error {
	for _, e := range n.State.Edges {
		if e.LinkParams == (LinkParams{}) {
			continue
		}
		for _, pair := range [][2]int{{e.A, e.B}, {e.B, e.A}} {
			if only >= 0 && pair[0] != only && pair[1] != only {
				continue
			}
			if !n.Alive(pair[0]) {
				continue
			}
			c, err := n.Client(pair[0])
			if err != nil {
				return err
			}
			if err := c.SetLink(ctx, n.State.Nodes[pair[1]].NodeID, e.LinkParams, false); err != nil {
				return fmt.Errorf("lab: setlink %s→%s: %w", n.State.Nodes[pair[0]].Name, n.State.Nodes[pair[1]].Name, err)
			}
		}
	}
	return nil
}

// BaseCuts returns, per node, the nodes it is not linked to in the topology. Nodes learn
// each other's addresses by gossip and may connect beyond the topology, so the lab keeps
// the topology by cutting every non-edge with setpartition (messages between cut nodes
// are dropped in both directions). A full mesh has no cuts.
func (n *Net) BaseCuts() []map[int]bool {
	k := len(n.State.Nodes)
	linked := make([]map[int]bool, k)
	for i := range linked {
		linked[i] = map[int]bool{i: true}
	}
	for _, e := range n.State.Edges {
		linked[e.A][e.B], linked[e.B][e.A] = true, true
	}
	cuts := make([]map[int]bool, k)
	for i := range cuts {
		cuts[i] = map[int]bool{}
		for j := 0; j < k; j++ {
			if !linked[i][j] {
				cuts[i][j] = true
			}
		}
	}
	return cuts
}

// PushCuts sends each running node its cut list (setpartition with the peers' node ids).
func (n *Net) PushCuts(ctx context.Context, cuts []map[int]bool) error {
	var errs error
	for i := range n.State.Nodes {
		if !n.Alive(i) {
			continue
		}
		var js []int
		for j := range cuts[i] {
			js = append(js, j)
		}
		sort.Ints(js)
		ids := make([]string, 0, len(js))
		for _, j := range js {
			ids = append(ids, n.State.Nodes[j].NodeID)
		}
		c, err := n.Client(i)
		if err == nil {
			err = c.SetPartition(ctx, ids)
		}
		if err != nil {
			errs = errors.Join(errs, fmt.Errorf("%s: setpartition: %w", n.State.Nodes[i].Name, err))
		}
	}
	return errs
}

// Up prepares the net, starts every node that starts with the others, applies the links,
// and waits until every node has a peer and the network has produced a block.
func (n *Net) Up(ctx context.Context, now time.Time, timeout time.Duration) error {
	if err := n.Prepare(now); err != nil {
		return err
	}
	for i := range n.State.Nodes {
		if n.State.Nodes[i].StartLate > 0 {
			continue
		}
		if err := n.Start(i); err != nil {
			n.Down(10 * time.Second)
			return err
		}
	}
	for i := range n.State.Nodes {
		if n.State.Nodes[i].StartLate > 0 {
			continue
		}
		if err := n.WaitReady(ctx, i, timeout); err != nil {
			n.Down(10 * time.Second)
			return err
		}
	}
	if err := n.ApplyLinks(ctx, -1); err != nil {
		n.Down(10 * time.Second)
		return err
	}
	if err := n.PushCuts(ctx, n.BaseCuts()); err != nil {
		n.Down(10 * time.Second)
		return err
	}
	if err := n.WaitConnected(ctx, timeout); err != nil {
		n.Down(10 * time.Second)
		return err
	}
	return nil
}

// WaitConnected waits until every running node has at least one peer (or as many as its
// topology degree, when that is smaller than the number of running nodes).
func (n *Net) WaitConnected(ctx context.Context, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	deg := make([]int, len(n.State.Nodes))
	for _, e := range n.State.Edges {
		if n.State.Nodes[e.A].StartLate == 0 && n.State.Nodes[e.B].StartLate == 0 {
			deg[e.A]++
			deg[e.B]++
		}
	}
	for {
		ok := true
		var why string
		for i := range n.State.Nodes {
			if n.State.Nodes[i].StartLate > 0 || deg[i] == 0 {
				continue
			}
			c, err := n.Client(i)
			if err != nil {
				return err
			}
			ps, err := c.Peers(ctx)
			if err != nil || len(ps) < deg[i] {
				ok = false
				why = fmt.Sprintf("%s has %d of %d peers (%v)", n.State.Nodes[i].Name, len(ps), deg[i], err)
				break
			}
		}
		if ok {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("lab: network not connected within %v: %s", timeout, why)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// Down stops every node (SIGTERM, then SIGKILL after timeout) and closes the clients.
func (n *Net) Down(timeout time.Duration) {
	var wg sync.WaitGroup
	for i := range n.State.Nodes {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_ = n.StopNode(i, timeout)
		}(i)
	}
	wg.Wait()
	n.mu.Lock()
	for i, c := range n.clients {
		c.Close()
		delete(n.clients, i)
	}
	n.mu.Unlock()
	for i := range n.State.Nodes {
		n.State.Nodes[i].PID = 0
	}
	_ = n.State.Save()
}

// AttachNet opens a net started earlier (net status/down/logs) from its state file.
func AttachNet(dir string, logger *slog.Logger) (*Net, error) {
	st, err := LoadNetState(dir)
	if err != nil {
		return nil, err
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	return &Net{cfg: NetConfig{Dir: st.Dir, Logger: logger, Detach: true, NodeArgs: NodeArgs}, State: st,
		procs: map[int]*exec.Cmd{}, exited: map[int]chan struct{}{}, clients: map[int]NodeClient{}}, nil
}

func tailFile(path string, n int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return ""
	}
	off := max(st.Size()-n, 0)
	b := make([]byte, st.Size()-off)
	_, _ = f.ReadAt(b, off)
	return string(b)
}

// CopyLogs writes node i's log to w (all of it, or the last n bytes when n > 0).
func (n *Net) CopyLogs(w io.Writer, i int, tail int64) error {
	if tail > 0 {
		_, err := io.WriteString(w, tailFile(n.State.Nodes[i].Log, tail))
		return err
	}
	f, err := os.Open(n.State.Nodes[i].Log)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = io.Copy(w, f)
	return err
}
