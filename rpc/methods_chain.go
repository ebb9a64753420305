package rpc

import (
	"encoding/hex"
	"errors"
	"fmt"
	"sort"

	"chainlab/address"
	"chainlab/chain"
)

func getBlockCount(c *call) (any, error) {
	_, h := c.s.cfg.Chain.Tip()
	return h, nil
}

func getBestBlockHash(c *call) (any, error) {
	h, _ := c.s.cfg.Chain.Tip()
	return hashString(h.String()), nil
}

func getBlockHash(c *call) (any, error) {
	height, err := c.params.Int(0, 0)
	if err != nil {
		return nil, err
	}
	if height < 0 {
		return nil, Errorf(CodeInvalidParameter, "Block height out of range")
	}
	h, ok := c.s.cfg.Chain.HashAt(uint64(height))
	if !ok {
		return nil, Errorf(CodeInvalidParameter, "Block height out of range")
	}
	return hashString(h.String()), nil
}

// lookupHeader returns an indexed header or -5 Block not found.
func (s *Server) lookupHeader(h chain.Hash) (*chain.Header, error) {
	hdr, ok := s.cfg.Chain.Header(h)
	if !ok {
		return nil, Errorf(CodeInvalidAddrOrKey, "Block not found")
	}
	return hdr, nil
}

func (s *Server) lookupBlock(h chain.Hash) (*chain.Block, error) {
	b, err := s.cfg.Chain.Block(h)
	if errors.Is(err, chain.ErrNotFound) {
		if _, ok := s.cfg.Chain.Header(h); ok {
			return nil, Errorf(CodeMisc, "Block not available (header only)")
		}
		return nil, Errorf(CodeInvalidAddrOrKey, "Block not found")
	}
	return b, err
}

func getBlock(c *call) (any, error) {
	hash, err := c.params.Hash(0)
	if err != nil {
		return nil, err
	}
	verbosity := int64(1)
	switch {
	case !c.params.has(1):
	case string(c.params.pos[1]) == "false": // Core still accepts the old bool "verbose"
		verbosity = 0
	case string(c.params.pos[1]) == "true":
		verbosity = 1
	default:
		if verbosity, err = c.params.Int(1, 1); err != nil {
			return nil, err
		}
	}
	if verbosity < 0 || verbosity > 2 {
		return nil, Errorf(CodeInvalidParameter, "verbosity must be 0, 1 or 2")
	}
	if verbosity == 0 {
		raw, err := c.s.cfg.Chain.BlockBytes(hash)
		if errors.Is(err, chain.ErrNotFound) {
			_, err = c.s.lookupBlock(hash)
		}
		if err != nil {
			return nil, err
		}
		return hex.EncodeToString(raw), nil
	}
	blk, err := c.s.lookupBlock(hash)
	if err != nil {
		return nil, err
	}
	hv, err := c.s.headerView(&blk.Header, hash)
	if err != nil {
		return nil, err
	}
	hv.NTx = len(blk.Txs)
	sizes := blockSizes(blk)
	if verbosity == 1 {
		r := &BlockResult{HeaderResult: hv, BlockSizes: sizes, Tx: make([]string, len(blk.Txs))}
		for i, tx := range blk.Txs {
			r.Tx[i] = tx.TxID().String()
		}
		return r, nil
	}
	r := &BlockTxsResult{HeaderResult: hv, BlockSizes: sizes, Tx: make([]TxResult, len(blk.Txs))}
	hrp := c.s.hrp()
	for i, tx := range blk.Txs {
		r.Tx[i] = txView(hrp, tx)
		r.Tx[i].Hex = hex.EncodeToString(tx.Bytes())
	}
	return r, nil
}

func blockSizes(b *chain.Block) BlockSizes {
	size := b.SerializeSize()
	w := 0
	for _, tx := range b.Txs {
		w += witnessBytes(tx)
	}
	return BlockSizes{Size: size, StrippedSize: size - w, Weight: (size-w)*3 + size, NVotes: len(b.Votes), NSlashings: len(b.Slashings)}
}

