package lab

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math"
	"math/big"
	"strconv"
	"strings"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"

	"chainlab/address"
	"chainlab/genesis"
)

func parseBits(s string) (uint32, error) {
	v, err := strconv.ParseUint(strings.TrimPrefix(strings.ToLower(s), "0x"), 16, 32)
	if err != nil {
		return 0, fmt.Errorf("%q is not hex compact bits like \"1f0fffff\"", s)
	}
	if t, bad := genesis.CompactToBig(uint32(v)); bad || t.Sign() <= 0 {
		return 0, fmt.Errorf("0x%08x is not a positive compact target", v)
	}
	return uint32(v), nil
}

// RunKey derives a deterministic private key for a run: SHA-256("chainlab-lab/" + seed +
// "/" + role + "/" + i). Roles: "validator", "owner", "miner". The same manifest seed
// always gives the same keys, so runs are reproducible and keys need not be stored
// anywhere but the run's key files.
func RunKey(seed int64, role string, i int) *btcec.PrivateKey {
	sum := sha256.Sum256([]byte(fmt.Sprintf("chainlab-lab/%d/%s/%d", seed, role, i)))
	k, _ := btcec.PrivKeyFromBytes(sum[:])
	return k
}

// LoadKey is the i-th load key: genesis.DevKey("alloc", i), which the presets fund.
func LoadKey(i int) *btcec.PrivateKey { return genesis.DevKey("alloc", i) }

// KeyHex is the hex of a private key's 32 bytes (the format of the lab's key files).
func KeyHex(k *btcec.PrivateKey) string { return hex.EncodeToString(k.Serialize()) }

// bitsForHashRate returns compact bits whose expected work per block is totalHPS·spacing
// hashes: target = 2^256 / (H·T) − 1, clamped to the pow-dev limit.
func bitsForHashRate(totalHPS float64, spacing time.Duration, limitBits uint32) uint32 {
	work := totalHPS * spacing.Seconds()
	if work < 2 {
		return limitBits
	}
	num := new(big.Int).Lsh(big.NewInt(1), 256)
	w, _ := new(big.Float).SetFloat64(math.Round(work)).Int(nil)
	t := num.Div(num, w)
	t.Sub(t, big.NewInt(1))
	lim, _ := genesis.CompactToBig(limitBits)
	if t.Cmp(lim) > 0 {
		return limitBits
	}
	return bigToCompact(t)
}

// bigToCompact is Bitcoin's GetCompact for a positive target.
func bigToCompact(n *big.Int) uint32 {
	size := uint32(len(n.Bytes()))
	var mant uint32
	if size <= 3 {
		mant = uint32(n.Uint64()) << (8 * (3 - size))
	} else {
		mant = uint32(new(big.Int).Rsh(n, uint(8*(size-3))).Uint64())
	}
	if mant&0x00800000 != 0 {
		mant >>= 8
		size++
	}
	return size<<24 | mant
}

// allocsPerKey is how many separate genesis outputs each load key gets, so every load
// transaction spends its own confirmed output and none depends on another.
func allocsPerKey(m *Manifest) int {
	run := m.Duration.Duration
	if run == 0 {
		run = time.Duration(float64(m.Blocks)*1.5) * m.targetInterval()
	}
	need := int(m.Load.Rate*run.Seconds()*1.3)/m.Load.Keys + 4
	return min(max(need, 4), 4000/m.Load.Keys)
}

func (m *Manifest) targetInterval() time.Duration {
	if m.Consensus == "pow" {
		return m.PoW.TargetSpacing.Duration
	}
	return m.PoS.Slot.Duration
}

