package genesis

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/btcsuite/btcd/btcec/v2"
	"github.com/btcsuite/btcd/btcec/v2/schnorr"

	"chainlab/address"
)

// DevTime is the fixed genesis time of the presets (2026-01-01T00:00:00Z) so that a preset
// always yields the same genesis hash. Tools that want a fresh PoS clock (the lab) copy a
// preset and set Time.
const DevTime = 1767225600

// DevKey returns the i-th deterministic development private key of a role ("alloc",
// "validator", "owner"): SHA-256("chainlab-dev/" + role + "/" + i). These keys are public
// knowledge; they exist so that presets and tests have funded, known keys.
func DevKey(role string, i int) *btcec.PrivateKey {
	sum := sha256.Sum256([]byte(fmt.Sprintf("chainlab-dev/%s/%d", role, i)))
	k, _ := btcec.PrivKeyFromBytes(sum[:])
	return k
}

// XOnly returns the BIP-340 x-only public key of k.
func XOnly(k *btcec.PrivateKey) [32]byte {
	var out [32]byte
	copy(out[:], schnorr.SerializePubKey(k.PubKey()))
	return out
}

// Preset returns a copy of a named preset: "pow-dev" or "pos-dev".
func Preset(name string) (*Params, bool) {
	switch name {
	case "pow-dev":
		return PowDev(), true
	case "pos-dev":
		return PosDev(4), true
	}
	return nil, false
}

// PresetNames lists the preset names.
func PresetNames() []string { return []string{"pow-dev", "pos-dev"} }

func devAllocations(prefix string, n int, amount uint64) []Allocation {
	out := make([]Allocation, n)
	for i := range out {
		out[i] = Allocation{Address: address.MustEncode(prefix, XOnly(DevKey("alloc", i))), Amount: amount}
	}
	return out
}

// PowDev is the local proof-of-work preset: ASERT with 5 s spacing, easy genesis bits.
func PowDev() *Params {
	p := &Params{
		Network:          "pow-dev",
		AddressPrefix:    "clpow",
		Magic:            0xc1a9b0a1,
		Time:             DevTime,
		Consensus:        PoW,
		Subsidy:          50 * Coin,
		HalvingInterval:  210000,
		CoinbaseMaturity: 10,
		FinalityDepth:    6,
		MaxBlockSize:     1 << 20,
		MaxFutureDrift:   2 * 60 * 60,
		Allocations:      devAllocations("clpow", 8, 1000*Coin),
		PoW: &PoWParams{
			InitialBits:   0x1f0fffff,
			PowLimitBits:  0x207fffff,
			TargetSpacing: 5,
			Algorithm:     AlgoASERT,
			HalfLife:      60,
		},
	}
	return p
}

// PosDev is the local proof-of-stake preset with n equal initial validators (DevKey
// "validator" i, owned by DevKey "owner" i): 1 s slots, 8-slot epochs, inactivity leak on.
func PosDev(n int) *Params {
	p := &Params{
		Network:          "pos-dev",
		AddressPrefix:    "clpos",
		Magic:            0xc1a9b0a2,
		Time:             DevTime,
		Consensus:        PoS,
		Subsidy:          50 * Coin,
		HalvingInterval:  210000,
		CoinbaseMaturity: 10,
		FinalityDepth:    6,
		MaxBlockSize:     1 << 20,
		MaxFutureDrift:   2 * 60 * 60,
		Allocations:      devAllocations("clpos", 8, 1000*Coin),
		PoS: &PoSParams{
			SlotMillis:          1000,
			EpochSlots:          8,
			MinStake:            100 * Coin,
			ActivationDelay:     2,
			ExitDelay:           2,
			UnbondingEpochs:     4,
			MaxVotesPerBlock:    1024,
			SlotDriftMillis:     500,
			ProposerVoteReward:  Coin / 100,
			VoterReward:         Coin / 10,
			SlashPenaltyPercent: 50,
			WhistleblowerPct:    10,
			InactivityLeak:      true,
			InactivityThreshold: 4,
			InactivityPenaltyBP: 500,
		},
	}
	for i := 0; i < n; i++ {
		p.PoS.Validators = append(p.PoS.Validators, Validator{
			Key:   hex.EncodeToString(func() []byte { k := XOnly(DevKey("validator", i)); return k[:] }()),
			Owner: address.MustEncode("clpos", XOnly(DevKey("owner", i))),
			Stake: 1000 * Coin,
		})
	}
	return p
}
