package rpc

import (
	"encoding/hex"
	"fmt"
	"math"
	"math/big"

	"chainlab/address"
	"chainlab/chain"
	"chainlab/genesis"
)

func (c *call) net() (NetControl, error) {
	if c.s.cfg.Net == nil {
		return nil, fmt.Errorf("%s: p2p is %w", c.params.m.name, ErrUnavailable)
	}
	return c.s.cfg.Net, nil
}

func (c *call) miner() (MinerControl, error) {
	if c.s.cfg.Miner == nil {
		return nil, fmt.Errorf("%s: the proof-of-work miner is %w (consensus %s)", c.params.m.name, ErrUnavailable, c.s.cfg.Chain.Params().Consensus)
	}
	return c.s.cfg.Miner, nil
}

func (c *call) staking() (StakingInfo, error) {
	if c.s.cfg.Staking == nil {
		return nil, fmt.Errorf("%s: staking is %w (consensus %s)", c.params.m.name, ErrUnavailable, c.s.cfg.Chain.Params().Consensus)
	}
	return c.s.cfg.Staking, nil
}

// MiningInfo is getmininginfo.
type MiningInfo struct {
	Blocks        uint64  `json:"blocks"`
	Difficulty    float64 `json:"difficulty"`
	NetworkHashPS float64 `json:"networkhashps"`
	PooledTx      int     `json:"pooledtx"`
	Chain         string  `json:"chain"`
	Warnings      string  `json:"warnings"`
	Generate      bool    `json:"generate"`
	HashesPerSec  float64 `json:"hashespersec"`
}

func getMiningInfo(c *call) (any, error) {
	ch := c.s.cfg.Chain
	tip, height := ch.Tip()
	r := &MiningInfo{Blocks: height, PooledTx: c.s.cfg.Mempool.Count(), Chain: ch.Params().Network}
	if hdr, ok := ch.Header(tip); ok {
		r.Difficulty = difficulty(ch.Params(), hdr.Bits)
	}
	r.NetworkHashPS = networkHashPS(ch, 120)
	if m := c.s.cfg.Miner; m != nil {
		r.Generate = m.Generating()
		r.HashesPerSec = m.HashRate()
	}
	return r, nil
}

// networkHashPS estimates hashes per second over the last n blocks from chain work, as
// Core's getnetworkhashps.
func networkHashPS(ch Chain, n uint64) float64 {
	tip, height := ch.Tip()
	if height == 0 {
		return 0
	}
	n = min(n, height)
	from, ok := ch.HashAt(height - n)
	if !ok {
		return 0
	}
	h1, ok1 := ch.Header(tip)
	h0, ok0 := ch.Header(from)
	w1, okw1 := ch.Work(tip)
	w0, okw0 := ch.Work(from)
	if !ok1 || !ok0 || !okw1 || !okw0 || h1.Time <= h0.Time {
		return 0
	}
	f, _ := new(big.Float).SetInt(new(big.Int).Sub(w1, w0)).Float64()
	return f / float64(h1.Time-h0.Time)
}

func generateToAddress(c *call) (any, error) {
	n, err := c.params.Int(0, 0)
	if err != nil {
		return nil, err
	}
	if n < 0 || n > 10_000 {
		return nil, Errorf(CodeInvalidParameter, "nblocks must be between 0 and 10000")
	}
	key, err := c.addressParam(1)
	if err != nil {
		return nil, err
	}
	maxTries, err := c.params.Uint(2, 0)
	if err != nil {
		return nil, err
	}
	m, err := c.miner()
	if err != nil {
		return nil, err
	}
	hashes, err := m.Generate(c.ctx, int(n), key, maxTries)
	out := make([]string, len(hashes))
	for i, h := range hashes {
		out[i] = h.String()
	}
	if err != nil && len(hashes) == 0 {
		return nil, err
	}
	return out, nil
}

