package genesis

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/big"
	"os"
	"time"
)

// Coin is the number of base units in one coin.
const Coin = 100_000_000

// MaxMoney is the most base units that can ever exist (Bitcoin's 21 million coins); no
// output, allocation or stake may exceed it.
const MaxMoney = 21_000_000 * Coin

// Consensus engine names.
const (
	PoW = "pow"
	PoS = "pos"
)

// Difficulty algorithm names for PoW.
const (
	AlgoBitcoin = "bitcoin" // Bitcoin's 2016-block-style window retarget, x4 clamp
	AlgoASERT   = "asert"   // aserti3-2d, per-block
	AlgoFixed   = "fixed"   // constant difficulty
)

// Params is a validated genesis specification. Treat it as read-only after Parse.
type Params struct {
	Network          string       `json:"network"`
	AddressPrefix    string       `json:"address_prefix"`
	Magic            uint32       `json:"magic"`
	Time             int64        `json:"time"` // unix seconds; genesis block timestamp and slot 0 for PoS
	Consensus        string       `json:"consensus"`
	PoW              *PoWParams   `json:"pow,omitempty"`
	PoS              *PoSParams   `json:"pos,omitempty"`
	Subsidy          uint64       `json:"subsidy"`           // base units per block before halvings
	HalvingInterval  uint64       `json:"halving_interval"`  // blocks; 0 = never halve
	CoinbaseMaturity uint64       `json:"coinbase_maturity"` // blocks
	FinalityDepth    uint64       `json:"finality_depth"`    // PoW k-deep finality (default 6)
	MaxBlockSize     uint32       `json:"max_block_size"`    // bytes of the encoded block
	MaxFutureDrift   int64        `json:"max_future_drift"`  // seconds a header time may lead `now`
	Allocations      []Allocation `json:"allocations"`
	Extra            string       `json:"extra,omitempty"` // free text put in the genesis coinbase
}

// Allocation credits Amount base units to Address in the genesis block.
type Allocation struct {
	Address string `json:"address"`
	Amount  uint64 `json:"amount"`
}

// PoWParams are the proof-of-work parameters.
type PoWParams struct {
	InitialBits    uint32 `json:"initial_bits"`
	PowLimitBits   uint32 `json:"pow_limit_bits"`  // compact form of the easiest allowed target
	TargetSpacing  int64  `json:"target_spacing"`  // seconds
	Algorithm      string `json:"algorithm"`       // bitcoin | asert | fixed
	RetargetWindow uint64 `json:"retarget_window"` // blocks (bitcoin algorithm)
	HalfLife       int64  `json:"half_life"`       // seconds (asert)
}

// PoSParams are the proof-of-stake parameters.
type PoSParams struct {
	SlotMillis          int64       `json:"slot_ms"`
	EpochSlots          uint64      `json:"epoch_slots"`
	Validators          []Validator `json:"validators"`
	MinStake            uint64      `json:"min_stake"`
	ActivationDelay     uint64      `json:"activation_delay"` // epochs from bonding to active
	ExitDelay           uint64      `json:"exit_delay"`       // epochs from unbond to inactive
	UnbondingEpochs     uint64      `json:"unbonding_epochs"` // epochs from unbond to spendable
	MaxVotesPerBlock    uint32      `json:"max_votes_per_block"`
	SlotDriftMillis     int64       `json:"slot_drift_ms"` // how far ahead of now a slot may be
	ProposerVoteReward  uint64      `json:"proposer_vote_reward"`
	VoterReward         uint64      `json:"voter_reward"`
	SlashPenaltyPercent uint64      `json:"slash_penalty_percent"`
	WhistleblowerPct    uint64      `json:"whistleblower_percent"` // of the burned amount
	InactivityLeak      bool        `json:"inactivity_leak"`
	InactivityThreshold uint64      `json:"inactivity_threshold"`  // epochs without finality before the leak
	InactivityPenaltyBP uint64      `json:"inactivity_penalty_bp"` // basis points of stake per epoch
}

