package rpc

import (
	"encoding/hex"
	"fmt"
	"math/big"

	"chainlab/address"
	"chainlab/chain"
	"chainlab/genesis"
)

// JSON views of chain types, with Bitcoin Core's field names where the concept exists.
// The client decodes into the same types.

// HeaderResult is getblockheader verbose (and the common part of getblock).
type HeaderResult struct {
	Hash              string  `json:"hash"`
	Confirmations     int64   `json:"confirmations"` // -1 off the main chain
	Height            uint64  `json:"height"`
	Version           uint32  `json:"version"`
	VersionHex        string  `json:"versionHex"`
	MerkleRoot        string  `json:"merkleroot"`
	Time              uint32  `json:"time"`
	MedianTime        uint32  `json:"mediantime"`
	Nonce             uint32  `json:"nonce"`
	Bits              string  `json:"bits"`
	Difficulty        float64 `json:"difficulty"`
	ChainWork         string  `json:"chainwork"`
	NTx               int     `json:"nTx"`
	PreviousBlockHash string  `json:"previousblockhash,omitempty"`
	NextBlockHash     string  `json:"nextblockhash,omitempty"`
	// PoS seal (chainlab).
	Slot     *uint64 `json:"slot,omitempty"`
	Proposer string  `json:"proposer,omitempty"`
	VoteRoot string  `json:"voteroot,omitempty"`
}

// BlockSizes are the size fields of getblock.
type BlockSizes struct {
	Size         int `json:"size"`
	StrippedSize int `json:"strippedsize"` // without witnesses
	Weight       int `json:"weight"`       // strippedsize*3 + size, as BIP-141
	NVotes       int `json:"nVotes"`       // PoS votes carried
	NSlashings   int `json:"nSlashings"`   // PoS slashing evidence carried
}

// BlockResult is getblock verbosity 1: Tx holds the txids.
type BlockResult struct {
	HeaderResult
	BlockSizes
	Tx []string `json:"tx"`
}

// BlockTxsResult is getblock verbosity 2: Tx holds the decoded transactions.
type BlockTxsResult struct {
	HeaderResult
	BlockSizes
	Tx []TxResult `json:"tx"`
}

// TxResult is decoderawtransaction and getrawtransaction verbose.
type TxResult struct {
	TxID          string       `json:"txid"`
	Hash          string       `json:"hash"` // hash of the full serialization (witnesses included)
	Version       uint32       `json:"version"`
	Size          int          `json:"size"`
	VSize         int          `json:"vsize"`
	Weight        int          `json:"weight"`
	LockTime      uint64       `json:"locktime"`
	Vin           []VinResult  `json:"vin"`
	Vout          []VoutResult `json:"vout"`
	Hex           string       `json:"hex,omitempty"`
	BlockHash     string       `json:"blockhash,omitempty"`
	Confirmations int64        `json:"confirmations,omitempty"`
	Time          uint32       `json:"time,omitempty"`
	BlockTime     uint32       `json:"blocktime,omitempty"`
	InActiveChain *bool        `json:"in_active_chain,omitempty"`
}

// VinResult is one input.
type VinResult struct {
	Coinbase    string   `json:"coinbase,omitempty"`
	TxID        string   `json:"txid,omitempty"`
	Vout        *uint32  `json:"vout,omitempty"`
	TxInWitness []string `json:"txinwitness,omitempty"`
}

// VoutResult is one output.
type VoutResult struct {
	Value        Amount       `json:"value"`
	N            int          `json:"n"`
	ScriptPubKey ScriptResult `json:"scriptPubKey"`
}

// ScriptResult describes an output lock in Core's scriptPubKey slot.
type ScriptResult struct {
	Type      string `json:"type"` // pay | stake | unbonding
	Address   string `json:"address,omitempty"`
	Hex       string `json:"hex"`                 // canonical lock encoding
	Validator string `json:"validator,omitempty"` // stake/unbonding: validator key hex
	Owner     string `json:"owner,omitempty"`     // stake/unbonding: owner address
	Release   uint64 `json:"release_epoch,omitempty"`
}

func (s *Server) hrp() string { return s.cfg.Chain.Params().AddressPrefix }