func setGenerate(c *call) (any, error) {
	on, err := c.params.Bool(0, false)
	if err != nil {
		return nil, err
	}
	threads, err := c.params.Int(1, 1)
	if err != nil {
		return nil, err
	}
	if threads < -1 || threads > 1024 {
		return nil, Errorf(CodeInvalidParameter, "genproclimit out of range")
	}
	m, err := c.miner()
	if err != nil {
		return nil, err
	}
	return nil, m.SetGenerate(on, int(threads))
}

func getGenerate(c *call) (any, error) {
	m, err := c.miner()
	if err != nil {
		return nil, err
	}
	return m.Generating(), nil
}

func setHashRate(c *call) (any, error) {
	hps, err := c.params.Float(0, 0)
	if err != nil {
		return nil, err
	}
	if hps < 0 {
		return nil, Errorf(CodeInvalidParameter, "hashespersec must be >= 0")
	}
	m, err := c.miner()
	if err != nil {
		return nil, err
	}
	return nil, m.SetHashRate(hps)
}

// NetworkInfoResult is getnetworkinfo.
type NetworkInfoResult struct {
	Version         int      `json:"version"`
	SubVersion      string   `json:"subversion"`
	ProtocolVersion uint32   `json:"protocolversion"`
	LocalServices   string   `json:"localservices"`
	LocalRelay      bool     `json:"localrelay"`
	TimeOffset      int64    `json:"timeoffset"`
	NetworkActive   bool     `json:"networkactive"`
	Connections     int      `json:"connections"`
	ConnectionsIn   int      `json:"connections_in"`
	ConnectionsOut  int      `json:"connections_out"`
	Networks        []string `json:"networks"`
	RelayFee        Amount   `json:"relayfee"`
	IncrementalFee  Amount   `json:"incrementalfee"`
	LocalAddresses  []string `json:"localaddresses"`
	Warnings        string   `json:"warnings"`
}

func getNetworkInfo(c *call) (any, error) {
	r := &NetworkInfoResult{SubVersion: "/chainlab:" + c.s.cfg.Version + "/", LocalServices: "0000000000000000",
		LocalRelay: true, Networks: []string{}, LocalAddresses: []string{}}
	if n := c.s.cfg.Net; n != nil {
		ni := n.NetworkInfo()
		in, out := n.ConnectionCount()
		r.Version, r.ProtocolVersion, r.NetworkActive = ni.Version, ni.ProtocolVersion, ni.NetworkActive
		if ni.SubVersion != "" {
			r.SubVersion = ni.SubVersion
		}
		if ni.LocalAddresses != nil {
			r.LocalAddresses = ni.LocalAddresses
		}
		r.RelayFee = Amount(ni.RelayFee * 1000)
		r.Connections, r.ConnectionsIn, r.ConnectionsOut = in+out, in, out
	}
	return r, nil
}

func getPeerInfo(c *call) (any, error) {
	n, err := c.net()
	if err != nil {
		return nil, err
	}
	peers := n.Peers()
	if peers == nil {
		peers = []PeerInfo{}
	}
	return peers, nil
}

func getConnectionCount(c *call) (any, error) {
	if c.s.cfg.Net == nil {
		return 0, nil
	}
	in, out := c.s.cfg.Net.ConnectionCount()
	return in + out, nil
}

func addNode(c *call) (any, error) {
	addr, err := c.params.String(0, "")
	if err != nil {
		return nil, err
	}
	cmd, err := c.params.String(1, "")
	if err != nil {
		return nil, err
	}
	switch cmd {
	case "add", "remove", "onetry":
	default:
		return nil, Errorf(CodeInvalidParameter, "command must be add, remove or onetry, got %q", cmd)
	}
	n, err := c.net()
	if err != nil {
		return nil, err
	}
	return nil, n.AddNode(addr, cmd)
}

func disconnectNode(c *call) (any, error) {
	addr, err := c.params.String(0, "")
	if err != nil {
		return nil, err
	}
	id, err := c.params.Int(1, -1)
	if err != nil {
		return nil, err
	}
	if (addr == "") == (id < 0) {
		return nil, Errorf(CodeInvalidParameter, "Only one of address and nodeid should be provided.")
	}
	n, err := c.net()
	if err != nil {
		return nil, err
	}
	return nil, n.DisconnectNode(addr, id)
}