// BuildGenesis writes the run's genesis: a copy of the pow-dev or pos-dev preset with the
// manifest's parameters, genesis time `now` (so PoW difficulty adjustment and the PoS slot
// clock start at the run), many small allocations to the load keys, and (PoS) one
// validator per staking node keyed by RunKey(seed, "validator", i).
func BuildGenesis(m *Manifest, plan *Plan, now time.Time) (*genesis.Params, error) {
	var p *genesis.Params
	if m.Consensus == "pow" {
		p = genesis.PowDev()
		var total float64
		for _, n := range plan.Nodes {
			total += n.HashRate
		}
		p.PoW.TargetSpacing = int64(m.PoW.TargetSpacing.Seconds())
		p.PoW.Algorithm = m.PoW.Algorithm
		p.PoW.HalfLife = int64(m.PoW.HalfLife.Seconds())
		p.PoW.RetargetWindow = m.PoW.RetargetWindow
		if m.PoW.Algorithm != genesis.AlgoBitcoin {
			p.PoW.RetargetWindow = 0
		}
		if m.PoW.Algorithm != genesis.AlgoASERT {
			p.PoW.HalfLife = 0
		}
		if m.PoW.InitialBits != "" {
			b, err := parseBits(m.PoW.InitialBits)
			if err != nil {
				return nil, keyErr("pow.initial_bits", "%v", err)
			}
			p.PoW.InitialBits = b
		} else {
			p.PoW.InitialBits = bitsForHashRate(total, m.PoW.TargetSpacing.Duration, p.PoW.PowLimitBits)
		}
	} else {
		p = genesis.PosDev(0)
		p.PoS.SlotMillis = m.PoS.Slot.Milliseconds()
		p.PoS.EpochSlots = m.PoS.EpochSlots
		p.PoS.InactivityLeak = *m.PoS.InactivityLeak
		p.PoS.InactivityThreshold = m.PoS.InactivityAfter
		p.PoS.MinStake = uint64(m.PoS.MinStake * genesis.Coin)
		p.PoS.Validators = nil
		for _, n := range plan.Nodes {
			if n.Stake <= 0 {
				continue
			}
			vk := genesis.XOnly(RunKey(m.Seed, "validator", n.Index))
			p.PoS.Validators = append(p.PoS.Validators, genesis.Validator{
				Key:   hex.EncodeToString(vk[:]),
				Owner: address.MustEncode(p.AddressPrefix, genesis.XOnly(RunKey(m.Seed, "owner", n.Index))),
				Stake: uint64(n.Stake * genesis.Coin),
			})
		}
	}
	p.Network = fmt.Sprintf("lab-%s-%d", m.Consensus, m.Seed)
	p.Time = now.Unix()
	p.CoinbaseMaturity = *m.Chain.CoinbaseMaturity
	p.FinalityDepth = m.Chain.FinalityDepth
	p.MaxBlockSize = m.Chain.MaxBlockSize
	p.Allocations = nil
	per := allocsPerKey(m)
	for i := 0; i < m.Load.Keys; i++ {
		addr := address.MustEncode(p.AddressPrefix, genesis.XOnly(LoadKey(i)))
		for j := 0; j < per; j++ {
			p.Allocations = append(p.Allocations, genesis.Allocation{Address: addr, Amount: 10 * genesis.Coin})
		}
	}
	for _, sf := range stakeFunds(m, plan) {
		p.Allocations = append(p.Allocations, genesis.Allocation{
			Address: address.MustEncode(p.AddressPrefix, genesis.XOnly(sf.Funder)), Amount: sf.Amount + genesis.Coin})
	}
	if err := p.Validate(); err != nil {
		return nil, fmt.Errorf("lab: run genesis: %w", err)
	}
	return p, nil
}

// stakeFund is the funding of one node's part of a `stake` fault: a genesis allocation
// to Funder (Amount + 1 coin for the fee) that the fault spends into a stake output
// bonding the new validator key Validator, which the node is started with.
type stakeFund struct {
	Fault, Node int
	Amount      uint64 // base units bonded
	Funder      *btcec.PrivateKey
	Validator   *btcec.PrivateKey
	Output      uint32 // index in the genesis coinbase
}

// stakeFunds lists the stake-fault fundings in genesis output order (after the load
// allocations).
func stakeFunds(m *Manifest, plan *Plan) []stakeFund {
	if m.Consensus != "pos" {
		return nil
	}
	var out []stakeFund
	idx := uint32(m.Load.Keys * allocsPerKey(m))
	for fi, f := range m.Faults {
		if f.Action != FaultStake || f.Stake == nil {
			continue
		}
		nodes, _ := plan.ResolveNodes(f.Nodes)
		for _, n := range nodes {
			id := fi*1000 + n
			out = append(out, stakeFund{Fault: fi, Node: n, Amount: uint64(*f.Stake * genesis.Coin),
				Funder: RunKey(m.Seed, "funder", id), Validator: RunKey(m.Seed, "validator-extra", id), Output: idx})
			idx++
		}
	}
	return out
}

// chainWork returns the expected number of hashes for compact bits (2^256/(target+1)).
func chainWork(bits uint32) float64 {
	t, _ := genesis.CompactToBig(bits)
	num := new(big.Int).Lsh(big.NewInt(1), 256)
	f, _ := new(big.Float).SetInt(num.Div(num, t.Add(t, big.NewInt(1)))).Float64()
	return f
}
