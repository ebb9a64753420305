package rpc

import (
	"context"
	"encoding/hex"

	"chainlab/chain"
)

// Typed wrappers, one per server method. Hashes are chain.Hash; amounts are Amount.

func (c *Client) GetBlockCount(ctx context.Context) (uint64, error) {
	var n uint64
	return n, c.Call(ctx, "getblockcount", &n)
}

func (c *Client) GetBestBlockHash(ctx context.Context) (chain.Hash, error) {
	var h chain.Hash
	return h, c.Call(ctx, "getbestblockhash", &h)
}

func (c *Client) GetBlockHash(ctx context.Context, height uint64) (chain.Hash, error) {
	var h chain.Hash
	return h, c.Call(ctx, "getblockhash", &h, height)
}

// GetBlock returns getblock verbosity 1.
func (c *Client) GetBlock(ctx context.Context, h chain.Hash) (*BlockResult, error) {
	var r BlockResult
	return &r, c.Call(ctx, "getblock", &r, h.String(), 1)
}

// GetBlockTxs returns getblock verbosity 2.
func (c *Client) GetBlockTxs(ctx context.Context, h chain.Hash) (*BlockTxsResult, error) {
	var r BlockTxsResult
	return &r, c.Call(ctx, "getblock", &r, h.String(), 2)
}

// GetBlockRaw returns getblock verbosity 0, decoded.
func (c *Client) GetBlockRaw(ctx context.Context, h chain.Hash) (*chain.Block, error) {
	raw, err := c.hexCall(ctx, "getblock", h.String(), 0)
	if err != nil {
		return nil, err
	}
	return chain.DecodeBlock(raw)
}

func (c *Client) hexCall(ctx context.Context, method string, params ...any) ([]byte, error) {
	var s string
	if err := c.Call(ctx, method, &s, params...); err != nil {
		return nil, err
	}
	return hex.DecodeString(s)
}

func (c *Client) GetBlockHeader(ctx context.Context, h chain.Hash) (*HeaderResult, error) {
	var r HeaderResult
	return &r, c.Call(ctx, "getblockheader", &r, h.String(), true)
}

// GetBlockHeaderRaw returns getblockheader verbose=false, decoded.
func (c *Client) GetBlockHeaderRaw(ctx context.Context, h chain.Hash) (*chain.Header, error) {
	raw, err := c.hexCall(ctx, "getblockheader", h.String(), false)
	if err != nil {
		return nil, err
	}
	if len(raw) == chain.HeaderSize {
		// A PoW header comes as Bitcoin's bare 80 bytes: add the no-seal flag.
		raw = append(raw, 0)
	}
	return chain.DecodeHeader(raw)
}

func (c *Client) GetBlockchainInfo(ctx context.Context) (*BlockchainInfo, error) {
	var r BlockchainInfo
	return &r, c.Call(ctx, "getblockchaininfo", &r)
}

func (c *Client) GetChainTips(ctx context.Context) ([]ChainTipResult, error) {
	var r []ChainTipResult
	return r, c.Call(ctx, "getchaintips", &r)
}

func (c *Client) GetDifficulty(ctx context.Context) (float64, error) {
	var r float64
	return r, c.Call(ctx, "getdifficulty", &r)
}

func (c *Client) GetMiningInfo(ctx context.Context) (*MiningInfo, error) {
	var r MiningInfo
	return &r, c.Call(ctx, "getmininginfo", &r)
}

func (c *Client) GetNetworkInfo(ctx context.Context) (*NetworkInfoResult, error) {
	var r NetworkInfoResult
	return &r, c.Call(ctx, "getnetworkinfo", &r)
}

func (c *Client) GetPeerInfo(ctx context.Context) ([]PeerInfo, error) {
	var r []PeerInfo
	return r, c.Call(ctx, "getpeerinfo", &r)
}

func (c *Client) GetConnectionCount(ctx context.Context) (int, error) {
	var r int
	return r, c.Call(ctx, "getconnectioncount", &r)
}

func (c *Client) GetRawMempool(ctx context.Context) ([]chain.Hash, error) {
	var r []chain.Hash
	return r, c.Call(ctx, "getrawmempool", &r, false)
}

func (c *Client) GetRawMempoolVerbose(ctx context.Context) (map[string]MempoolEntryResult, error) {
	var r map[string]MempoolEntryResult
	return r, c.Call(ctx, "getrawmempool", &r, true)
}

func (c *Client) GetMempoolInfo(ctx context.Context) (*MempoolInfo, error) {
	var r MempoolInfo
	return &r, c.Call(ctx, "getmempoolinfo", &r)
}

// GetRawTransaction returns a transaction from the mempool or (with the tx index) the chain.
func (c *Client) GetRawTransaction(ctx context.Context, txid chain.Hash) (*chain.Tx, error) {
	raw, err := c.hexCall(ctx, "getrawtransaction", txid.String(), false)
	if err != nil {
		return nil, err
	}
	return chain.DecodeTx(raw)
}

func (c *Client) GetRawTransactionVerbose(ctx context.Context, txid chain.Hash) (*TxResult, error) {
	var r TxResult
	return &r, c.Call(ctx, "getrawtransaction", &r, txid.String(), true)
}