func lockView(hrp string, l chain.Lock) ScriptResult {
	r := ScriptResult{Type: l.Kind.String(), Hex: hex.EncodeToString(l.AppendTo(nil))}
	switch l.Kind {
	case chain.LockPay:
		r.Address, _ = address.Encode(hrp, l.Key)
	default:
		r.Validator = hex.EncodeToString(l.Key[:])
		r.Owner, _ = address.Encode(hrp, l.Owner)
		r.Address = r.Owner
		r.Release = l.Release
	}
	return r
}

func txView(hrp string, tx *chain.Tx) TxResult {
	full := tx.Bytes()
	base := tx.SerializeSize() - witnessBytes(tx)
	r := TxResult{
		TxID:     tx.TxID().String(),
		Hash:     chain.DoubleSHA256(full).String(),
		Version:  tx.Version,
		Size:     len(full),
		LockTime: tx.LockTime,
		Vin:      make([]VinResult, len(tx.Inputs)),
		Vout:     make([]VoutResult, len(tx.Outputs)),
	}
	r.Weight = base*3 + len(full)
	r.VSize = (r.Weight + 3) / 4
	for i, in := range tx.Inputs {
		if in.Prev.IsNull() {
			r.Vin[i] = VinResult{Coinbase: hex.EncodeToString(in.Data)}
			continue
		}
		idx := in.Prev.Index
		r.Vin[i] = VinResult{TxID: in.Prev.TxID.String(), Vout: &idx}
		if len(in.Witness) > 0 {
			r.Vin[i].TxInWitness = []string{hex.EncodeToString(in.Witness)}
		}
	}
	for i, out := range tx.Outputs {
		r.Vout[i] = VoutResult{Value: Amount(out.Value), N: i, ScriptPubKey: lockView(hrp, out.Lock)}
	}
	return r
}

func witnessBytes(tx *chain.Tx) int {
	n := 0
	for _, in := range tx.Inputs {
		n += len(in.Witness)
	}
	return n
}

// difficulty is pow-limit target / target, as Bitcoin's GetDifficulty (0 for PoS).
func difficulty(p *genesis.Params, bits uint32) float64 {
	if p.PoW == nil || bits == 0 {
		return 0
	}
	limit, _ := genesis.CompactToBig(p.PoW.PowLimitBits)
	t, bad := genesis.CompactToBig(bits)
	if bad || t.Sign() <= 0 {
		return 0
	}
	f, _ := new(big.Float).Quo(new(big.Float).SetInt(limit), new(big.Float).SetInt(t)).Float64()
	return f
}

func (s *Server) headerView(h *chain.Header, hash chain.Hash) (HeaderResult, error) {
	c := s.cfg.Chain
	height, ok := c.Height(hash)
	if !ok {
		return HeaderResult{}, Errorf(CodeInvalidAddrOrKey, "Block not found")
	}
	_, tipHeight := c.Tip()
	r := HeaderResult{
		Hash:          hash.String(),
		Height:        height,
		Version:       h.Version,
		VersionHex:    fmt.Sprintf("%08x", h.Version),
		MerkleRoot:    h.MerkleRoot.String(),
		Time:          h.Time,
		Nonce:         h.Nonce,
		Bits:          fmt.Sprintf("%08x", h.Bits),
		Difficulty:    difficulty(c.Params(), h.Bits),
		ChainWork:     "0000000000000000000000000000000000000000000000000000000000000000",
		Confirmations: -1,
	}
	if c.IsMainChain(hash) {
		r.Confirmations = int64(tipHeight-height) + 1
		if next, ok := c.HashAt(height + 1); ok {
			r.NextBlockHash = next.String()
		}
	}
	if mtp, err := c.MedianTimePast(hash); err == nil {
		r.MedianTime = mtp
	}
	if w, ok := c.Work(hash); ok {
		r.ChainWork = fmt.Sprintf("%064x", w)
	}
	if !h.Prev.IsZero() || height > 0 {
		r.PreviousBlockHash = h.Prev.String()
	}
	if h.Seal != nil {
		slot := h.Seal.Slot
		r.Slot = &slot
		r.Proposer = hex.EncodeToString(h.Seal.Proposer[:])
		r.VoteRoot = h.Seal.VoteRoot.String()
	}
	return r, nil
}