func setLink(c *call) (any, error) {
	peer, err := c.params.String(0, "")
	if err != nil {
		return nil, err
	}
	var spec LinkSpec
	if err := c.params.Object(1, &spec); err != nil {
		return nil, err
	}
	if spec.DelayMS < 0 || spec.JitterMS < 0 || spec.BandwidthBPS < 0 || spec.Loss < 0 || spec.Loss > 1 || math.IsNaN(spec.Loss) {
		return nil, Errorf(CodeInvalidParameter, "setlink: delays and bandwidth must be >= 0 and loss in [0,1]")
	}
	n, err := c.net()
	if err != nil {
		return nil, err
	}
	return nil, n.SetLink(peer, spec)
}

func getLinks(c *call) (any, error) {
	n, err := c.net()
	if err != nil {
		return nil, err
	}
	l := n.Links()
	if l == nil {
		l = []LinkInfo{}
	}
	return l, nil
}

func setPartition(c *call) (any, error) {
	peers, err := c.params.Strings(0)
	if err != nil {
		return nil, err
	}
	n, err := c.net()
	if err != nil {
		return nil, err
	}
	return nil, n.SetPartition(peers)
}

// ConsensusInfo is getconsensusinfo.
type ConsensusInfo struct {
	Engine           string             `json:"engine"`
	Network          string             `json:"network"`
	GenesisHash      string             `json:"genesishash"`
	GenesisTime      int64              `json:"genesistime"`
	Subsidy          Amount             `json:"subsidy"`
	HalvingInterval  uint64             `json:"halving_interval"`
	CoinbaseMaturity uint64             `json:"coinbase_maturity"`
	FinalityDepth    uint64             `json:"finality_depth"`
	MaxBlockSize     uint32             `json:"max_block_size"`
	PoW              *genesis.PoWParams `json:"pow,omitempty"`
	PoS              *PoSInfo           `json:"pos,omitempty"`
}

// PoSInfo is the PoS part of getconsensusinfo (without the initial validator list).
type PoSInfo struct {
	SlotMillis        int64  `json:"slot_ms"`
	EpochSlots        uint64 `json:"epoch_slots"`
	MinStake          Amount `json:"min_stake"`
	ActivationDelay   uint64 `json:"activation_delay"`
	ExitDelay         uint64 `json:"exit_delay"`
	UnbondingEpochs   uint64 `json:"unbonding_epochs"`
	MaxVotesPerBlock  uint32 `json:"max_votes_per_block"`
	InitialValidators int    `json:"initial_validators"`
}

func getConsensusInfo(c *call) (any, error) {
	ch := c.s.cfg.Chain
	p := ch.Params()
	r := &ConsensusInfo{
		Engine: p.Consensus, Network: p.Network, GenesisHash: ch.GenesisHash().String(), GenesisTime: p.Time,
		Subsidy: Amount(p.Subsidy), HalvingInterval: p.HalvingInterval, CoinbaseMaturity: p.CoinbaseMaturity,
		FinalityDepth: p.FinalityDepth, MaxBlockSize: p.MaxBlockSize, PoW: p.PoW,
	}
	if q := p.PoS; q != nil {
		r.PoS = &PoSInfo{SlotMillis: q.SlotMillis, EpochSlots: q.EpochSlots, MinStake: Amount(q.MinStake),
			ActivationDelay: q.ActivationDelay, ExitDelay: q.ExitDelay, UnbondingEpochs: q.UnbondingEpochs,
			MaxVotesPerBlock: q.MaxVotesPerBlock, InitialValidators: len(q.Validators)}
	}
	return r, nil
}

// CheckpointResult is an FFG checkpoint.
type CheckpointResult struct {
	Epoch uint64 `json:"epoch"`
	Root  string `json:"root"`
}