// GetTxOut returns an unspent output, or nil if it is spent or unknown.
func (c *Client) GetTxOut(ctx context.Context, op chain.OutPoint, includeMempool bool) (*TxOutResult, error) {
	var r *TxOutResult
	return r, c.Call(ctx, "gettxout", &r, op.TxID.String(), op.Index, includeMempool)
}

// SendRawTransaction submits tx and returns its txid.
func (c *Client) SendRawTransaction(ctx context.Context, tx *chain.Tx) (chain.Hash, error) {
	var h chain.Hash
	return h, c.Call(ctx, "sendrawtransaction", &h, hex.EncodeToString(tx.Bytes()))
}

func (c *Client) DecodeRawTransaction(ctx context.Context, tx *chain.Tx) (*TxResult, error) {
	var r TxResult
	return &r, c.Call(ctx, "decoderawtransaction", &r, hex.EncodeToString(tx.Bytes()))
}

func (c *Client) ValidateAddress(ctx context.Context, addr string) (*ValidateAddressResult, error) {
	var r ValidateAddressResult
	return &r, c.Call(ctx, "validateaddress", &r, addr)
}

// GenerateToAddress mines n blocks (PoW) and returns their hashes.
func (c *Client) GenerateToAddress(ctx context.Context, n int, addr string) ([]chain.Hash, error) {
	var r []chain.Hash
	return r, c.Call(ctx, "generatetoaddress", &r, n, addr)
}

func (c *Client) AddNode(ctx context.Context, addr, command string) error {
	return c.Call(ctx, "addnode", nil, addr, command)
}

func (c *Client) DisconnectNode(ctx context.Context, addr string) error {
	return c.Call(ctx, "disconnectnode", nil, addr)
}

func (c *Client) Uptime(ctx context.Context) (int64, error) {
	var r int64
	return r, c.Call(ctx, "uptime", &r)
}

func (c *Client) Stop(ctx context.Context) error { return c.Call(ctx, "stop", nil) }

func (c *Client) Help(ctx context.Context, command string) (string, error) {
	var r string
	if command == "" {
		return r, c.Call(ctx, "help", &r)
	}
	return r, c.Call(ctx, "help", &r, command)
}

func (c *Client) GetConsensusInfo(ctx context.Context) (*ConsensusInfo, error) {
	var r ConsensusInfo
	return &r, c.Call(ctx, "getconsensusinfo", &r)
}

func (c *Client) GetFinality(ctx context.Context) (*FinalityResult, error) {
	var r FinalityResult
	return &r, c.Call(ctx, "getfinality", &r)
}

func (c *Client) GetValidators(ctx context.Context) ([]ValidatorInfo, error) {
	var r []ValidatorInfo
	return r, c.Call(ctx, "getvalidators", &r)
}

func (c *Client) GetProposer(ctx context.Context, slot uint64) (*ProposerResult, error) {
	var r ProposerResult
	return &r, c.Call(ctx, "getproposer", &r, slot)
}

func (c *Client) GetStakingInfo(ctx context.Context) (*StakingStatus, error) {
	var r StakingStatus
	return &r, c.Call(ctx, "getstakinginfo", &r)
}

// RegisterValidator gives the node a validator signing key; it returns the x-only key.
func (c *Client) RegisterValidator(ctx context.Context, privKey []byte) (string, error) {
	var r string
	return r, c.Call(ctx, "registervalidator", &r, hex.EncodeToString(privKey))
}

func (c *Client) GetBalance(ctx context.Context, addr string, minConf uint64) (Amount, error) {
	var r Amount
	return r, c.Call(ctx, "getbalance", &r, addr, minConf)
}

func (c *Client) ListUnspent(ctx context.Context, minConf, maxConf uint64, addrs ...string) ([]UnspentResult, error) {
	var r []UnspentResult
	if addrs == nil {
		addrs = []string{}
	}
	return r, c.Call(ctx, "listunspent", &r, minConf, maxConf, addrs)
}

func (c *Client) SetGenerate(ctx context.Context, on bool, threads int) error {
	return c.Call(ctx, "setgenerate", nil, on, threads)
}

func (c *Client) GetGenerate(ctx context.Context) (bool, error) {
	var r bool
	return r, c.Call(ctx, "getgenerate", &r)
}

func (c *Client) SetHashRate(ctx context.Context, hps float64) error {
	return c.Call(ctx, "sethashrate", nil, hps)
}

func (c *Client) SetLink(ctx context.Context, peer string, spec LinkSpec) error {
	return c.Call(ctx, "setlink", nil, peer, spec)
}

func (c *Client) GetLinks(ctx context.Context) ([]LinkInfo, error) {
	var r []LinkInfo
	return r, c.Call(ctx, "getlinks", &r)
}

// SetPartition cuts the node off from peers; no peers heals.
func (c *Client) SetPartition(ctx context.Context, peers ...string) error {
	if peers == nil {
		peers = []string{}
	}
	return c.Call(ctx, "setpartition", nil, peers)
}

func (c *Client) GetBlockTiming(ctx context.Context, h chain.Hash) (*BlockTimingResult, error) {
	var r BlockTimingResult
	return &r, c.Call(ctx, "getblocktiming", &r, h.String())
}