func getBlockHeader(c *call) (any, error) {
	hash, err := c.params.Hash(0)
	if err != nil {
		return nil, err
	}
	verbose, err := c.params.Bool(1, true)
	if err != nil {
		return nil, err
	}
	hdr, err := c.s.lookupHeader(hash)
	if err != nil {
		return nil, err
	}
	if !verbose {
		// A PoW header is shown as Bitcoin's 80 bytes, so Bitcoin tooling can parse and hash
		// it; a PoS header needs the seal, so it is shown in chainlab's canonical encoding.
		if hdr.Seal == nil {
			return hex.EncodeToString(hdr.AppendHeader80(nil)), nil
		}
		return hex.EncodeToString(hdr.Bytes()), nil
	}
	hv, err := c.s.headerView(hdr, hash)
	if err != nil {
		return nil, err
	}
	if blk, err := c.s.cfg.Chain.Block(hash); err == nil {
		hv.NTx = len(blk.Txs)
	}
	return &hv, nil
}

// BlockchainInfo is getblockchaininfo.
type BlockchainInfo struct {
	Chain                string  `json:"chain"`
	Blocks               uint64  `json:"blocks"`
	Headers              uint64  `json:"headers"`
	BestBlockHash        string  `json:"bestblockhash"`
	Difficulty           float64 `json:"difficulty"`
	Time                 uint32  `json:"time"`
	MedianTime           uint32  `json:"mediantime"`
	VerificationProgress float64 `json:"verificationprogress"`
	InitialBlockDownload bool    `json:"initialblockdownload"`
	ChainWork            string  `json:"chainwork"`
	SizeOnDisk           uint64  `json:"size_on_disk"`
	Pruned               bool    `json:"pruned"`
	Warnings             string  `json:"warnings"`
	// chainlab
	Consensus       string `json:"consensus"`
	GenesisHash     string `json:"genesishash"`
	FinalizedHash   string `json:"finalizedhash"`
	FinalizedHeight uint64 `json:"finalizedheight"`
}

func getBlockchainInfo(c *call) (any, error) {
	ch := c.s.cfg.Chain
	p := ch.Params()
	tip, height := ch.Tip()
	hdr, err := c.s.lookupHeader(tip)
	if err != nil {
		return nil, err
	}
	fin := ch.Finality()
	r := &BlockchainInfo{
		Chain:                p.Network,
		Blocks:               height,
		Headers:              height,
		BestBlockHash:        tip.String(),
		Difficulty:           difficulty(p, hdr.Bits),
		Time:                 hdr.Time,
		VerificationProgress: 1,
		ChainWork:            fmt.Sprintf("%064x", 0),
		Warnings:             "",
		Consensus:            p.Consensus,
		GenesisHash:          ch.GenesisHash().String(),
		FinalizedHash:        fin.Hash.String(),
		FinalizedHeight:      fin.Height,
	}
	for _, t := range ch.Tips() { // headers-first sync indexes headers ahead of bodies
		if t.Status != "invalid" {
			r.Headers = max(r.Headers, t.Height)
		}
	}
	if mtp, err := ch.MedianTimePast(tip); err == nil {
		r.MedianTime = mtp
	}
	if w, ok := ch.Work(tip); ok {
		r.ChainWork = fmt.Sprintf("%064x", w)
	}
	return r, nil
}

func getDifficulty(c *call) (any, error) {
	tip, _ := c.s.cfg.Chain.Tip()
	hdr, err := c.s.lookupHeader(tip)
	if err != nil {
		return nil, err
	}
	return difficulty(c.s.cfg.Chain.Params(), hdr.Bits), nil
}

// MempoolEntryResult is one getrawmempool verbose entry.
type MempoolEntryResult struct {
	VSize   int         `json:"vsize"`
	Weight  int         `json:"weight"`
	Time    int64       `json:"time"`
	Height  uint64      `json:"height"`
	Fees    MempoolFees `json:"fees"`
	Depends []string    `json:"depends"`
}

// MempoolFees is the fees object of a mempool entry.
type MempoolFees struct {
	Base Amount `json:"base"`
}

func getRawMempool(c *call) (any, error) {
	verbose, err := c.params.Bool(0, false)
	if err != nil {
		return nil, err
	}
	mp := c.s.cfg.Mempool
	ids := mp.TxIDs()
	if !verbose {
		out := make([]string, len(ids))
		for i, id := range ids {
			out[i] = id.String()
		}
		sort.Strings(out)
		return out, nil
	}
	res := make(map[string]*MempoolEntryResult, len(ids))
	_, height := c.s.cfg.Chain.Tip()
	for _, id := range ids {
		me, ok := mp.Entry(id)
		if !ok {
			continue // mined or evicted meanwhile
		}
		v := txView("", me.Tx)
		e := &MempoolEntryResult{VSize: v.VSize, Weight: v.Weight, Time: me.Time.Unix(), Height: height,
			Fees: MempoolFees{Base: Amount(me.Fee)}, Depends: make([]string, len(me.Depends))}
		for i, d := range me.Depends {
			e.Depends[i] = d.String()
		}
		res[id.String()] = e
	}
	return res, nil
}