// Validator is an initial, already-active validator.
type Validator struct {
	Key   string `json:"key"`   // 32-byte x-only public key, hex (signs blocks and votes)
	Owner string `json:"owner"` // address that owns the stake
	Stake uint64 `json:"stake"`
}

// SlotDuration is the PoS slot length.
func (p *PoSParams) SlotDuration() time.Duration {
	return time.Duration(p.SlotMillis) * time.Millisecond
}

// GenesisTime returns the genesis time.
func (p *Params) GenesisTime() time.Time { return time.Unix(p.Time, 0) }

// BlockSubsidy returns the subsidy at height h.
func (p *Params) BlockSubsidy(h uint64) uint64 {
	if p.HalvingInterval == 0 {
		return p.Subsidy
	}
	n := h / p.HalvingInterval
	if n >= 64 {
		return 0
	}
	return p.Subsidy >> n
}

// Parse decodes and validates a JSON genesis spec. Unknown fields are errors.
func Parse(data []byte) (*Params, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var p Params
	if err := dec.Decode(&p); err != nil {
		return nil, wrapJSON(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, &Error{Field: "", Msg: "trailing data after the genesis object"}
	}
	p.applyDefaults()
	if err := p.Validate(); err != nil {
		return nil, err
	}
	return &p, nil
}

// Load reads a genesis file, or returns a preset when name is "pow-dev" or "pos-dev".
func Load(nameOrPath string) (*Params, error) {
	if p, ok := Preset(nameOrPath); ok {
		return p, nil
	}
	data, err := os.ReadFile(nameOrPath)
	if err != nil {
		return nil, fmt.Errorf("genesis: %w", err)
	}
	p, err := Parse(data)
	if err != nil {
		return nil, fmt.Errorf("genesis %s: %w", nameOrPath, err)
	}
	return p, nil
}

// Marshal returns the canonical indented JSON of p.
func (p *Params) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(p, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// Clone returns a deep copy.
func (p *Params) Clone() *Params {
	b, _ := json.Marshal(p)
	var q Params
	_ = json.Unmarshal(b, &q)
	return &q
}

func (p *Params) applyDefaults() {
	if p.FinalityDepth == 0 {
		p.FinalityDepth = 6
	}
	if p.MaxBlockSize == 0 {
		p.MaxBlockSize = 1 << 20
	}
	if p.MaxFutureDrift == 0 {
		p.MaxFutureDrift = 2 * 60 * 60
	}
	if p.PoW != nil {
		if p.PoW.PowLimitBits == 0 {
			p.PoW.PowLimitBits = p.PoW.InitialBits
		}
		if p.PoW.Algorithm == AlgoBitcoin && p.PoW.RetargetWindow == 0 {
			p.PoW.RetargetWindow = 2016
		}
		if p.PoW.Algorithm == AlgoASERT && p.PoW.HalfLife == 0 {
			p.PoW.HalfLife = 2 * 24 * 60 * 60
		}
	}
	if p.PoS != nil {
		if p.PoS.MaxVotesPerBlock == 0 {
			p.PoS.MaxVotesPerBlock = 1024
		}
		if p.PoS.SlotDriftMillis == 0 {
			p.PoS.SlotDriftMillis = 500
		}
	}
}

// CompactToBig converts a compact-bits value to the target it encodes (Bitcoin's SetCompact).
// The second result reports a negative or overflowing encoding.
func CompactToBig(bits uint32) (*big.Int, bool) {
	mant := bits & 0x007fffff
	neg := bits&0x00800000 != 0
	exp := uint(bits >> 24)
	var n *big.Int
	if exp <= 3 {
		mant >>= 8 * (3 - exp)
		n = big.NewInt(int64(mant))
	} else {
		n = big.NewInt(int64(mant))
		n.Lsh(n, 8*(exp-3))
	}
	overflow := mant != 0 && (exp > 34 || (mant > 0xff && exp > 33) || (mant > 0xffff && exp > 32))
	return n, (neg && mant != 0) || overflow
}
