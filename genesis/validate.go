package genesis

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"chainlab/address"
)

// Error is a genesis validation error naming the offending field.
type Error struct {
	Field string
	Msg   string
}

func (e *Error) Error() string {
	if e.Field == "" {
		return "genesis: " + e.Msg
	}
	return fmt.Sprintf("genesis: field %q: %s", e.Field, e.Msg)
}

func fieldErr(field, format string, a ...any) error {
	return &Error{Field: field, Msg: fmt.Sprintf(format, a...)}
}

func wrapJSON(err error) error {
	var ute *json.UnmarshalTypeError
	if errors.As(err, &ute) {
		return fieldErr(ute.Field, "wrong type: got JSON %s, want %s", ute.Value, ute.Type)
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return &Error{Msg: fmt.Sprintf("invalid JSON at byte %d: %v", se.Offset, err)}
	}
	msg := err.Error()
	if strings.HasPrefix(msg, "json: unknown field ") {
		name := strings.Trim(strings.TrimPrefix(msg, "json: unknown field "), `"`)
		return fieldErr(name, "unknown field (typo?)")
	}
	return &Error{Msg: msg}
}

// Validate checks every parameter and names the first bad field.
func (p *Params) Validate() error {
	if p.Network == "" {
		return fieldErr("network", "must not be empty")
	}
	if !address.ValidPrefix(p.AddressPrefix) {
		return fieldErr("address_prefix", "%q is not a valid lower-case bech32 prefix", p.AddressPrefix)
	}
	if p.Magic == 0 {
		return fieldErr("magic", "must be non-zero")
	}
	if p.Time <= 0 || p.Time > 0xffffffff {
		return fieldErr("time", "%d is outside 1..2^32-1 unix seconds", p.Time)
	}
	if p.MaxBlockSize < 1000 || p.MaxBlockSize > 32<<20 {
		return fieldErr("max_block_size", "%d is outside 1000..33554432", p.MaxBlockSize)
	}
	if p.MaxFutureDrift < 0 {
		return fieldErr("max_future_drift", "must not be negative")
	}
	if p.Subsidy > MaxMoney {
		return fieldErr("subsidy", "%d is implausibly large", p.Subsidy)
	}
	if p.CoinbaseMaturity > 10000 {
		return fieldErr("coinbase_maturity", "%d is too large", p.CoinbaseMaturity)
	}
	if len(p.Extra) > 64 {
		return fieldErr("extra", "longer than 64 bytes")
	}
	var total uint64
	for i, a := range p.Allocations {
		f := fmt.Sprintf("allocations[%d]", i)
		if _, err := address.Decode(p.AddressPrefix, a.Address); err != nil {
			return fieldErr(f+".address", "%v", err)
		}
		if a.Amount == 0 {
			return fieldErr(f+".amount", "must be positive")
		}
		if a.Amount > MaxMoney || total+a.Amount > MaxMoney {
			return fieldErr(f+".amount", "allocations total more than %d base units (21 million coins)", uint64(MaxMoney))
		}
		total += a.Amount
	}
	switch p.Consensus {
	case PoW:
		if p.PoS != nil {
			return fieldErr("pos", "must be absent when consensus is pow")
		}
		return p.validatePoW()
	case PoS:
		if p.PoW != nil {
			return fieldErr("pow", "must be absent when consensus is pos")
		}
		return p.validatePoS()
	default:
		return fieldErr("consensus", "%q is not pow or pos", p.Consensus)
	}
}

func (p *Params) validatePoW() error {
	w := p.PoW
	if w == nil {
		return fieldErr("pow", "missing for consensus pow")
	}
	lim, bad := CompactToBig(w.PowLimitBits)
	if bad || lim.Sign() <= 0 {
		return fieldErr("pow.pow_limit_bits", "0x%08x is not a positive compact target", w.PowLimitBits)
	}
	init, bad := CompactToBig(w.InitialBits)
	if bad || init.Sign() <= 0 {
		return fieldErr("pow.initial_bits", "0x%08x is not a positive compact target", w.InitialBits)
	}
	if init.Cmp(lim) > 0 {
		return fieldErr("pow.initial_bits", "target is easier than pow_limit_bits")
	}
	if w.TargetSpacing <= 0 || w.TargetSpacing > 86400 {
		return fieldErr("pow.target_spacing", "%d is outside 1..86400 seconds", w.TargetSpacing)
	}
	switch w.Algorithm {
	case AlgoBitcoin:
		if w.RetargetWindow < 2 || w.RetargetWindow > 100000 {
			return fieldErr("pow.retarget_window", "%d is outside 2..100000", w.RetargetWindow)
		}
	case AlgoASERT:
		if w.HalfLife <= 0 || w.HalfLife > 365*86400 {
			return fieldErr("pow.half_life", "%d is outside 1..31536000 seconds", w.HalfLife)
		}
	case AlgoFixed:
	default:
		return fieldErr("pow.algorithm", "%q is not bitcoin, asert or fixed", w.Algorithm)
	}
	return nil
}

func (p *Params) validatePoS() error {
	s := p.PoS
	if s == nil {
		return fieldErr("pos", "missing for consensus pos")
	}
	// Header times are whole seconds and must rise from slot to slot (the median-time
	// rule), so a slot lasts at least one second.
	if s.SlotMillis < 1000 || s.SlotMillis > 3600_000 {
		return fieldErr("pos.slot_ms", "%d is outside 1000..3600000 (header times are whole seconds)", s.SlotMillis)
	}
	if s.EpochSlots < 2 || s.EpochSlots > 1024 {
		return fieldErr("pos.epoch_slots", "%d is outside 2..1024", s.EpochSlots)
	}
	if len(s.Validators) == 0 {
		return fieldErr("pos.validators", "at least one initial validator is required")
	}
	if s.SlashPenaltyPercent > 100 {
		return fieldErr("pos.slash_penalty_percent", "%d > 100", s.SlashPenaltyPercent)
	}
	if s.WhistleblowerPct > 100 {
		return fieldErr("pos.whistleblower_percent", "%d > 100", s.WhistleblowerPct)
	}
	if s.InactivityPenaltyBP > 10000 {
		return fieldErr("pos.inactivity_penalty_bp", "%d > 10000", s.InactivityPenaltyBP)
	}
	if s.SlotDriftMillis < 0 {
		return fieldErr("pos.slot_drift_ms", "must not be negative")
	}
	seen := map[string]bool{}
	for i, v := range s.Validators {
		f := fmt.Sprintf("pos.validators[%d]", i)
		if _, err := ParseKey(v.Key); err != nil {
			return fieldErr(f+".key", "%v", err)
		}
		if seen[v.Key] {
			return fieldErr(f+".key", "duplicate validator key")
		}
		seen[v.Key] = true
		if _, err := address.Decode(p.AddressPrefix, v.Owner); err != nil {
			return fieldErr(f+".owner", "%v", err)
		}
		if v.Stake == 0 || v.Stake < s.MinStake {
			return fieldErr(f+".stake", "%d is below min_stake %d", v.Stake, s.MinStake)
		}
		if v.Stake > MaxMoney {
			return fieldErr(f+".stake", "%d exceeds 21 million coins", v.Stake)
		}
	}
	return nil
}

// ParseKey decodes a 64-hex-character x-only public key.
func ParseKey(s string) ([32]byte, error) {
	var k [32]byte
	b, err := hex.DecodeString(s)
	if err != nil {
		return k, fmt.Errorf("not hex: %v", err)
	}
	if len(b) != 32 {
		return k, fmt.Errorf("%d bytes, want 32", len(b))
	}
	copy(k[:], b)
	return k, nil
}