// MempoolInfo is getmempoolinfo.
type MempoolInfo struct {
	Loaded        bool   `json:"loaded"`
	Size          int    `json:"size"`
	Bytes         int    `json:"bytes"`
	Usage         int    `json:"usage"`
	TotalFee      Amount `json:"total_fee"`
	MaxMempool    int    `json:"maxmempool"`
	MempoolMinFee Amount `json:"mempoolminfee"` // per kB, as Core
	MinRelayTxFee Amount `json:"minrelaytxfee"` // per kB
}

func getMempoolInfo(c *call) (any, error) {
	i := c.s.cfg.Mempool.Info()
	return &MempoolInfo{Loaded: true, Size: i.Size, Bytes: i.Bytes, Usage: i.Bytes, TotalFee: Amount(i.TotalFee),
		MaxMempool: i.MaxBytes, MempoolMinFee: Amount(i.FloorFeeRate * 1000), MinRelayTxFee: Amount(i.MinFeeRate * 1000)}, nil
}

func getRawTransaction(c *call) (any, error) {
	txid, err := c.params.Hash(0)
	if err != nil {
		return nil, err
	}
	verbose := false
	if c.params.has(1) {
		// Core accepts a bool or an int (verbosity 0/1/2).
		if v, verr := c.params.Bool(1, false); verr == nil {
			verbose = v
		} else if n, ierr := c.params.Int(1, 0); ierr == nil {
			verbose = n > 0
		} else {
			return nil, verr
		}
	}
	ch := c.s.cfg.Chain
	var blockHash chain.Hash
	var tx *chain.Tx
	if c.params.has(2) {
		if blockHash, err = c.params.Hash(2); err != nil {
			return nil, err
		}
		blk, err := c.s.lookupBlock(blockHash)
		if err != nil {
			return nil, err
		}
		if tx = findTx(blk, txid); tx == nil {
			return nil, Errorf(CodeInvalidAddrOrKey, "No such transaction found in the provided block")
		}
	} else if mtx, ok := c.s.cfg.Mempool.Get(txid); ok {
		tx = mtx
	} else if loc, ok := ch.TxLocation(txid); ok {
		blk, err := c.s.lookupBlock(loc)
		if err != nil {
			return nil, err
		}
		blockHash, tx = loc, findTx(blk, txid)
	}
	if tx == nil {
		return nil, Errorf(CodeInvalidAddrOrKey, "No such mempool or blockchain transaction")
	}
	if !verbose {
		return hex.EncodeToString(tx.Bytes()), nil
	}
	r := txView(c.s.hrp(), tx)
	r.Hex = hex.EncodeToString(tx.Bytes())
	if !blockHash.IsZero() {
		r.BlockHash = blockHash.String()
		main := ch.IsMainChain(blockHash)
		r.InActiveChain = &main
		if hdr, ok := ch.Header(blockHash); ok {
			r.Time, r.BlockTime = hdr.Time, hdr.Time
		}
		if height, ok := ch.Height(blockHash); ok && main {
			_, tip := ch.Tip()
			r.Confirmations = int64(tip-height) + 1
		}
	}
	return &r, nil
}

func findTx(b *chain.Block, txid chain.Hash) *chain.Tx {
	for _, tx := range b.Txs {
		if tx.TxID() == txid {
			return tx
		}
	}
	return nil
}

// TxOutResult is gettxout.
type TxOutResult struct {
	BestBlock     string       `json:"bestblock"`
	Confirmations uint64       `json:"confirmations"`
	Value         Amount       `json:"value"`
	ScriptPubKey  ScriptResult `json:"scriptPubKey"`
	Coinbase      bool         `json:"coinbase"`
}