// FinalityResult is getfinality: one shape for both engines.
type FinalityResult struct {
	Engine    string            `json:"engine"`
	Hash      string            `json:"hash"`   // latest final block
	Height    uint64            `json:"height"` // its height
	Absolute  bool              `json:"absolute"`
	Depth     uint64            `json:"depth"` // tip height - final height
	TipHash   string            `json:"tiphash"`
	TipHeight uint64            `json:"tipheight"`
	Finalized *CheckpointResult `json:"finalized,omitempty"` // PoS
	Justified *CheckpointResult `json:"justified,omitempty"` // PoS
}

func getFinality(c *call) (any, error) {
	ch := c.s.cfg.Chain
	tip, height := ch.Tip()
	f := ch.Finality()
	r := &FinalityResult{Engine: ch.Params().Consensus, Hash: f.Hash.String(), Height: f.Height, Absolute: f.Absolute,
		TipHash: tip.String(), TipHeight: height}
	if height >= f.Height {
		r.Depth = height - f.Height
	}
	if ch.Params().PoS != nil {
		r.Finalized = &CheckpointResult{Epoch: f.Finalized.Epoch, Root: f.Finalized.Root.String()}
		r.Justified = &CheckpointResult{Epoch: f.Justified.Epoch, Root: f.Justified.Root.String()}
	}
	return r, nil
}

func getValidators(c *call) (any, error) {
	st, err := c.staking()
	if err != nil {
		return nil, err
	}
	v, err := st.Validators()
	if v == nil && err == nil {
		v = []ValidatorInfo{}
	}
	return v, err
}

// ProposerResult is getproposer.
type ProposerResult struct {
	Slot     uint64 `json:"slot"`
	Epoch    uint64 `json:"epoch"`
	Proposer string `json:"proposer"`
}

func getProposer(c *call) (any, error) {
	slot, err := c.params.Uint(0, 0)
	if err != nil {
		return nil, err
	}
	st, err := c.staking()
	if err != nil {
		return nil, err
	}
	key, err := st.Proposer(slot)
	if err != nil {
		return nil, err
	}
	r := &ProposerResult{Slot: slot, Proposer: hex.EncodeToString(key[:])}
	if p := c.s.cfg.Chain.Params().PoS; p != nil && p.EpochSlots > 0 {
		r.Epoch = slot / p.EpochSlots
	}
	return r, nil
}

func getStakingInfo(c *call) (any, error) {
	st, err := c.staking()
	if err != nil {
		return nil, err
	}
	info, err := st.Info()
	if err != nil {
		return nil, err
	}
	if info.LocalValidators == nil {
		info.LocalValidators = []string{}
	}
	return &info, nil
}

func registerValidator(c *call) (any, error) {
	raw, err := c.params.Hex(0)
	if err != nil {
		return nil, err
	}
	if len(raw) != 32 {
		return nil, Errorf(CodeInvalidAddrOrKey, "Invalid private key: want 32 bytes, got %d", len(raw))
	}
	st, err := c.staking()
	if err != nil {
		return nil, err
	}
	reg, ok := st.(ValidatorRegistrar)
	if !ok {
		return nil, fmt.Errorf("registervalidator: %w", ErrUnavailable)
	}
	key, err := reg.RegisterValidator(raw)
	if err != nil {
		return nil, err
	}
	return hex.EncodeToString(key[:]), nil
}

// UnspentResult is one listunspent entry.
type UnspentResult struct {
	TxID          string       `json:"txid"`
	Vout          uint32       `json:"vout"`
	Address       string       `json:"address"`
	Amount        Amount       `json:"amount"`
	Confirmations uint64       `json:"confirmations"`
	Height        uint64       `json:"height"`
	Coinbase      bool         `json:"coinbase"`
	Spendable     bool         `json:"spendable"` // mature (coinbase) and not a locked stake
	ScriptPubKey  ScriptResult `json:"scriptPubKey"`
}