func getTxOut(c *call) (any, error) {
	txid, err := c.params.Hash(0)
	if err != nil {
		return nil, err
	}
	n, err := c.params.Uint(1, 0)
	if err != nil {
		return nil, err
	}
	if n > 0xffffffff {
		return nil, Errorf(CodeInvalidParameter, "vout out of range")
	}
	inclMempool, err := c.params.Bool(2, true)
	if err != nil {
		return nil, err
	}
	op := chain.OutPoint{TxID: txid, Index: uint32(n)}
	ch := c.s.cfg.Chain
	tip, tipHeight := ch.Tip()
	if inclMempool {
		if _, spent := c.s.cfg.Mempool.SpentBy(op); spent {
			return nil, nil // spent by a pool transaction, as Core
		}
		if tx, ok := c.s.cfg.Mempool.Get(txid); ok {
			if int(n) >= len(tx.Outputs) {
				return nil, nil
			}
			out := tx.Outputs[n]
			return &TxOutResult{BestBlock: tip.String(), Value: Amount(out.Value), ScriptPubKey: lockView(c.s.hrp(), out.Lock)}, nil
		}
	}
	coin, err := ch.Coin(op)
	if err != nil {
		return nil, err
	}
	if coin == nil {
		return nil, nil
	}
	return &TxOutResult{
		BestBlock:     tip.String(),
		Confirmations: tipHeight - coin.Height + 1,
		Value:         Amount(coin.Out.Value),
		ScriptPubKey:  lockView(c.s.hrp(), coin.Out.Lock),
		Coinbase:      coin.Coinbase,
	}, nil
}

func decodeTxParam(c *call) (*chain.Tx, error) {
	raw, err := c.params.Hex(0)
	if err != nil {
		return nil, err
	}
	tx, derr := chain.DecodeTx(raw)
	if derr != nil {
		return nil, Errorf(CodeDeserialization, "TX decode failed: %v", derr)
	}
	return tx, nil
}

func sendRawTransaction(c *call) (any, error) {
	tx, err := decodeTxParam(c)
	if err != nil {
		return nil, err
	}
	if c.params.has(1) {
		if _, err := c.params.Float(1, 0); err != nil {
			return nil, err
		}
	}
	mp := c.s.cfg.Mempool
	txid := tx.TxID()
	if mp.Has(txid) {
		return hashString(txid.String()), nil // already pooled: succeed, as Core
	}
	fee, err := mp.Add(tx, c.s.cfg.Now())
	if errors.Is(err, chain.ErrAlreadyHave) {
		return hashString(txid.String()), nil
	}
	if err != nil {
		return nil, err
	}
	if c.s.cfg.TxAccepted != nil {
		c.s.cfg.TxAccepted(tx, fee)
	}
	return hashString(txid.String()), nil
}

func decodeRawTransaction(c *call) (any, error) {
	tx, err := decodeTxParam(c)
	if err != nil {
		return nil, err
	}
	r := txView(c.s.hrp(), tx)
	return &r, nil
}

// ValidateAddressResult is validateaddress.
type ValidateAddressResult struct {
	IsValid        bool   `json:"isvalid"`
	Address        string `json:"address,omitempty"`
	ScriptPubKey   string `json:"scriptPubKey,omitempty"`
	IsScript       bool   `json:"isscript"`
	IsWitness      bool   `json:"iswitness"`
	WitnessVersion int    `json:"witness_version,omitempty"`
	WitnessProgram string `json:"witness_program,omitempty"`
	Error          string `json:"error,omitempty"`
}

func validateAddress(c *call) (any, error) {
	s, err := c.params.String(0, "")
	if err != nil {
		return nil, err
	}
	key, aerr := address.Decode(c.s.hrp(), s)
	if aerr != nil {
		return &ValidateAddressResult{Error: aerr.Error()}, nil
	}
	return &ValidateAddressResult{
		IsValid:        true,
		Address:        s,
		ScriptPubKey:   lockView(c.s.hrp(), chain.PayTo(key)).Hex,
		IsWitness:      true,
		WitnessVersion: address.Version,
		WitnessProgram: hex.EncodeToString(key[:]),
	}, nil
}

// addressParam decodes an address parameter (-5 Invalid address, as Core).
func (c *call) addressParam(i int) ([32]byte, error) {
	s, err := c.params.String(i, "")
	if err != nil {
		return [32]byte{}, err
	}
	key, aerr := address.Decode(c.s.hrp(), s)
	if aerr != nil {
		return key, Errorf(CodeInvalidAddrOrKey, "Invalid address: %v", aerr)
	}
	return key, nil
}

// ChainTipResult is one getchaintips entry.
type ChainTipResult struct {
	Height    uint64 `json:"height"`
	Hash      string `json:"hash"`
	BranchLen uint64 `json:"branchlen"`
	Status    string `json:"status"` // active | valid-fork | valid-headers | headers-only | invalid
}

func getChainTips(c *call) (any, error) {
	tips := c.s.cfg.Chain.Tips()
	out := make([]ChainTipResult, len(tips))
	for i, t := range tips {
		out[i] = ChainTipResult{Height: t.Height, Hash: t.Hash.String(), BranchLen: t.BranchLen, Status: t.Status}
	}
	return out, nil
}