func (s *Server) unspent(key [32]byte, addr string, minConf, maxConf uint64, out []UnspentResult) ([]UnspentResult, error) {
	ch := s.cfg.Chain
	ops, err := ch.AddressCoins(key)
	if err != nil {
		return nil, err
	}
	_, tip := ch.Tip()
	p := ch.Params()
	for _, op := range ops {
		coin, err := ch.Coin(op)
		if err != nil {
			return nil, err
		}
		if coin == nil {
			continue
		}
		conf := tip - coin.Height + 1
		if conf < minConf || conf > maxConf {
			continue
		}
		// Spendable in the next block (chain's rule: spend height - coin height >= maturity).
		spendable := (!coin.Coinbase || tip+1-coin.Height >= p.CoinbaseMaturity) && coin.Out.Lock.Kind == chain.LockPay
		out = append(out, UnspentResult{TxID: op.TxID.String(), Vout: op.Index, Address: addr, Amount: Amount(coin.Out.Value),
			Confirmations: conf, Height: coin.Height, Coinbase: coin.Coinbase, Spendable: spendable,
			ScriptPubKey: lockView(p.AddressPrefix, coin.Out.Lock)})
	}
	return out, nil
}

func getBalance(c *call) (any, error) {
	key, err := c.addressParam(0)
	if err != nil {
		return nil, err
	}
	minConf, err := c.params.Uint(1, 0)
	if err != nil {
		return nil, err
	}
	addr, _ := c.params.String(0, "")
	utxos, err := c.s.unspent(key, addr, minConf, math.MaxUint64, nil)
	if err != nil {
		return nil, err
	}
	var sum Amount
	for _, u := range utxos {
		sum += u.Amount
	}
	return sum, nil
}

func listUnspent(c *call) (any, error) {
	minConf, err := c.params.Uint(0, 1)
	if err != nil {
		return nil, err
	}
	maxConf, err := c.params.Uint(1, 9999999)
	if err != nil {
		return nil, err
	}
	addrs, err := c.params.Strings(2)
	if err != nil {
		return nil, err
	}
	out := []UnspentResult{}
	seen := map[string]bool{}
	for _, a := range addrs {
		if seen[a] {
			return nil, Errorf(CodeInvalidParameter, "Invalid parameter, duplicated address: %s", a)
		}
		seen[a] = true
		key, aerr := address.Decode(c.s.hrp(), a)
		if aerr != nil {
			return nil, Errorf(CodeInvalidAddrOrKey, "Invalid address: %v", aerr)
		}
		if out, err = c.s.unspent(key, a, minConf, maxConf, out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// BlockTimingResult is getblocktiming.
type BlockTimingResult struct {
	Hash          string `json:"hash"`
	Height        uint64 `json:"height"`
	Time          uint32 `json:"time"`        // header time
	Received      int64  `json:"received_ms"` // unix milliseconds this node first saw it
	FirstPeer     string `json:"first_peer"`  // "" if produced locally
	Local         bool   `json:"local"`       // produced by this node
	MainChain     bool   `json:"in_active_chain"`
	PropagationMS int64  `json:"propagation_ms"` // received - header time (clock-skew sensitive)
}

func getBlockTiming(c *call) (any, error) {
	hash, err := c.params.Hash(0)
	if err != nil {
		return nil, err
	}
	if c.s.cfg.BlockStats == nil {
		return nil, fmt.Errorf("getblocktiming: block stats are %w", ErrUnavailable)
	}
	hdr, err := c.s.lookupHeader(hash)
	if err != nil {
		return nil, err
	}
	t, ok := c.s.cfg.BlockStats.BlockTiming(hash)
	if !ok {
		return nil, Errorf(CodeInvalidAddrOrKey, "No timing recorded for block %s", hash)
	}
	height, _ := c.s.cfg.Chain.Height(hash)
	return &BlockTimingResult{Hash: hash.String(), Height: height, Time: hdr.Time, Received: t.Received.UnixMilli(),
		FirstPeer: t.FirstPeer, Local: t.Local, MainChain: c.s.cfg.Chain.IsMainChain(hash),
		PropagationMS: t.Received.UnixMilli() - int64(hdr.Time)*1000}, nil
}
