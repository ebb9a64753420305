package rpc

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"

	"chainlab/chain"
	"chainlab/chain/chaintest"
	"chainlab/genesis"
)

var bg = context.Background()

func TestBlockchainMethods(t *testing.T) {
	n := newTestNode(t, nil)
	gh := n.chain.GenesisHash()
	if c, err := n.cl.GetBlockCount(bg); err != nil || c != 0 {
		t.Fatalf("getblockcount at genesis: %d %v", c, err)
	}
	hs := n.mine(3)
	if c, _ := n.cl.GetBlockCount(bg); c != 3 {
		t.Fatalf("getblockcount: %d", c)
	}
	if h, err := n.cl.GetBestBlockHash(bg); err != nil || h != hs[2] {
		t.Fatalf("getbestblockhash: %v %v", h, err)
	}
	if h, err := n.cl.GetBlockHash(bg, 0); err != nil || h != gh {
		t.Fatalf("getblockhash 0: %v %v", h, err)
	}
	n.wantErr(CodeInvalidParameter, "out of range", "getblockhash", 4)
	n.wantErr(CodeInvalidParameter, "out of range", "getblockhash", -1)
	n.wantErr(CodeType, "expected number", "getblockhash", "1")

	// getblock 0/1/2.
	raw, err := n.cl.GetBlockRaw(bg, hs[1])
	if err != nil || raw.Hash() != hs[1] {
		t.Fatalf("getblock 0: %v", err)
	}
	b1, err := n.cl.GetBlock(bg, hs[1])
	if err != nil {
		t.Fatal(err)
	}
	if b1.Hash != hs[1].String() || b1.Height != 2 || b1.Confirmations != 2 || b1.PreviousBlockHash != hs[0].String() ||
		b1.NextBlockHash != hs[2].String() || len(b1.Tx) != 1 || b1.Tx[0] != raw.Txs[0].TxID().String() || b1.NTx != 1 ||
		b1.Size != raw.SerializeSize() || b1.Bits != "00000000" || b1.ChainWork == "" || b1.MedianTime == 0 {
		t.Errorf("getblock 1: %+v", b1)
	}
	b2, err := n.cl.GetBlockTxs(bg, hs[1])
	if err != nil || len(b2.Tx) != 1 || b2.Tx[0].Vin[0].Coinbase == "" || b2.Tx[0].Vout[0].Value != Amount(n.chain.Params().BlockSubsidy(2)) ||
		b2.Tx[0].Vout[0].ScriptPubKey.Address != n.addr(7) || b2.Tx[0].Hex == "" {
		t.Errorf("getblock 2: %+v %v", b2, err)
	}
	if r, _ := n.call("getblock", hs[1].String(), false); !strings.HasPrefix(string(r), `"`) {
		t.Errorf("getblock verbose=false: %s", r)
	}
	n.wantErr(CodeInvalidParameter, "verbosity", "getblock", hs[1].String(), 3)
	n.wantErr(CodeInvalidAddrOrKey, "Block not found", "getblock", strings.Repeat("ab", 32))
	n.wantErr(CodeInvalidAddrOrKey, "Block not found", "getblock", strings.Repeat("ab", 32), 0)
	n.wantErr(CodeInvalidParameter, "must be of length 64", "getblock", "abcd")

	// getblockheader.
	hv, err := n.cl.GetBlockHeader(bg, hs[2])
	if err != nil || hv.Height != 3 || hv.Confirmations != 1 || hv.NextBlockHash != "" || hv.NTx != 1 || hv.VersionHex != "00000001" {
		t.Errorf("getblockheader: %+v %v", hv, err)
	}
	hdr, err := n.cl.GetBlockHeaderRaw(bg, hs[2])
	if err != nil || hdr.Hash() != hs[2] {
		t.Errorf("getblockheader false: %v", err)
	}
	var rawHex string
	if err := n.cl.Call(bg, "getblockheader", &rawHex, hs[2].String(), false); err != nil || len(rawHex) != 2*chain.HeaderSize {
		t.Errorf("getblockheader false of a PoW header: %d hex chars, want Bitcoin's 160 (%v)", len(rawHex), err)
	}
	n.wantErr(CodeInvalidAddrOrKey, "Block not found", "getblockheader", strings.Repeat("00", 32))
	n.wantErr(CodeType, "expected bool", "getblockheader", hs[2].String(), "yes")

	info, err := n.cl.GetBlockchainInfo(bg)
	if err != nil || info.Blocks != 3 || info.BestBlockHash != hs[2].String() || info.Chain != n.chain.Params().Network ||
		info.GenesisHash != gh.String() || info.Consensus != "pow" {
		t.Errorf("getblockchaininfo: %+v %v", info, err)
	}
	if d, err := n.cl.GetDifficulty(bg); err != nil || d != 0 { // the test engine leaves bits 0
		t.Errorf("getdifficulty: %v %v", d, err)
	}

	// A side branch from block 1 shows in getchaintips.
	bld := chaintest.NewBuilder(n.chain.Params())
	g, _ := n.cl.GetBlockRaw(bg, hs[0])
	bld.Record(g)
	side := bld.Block(hs[0], nil, 0)
	n.process(side)
	tips, err := n.cl.GetChainTips(bg)
	if err != nil || len(tips) != 2 {
		t.Fatalf("getchaintips: %+v %v", tips, err)
	}
	var active, fork bool
	for _, tp := range tips {
		active = active || (tp.Status == "active" && tp.Hash == hs[2].String() && tp.BranchLen == 0)
		fork = fork || (tp.Hash == side.Hash().String() && tp.BranchLen == 1 && tp.Height == 2)
	}
	if !active || !fork {
		t.Errorf("getchaintips: %+v", tips)
	}
	if hv, _ := n.cl.GetBlockHeader(bg, side.Hash()); hv.Confirmations != -1 {
		t.Errorf("side block confirmations %d, want -1", hv.Confirmations)
	}
}

func TestTransactionMethods(t *testing.T) {
	n := newTestNode(t, nil)
	g, _ := chain.GenesisBlock(n.chain.Params())
	gop := chain.OutPoint{TxID: g.Txs[0].TxID(), Index: 0}

	// gettxout of a genesis allocation.
	out, err := n.cl.GetTxOut(bg, gop, true)
	if err != nil || out == nil || out.Value != Amount(g.Txs[0].Outputs[0].Value) || out.ScriptPubKey.Address != n.addr(0) ||
		out.Coinbase || out.Confirmations != 1 {
		t.Fatalf("gettxout: %+v %v", out, err)
	}
	if out, err := n.cl.GetTxOut(bg, chain.OutPoint{TxID: gop.TxID, Index: 99}, true); err != nil || out != nil {
		t.Errorf("gettxout of a missing output: %+v %v", out, err)
	}
	n.wantErr(CodeInvalidParameter, "", "gettxout", gop.TxID.String(), 1<<33)

	// sendrawtransaction.
	tx := n.genesisSpend(0, 1, 10*genesis.Coin, 1000)
	txid, err := n.cl.SendRawTransaction(bg, tx)
	if err != nil || txid != tx.TxID() {
		t.Fatalf("sendrawtransaction: %v %v", txid, err)
	}
	if len(n.txs) != 1 || n.txs[0] != txid {
		t.Errorf("TxAccepted not called: %v", n.txs)
	}
	if again, err := n.cl.SendRawTransaction(bg, tx); err != nil || again != txid {
		t.Errorf("resend of a pooled tx: %v %v", again, err)
	}
	conflict := n.genesisSpend(0, 2, 10*genesis.Coin, 2000)
	n.wantErr(CodeVerifyRejected, "ErrMempoolConflict", "sendrawtransaction", hex.EncodeToString(conflict.Bytes()))
	missing := chaintest.Pay(chain.OutPoint{TxID: chain.Hash{1}, Index: 0}, chain.TxOut{Value: 50 * genesis.Coin, Lock: chain.PayTo(chaintest.PubKey(3))},
		chaintest.Key(3), chaintest.PubKey(4), genesis.Coin, 1000)
	n.wantErr(CodeVerify, "ErrMissingInput", "sendrawtransaction", hex.EncodeToString(missing.Bytes()))
	badSig := n.genesisSpend(3, 4, 10*genesis.Coin, 1000)
	badSig.Inputs[0].Witness[5] ^= 1
	n.wantErr(CodeVerifyRejected, "ErrBadSignature", "sendrawtransaction", hex.EncodeToString(badSig.Bytes()))
	n.wantErr(CodeDeserialization, "not hex", "sendrawtransaction", "zz")
	n.wantErr(CodeDeserialization, "TX decode failed", "sendrawtransaction", "0102")
	n.wantErr(CodeType, "expected string", "sendrawtransaction", 12)

	// Mempool views.
	ids, err := n.cl.GetRawMempool(bg)
	if err != nil || len(ids) != 1 || ids[0] != txid {
		t.Errorf("getrawmempool: %v %v", ids, err)
	}
	verbose, err := n.cl.GetRawMempoolVerbose(bg)
	if e, ok := verbose[txid.String()]; err != nil || !ok || e.Fees.Base != 1000 || e.VSize == 0 || len(e.Depends) != 0 {
		t.Errorf("getrawmempool verbose: %+v %v", verbose, err)
	}
	mi, err := n.cl.GetMempoolInfo(bg)
	if err != nil || mi.Size != 1 || mi.Bytes != tx.SerializeSize() || !mi.Loaded || mi.TotalFee != 1000 {
		t.Errorf("getmempoolinfo: %+v %v", mi, err)
	}
	// gettxout hides outputs spent in the pool unless include_mempool=false, and shows pool outputs.
	if out, _ := n.cl.GetTxOut(bg, gop, true); out != nil {
		t.Errorf("gettxout of a pool-spent output: %+v", out)
	}
	if out, _ := n.cl.GetTxOut(bg, gop, false); out == nil {
		t.Errorf("gettxout include_mempool=false: nil")
	}
	if out, _ := n.cl.GetTxOut(bg, chain.OutPoint{TxID: txid}, true); out == nil || out.Confirmations != 0 || out.Value != 10*genesis.Coin {
		t.Errorf("gettxout of a pool output: %+v", out)
	}

	// getrawtransaction from the pool, then from the chain (tx index).
	got, err := n.cl.GetRawTransaction(bg, txid)
	if err != nil || got.TxID() != txid {
		t.Fatalf("getrawtransaction (pool): %v", err)
	}
	hs := n.mine(1)
	if ids, _ := n.cl.GetRawMempool(bg); len(ids) != 0 {
		t.Errorf("mempool after mining: %v", ids)
	}
	v, err := n.cl.GetRawTransactionVerbose(bg, txid)
	if err != nil || v.BlockHash != hs[0].String() || v.Confirmations != 1 || v.InActiveChain == nil || !*v.InActiveChain ||
		v.Hex != hex.EncodeToString(tx.Bytes()) || len(v.Vin) != 1 || *v.Vin[0].Vout != 0 || len(v.Vin[0].TxInWitness) != 1 {
		t.Errorf("getrawtransaction verbose: %+v %v", v, err)
	}
	if r, e := n.call("getrawtransaction", txid.String(), 1, hs[0].String()); e != nil || !strings.Contains(string(r), hs[0].String()) {
		t.Errorf("getrawtransaction with blockhash: %s %v", r, e)
	}
	n.wantErr(CodeInvalidAddrOrKey, "No such transaction found in the provided block", "getrawtransaction", txid.String(), false, n.chain.GenesisHash().String())
	n.wantErr(CodeInvalidAddrOrKey, "No such mempool or blockchain transaction", "getrawtransaction", strings.Repeat("11", 32))
	if out, _ := n.cl.GetTxOut(bg, chain.OutPoint{TxID: txid}, true); out == nil || out.Confirmations != 1 || out.Coinbase {
		t.Errorf("gettxout after mining: %+v", out)
	}

	// decoderawtransaction and validateaddress.
	d, err := n.cl.DecodeRawTransaction(bg, tx)
	if err != nil || d.TxID != txid.String() || len(d.Vout) != 2 || d.Vout[0].ScriptPubKey.Type != "pay" ||
		d.Vout[0].ScriptPubKey.Address != n.addr(1) || d.Size != tx.SerializeSize() || d.Hex != "" {
		t.Errorf("decoderawtransaction: %+v %v", d, err)
	}
	n.wantErr(CodeDeserialization, "TX decode failed", "decoderawtransaction", "00")
	va, err := n.cl.ValidateAddress(bg, n.addr(1))
	pk1 := chaintest.PubKey(1)
	if err != nil || !va.IsValid || va.WitnessProgram != hex.EncodeToString(pk1[:]) || !va.IsWitness {
		t.Errorf("validateaddress: %+v %v", va, err)
	}
	if va, err := n.cl.ValidateAddress(bg, "bc1qnotours"); err != nil || va.IsValid || va.Error == "" {
		t.Errorf("validateaddress invalid: %+v %v", va, err)
	}
	n.wantErr(CodeType, "", "validateaddress", 5)
}

func TestAddressIndexMethods(t *testing.T) {
	n := newTestNode(t, nil)
	want := Amount(n.chain.Params().Allocations[0].Amount)
	if bal, err := n.cl.GetBalance(bg, n.addr(0), 0); err != nil || bal != want {
		t.Fatalf("getbalance: %v %v", bal, err)
	}
	if bal, _ := n.cl.GetBalance(bg, n.addr(0), 2); bal != 0 {
		t.Errorf("getbalance minconf 2 at height 0: %v", bal)
	}
	us, err := n.cl.ListUnspent(bg, 0, 9999999, n.addr(0), n.addr(1))
	if err != nil || len(us) != 2 || us[0].Address != n.addr(0) || us[0].Amount != want || !us[0].Spendable ||
		us[0].Coinbase || us[1].Address != n.addr(1) {
		t.Errorf("listunspent: %+v %v", us, err)
	}
	// Coinbase outputs are unspendable until mature (maturity 2).
	if _, err := n.miner.Generate(bg, 1, chaintest.PubKey(9), 0); err != nil {
		t.Fatal(err)
	}
	us, _ = n.cl.ListUnspent(bg, 1, 9999999, n.addr(9))
	if len(us) != 1 || us[0].Spendable || !us[0].Coinbase || us[0].Confirmations != 1 || us[0].Amount != Amount(n.chain.Params().BlockSubsidy(1)) {
		t.Errorf("listunspent of an immature coinbase: %+v", us)
	}
	n.mine(1)
	us, _ = n.cl.ListUnspent(bg, 2, 9999999, n.addr(9))
	if len(us) != 1 || !us[0].Spendable || us[0].Confirmations != 2 {
		t.Errorf("listunspent after maturity: %+v", us)
	}
	n.wantErr(CodeInvalidAddrOrKey, "Invalid address", "getbalance", "nope")
	n.wantErr(CodeInvalidAddrOrKey, "Invalid address", "listunspent", 0, 10, []string{"nope"})
	n.wantErr(CodeInvalidParameter, "duplicated", "listunspent", 0, 10, []string{n.addr(0), n.addr(0)})
	n.wantErr(CodeType, "expected array", "listunspent", 0, 10, n.addr(0))
	n.wantErr(CodeInvalidParams, "missing required", "listunspent", 0, 10)
}

func TestMiningMethods(t *testing.T) {
	n := newTestNode(t, nil)
	hs, err := n.cl.GenerateToAddress(bg, 2, n.addr(5))
	if err != nil || len(hs) != 2 {
		t.Fatalf("generatetoaddress: %v %v", hs, err)
	}
	b, _ := n.cl.GetBlockTxs(bg, hs[1])
	if b.Height != 2 || b.Tx[0].Vout[0].ScriptPubKey.Address != n.addr(5) {
		t.Errorf("generated block pays %s at height %d", b.Tx[0].Vout[0].ScriptPubKey.Address, b.Height)
	}
	n.wantErr(CodeInvalidAddrOrKey, "Invalid address", "generatetoaddress", 1, "nope")
	n.wantErr(CodeInvalidParameter, "nblocks", "generatetoaddress", -1, n.addr(5))
	if err := n.cl.SetGenerate(bg, true, 2); err != nil {
		t.Fatal(err)
	}
	if on, err := n.cl.GetGenerate(bg); err != nil || !on {
		t.Errorf("getgenerate: %v %v", on, err)
	}
	if err := n.cl.SetHashRate(bg, 12345); err != nil {
		t.Fatal(err)
	}
	n.wantErr(CodeInvalidParameter, ">= 0", "sethashrate", -5)
	n.wantErr(CodeType, "expected bool", "setgenerate", "on")
	mi, err := n.cl.GetMiningInfo(bg)
	if err != nil || mi.Blocks != 2 || !mi.Generate || mi.HashesPerSec != 12345 || mi.Chain != n.chain.Params().Network {
		t.Errorf("getmininginfo: %+v %v", mi, err)
	}
	timing, err := n.cl.GetBlockTiming(bg, hs[0])
	if err != nil || !timing.Local || timing.Height != 1 || timing.Received != chaintest.Now().UnixMilli() || !timing.MainChain {
		t.Errorf("getblocktiming: %+v %v", timing, err)
	}
	n.wantErr(CodeInvalidAddrOrKey, "No timing", "getblocktiming", n.chain.GenesisHash().String())
	n.wantErr(CodeInvalidAddrOrKey, "Block not found", "getblocktiming", strings.Repeat("22", 32))

	// Without a miner (a PoS node) the mining methods are unavailable; so is staking on PoW.
	m := newTestNode(t, func(c *Config) { c.Miner, c.Staking, c.BlockStats, c.Net, c.Stop = nil, nil, nil, nil, nil })
	for _, method := range []string{"setgenerate", "getgenerate", "sethashrate", "generatetoaddress", "getvalidators",
		"getproposer", "getstakinginfo", "registervalidator", "getpeerinfo", "addnode", "setlink", "getlinks",
		"setpartition", "getblocktiming", "stop", "disconnectnode"} {
		args := map[string][]any{"setgenerate": {true}, "sethashrate": {1}, "generatetoaddress": {1, m.addr(1)},
			"getproposer": {1}, "registervalidator": {strings.Repeat("01", 32)}, "addnode": {"a:1", "add"},
			"setlink": {"p", LinkSpec{}}, "setpartition": {[]string{}}, "getblocktiming": {m.chain.GenesisHash().String()},
			"disconnectnode": {"a:1"}}[method]
		m.wantErr(CodeMethodNotFound, "not available", method, args...)
	}
	if mi, err := m.cl.GetMiningInfo(bg); err != nil || mi.Generate {
		t.Errorf("getmininginfo without miner: %+v %v", mi, err)
	}
	if c, err := m.cl.GetConnectionCount(bg); err != nil || c != 0 {
		t.Errorf("getconnectioncount without p2p: %v %v", c, err)
	}
}

func TestNetworkMethods(t *testing.T) {
	n := newTestNode(t, nil)
	ni, err := n.cl.GetNetworkInfo(bg)
	if err != nil || ni.Connections != 2 || ni.ConnectionsIn != 1 || ni.ConnectionsOut != 1 || ni.Version != 100 ||
		ni.RelayFee != 1000 || !ni.NetworkActive {
		t.Errorf("getnetworkinfo: %+v %v", ni, err)
	}
	peers, err := n.cl.GetPeerInfo(bg)
	if err != nil || len(peers) != 2 || peers[0].Addr != "127.0.0.1:9001" {
		t.Errorf("getpeerinfo: %+v %v", peers, err)
	}
	if c, _ := n.cl.GetConnectionCount(bg); c != 2 {
		t.Errorf("getconnectioncount: %d", c)
	}
	if err := n.cl.AddNode(bg, "127.0.0.1:9005", "add"); err != nil {
		t.Fatal(err)
	}
	n.wantErr(CodeNodeAlreadyAdded, "", "addnode", "127.0.0.1:9005", "add")
	n.wantErr(CodeNodeNotAdded, "", "addnode", "127.0.0.1:9006", "remove")
	n.wantErr(CodeInvalidParameter, "add, remove or onetry", "addnode", "127.0.0.1:9006", "connect")
	if err := n.cl.DisconnectNode(bg, "127.0.0.1:9001"); err != nil {
		t.Fatal(err)
	}
	n.wantErr(CodeNodeNotConnected, "", "disconnectnode", "127.0.0.1:9001")
	if _, e := n.call("disconnectnode", "", 2); e != nil {
		t.Errorf("disconnectnode by id: %v", e)
	}
	n.wantErr(CodeInvalidParameter, "Only one", "disconnectnode", "127.0.0.1:9001", 2)
	n.wantErr(CodeInvalidParameter, "Only one", "disconnectnode")

	spec := LinkSpec{DelayMS: 50, JitterMS: 5, Loss: 0.01, BandwidthBPS: 1 << 20}
	if err := n.cl.SetLink(bg, "127.0.0.1:9002", spec); err != nil {
		t.Fatal(err)
	}
	links, err := n.cl.GetLinks(bg)
	if err != nil || len(links) != 1 || links[0].Spec != spec {
		t.Errorf("getlinks: %+v %v", links, err)
	}
	n.wantErr(CodeInvalidParameter, "loss", "setlink", "p", LinkSpec{Loss: 2})
	n.wantErr(CodeInvalidParameter, "unknown field", "setlink", "p", map[string]any{"delay": 5})
	n.wantErr(CodeInvalidAddrOrKey, "not found", "setlink", "nosuchpeer", spec)
	n.wantErr(CodeType, "expected object", "setlink", "p", 5)
	if err := n.cl.SetPartition(bg, "127.0.0.1:9002"); err != nil {
		t.Fatal(err)
	}
	if len(n.net.partition) != 1 {
		t.Errorf("setpartition: %v", n.net.partition)
	}
	if err := n.cl.SetPartition(bg); err != nil || len(n.net.partition) != 0 {
		t.Errorf("setpartition heal: %v %v", n.net.partition, err)
	}
	n.wantErr(CodeType, "expected array", "setpartition", "x")
}

func TestControlAndChainlabMethods(t *testing.T) {
	stopped := make(chan struct{})
	n := newTestNode(t, func(c *Config) { c.Stop = func() { close(stopped) } })
	if up, err := n.cl.Uptime(bg); err != nil || up < 0 {
		t.Errorf("uptime: %v %v", up, err)
	}
	h, err := n.cl.Help(bg, "")
	if err != nil || !strings.Contains(h, "getblock blockhash [verbosity]\n") || !strings.Contains(h, "getfinality") {
		t.Errorf("help: %q %v", h, err)
	}
	if h, _ := n.cl.Help(bg, "getblockhash"); !strings.HasPrefix(h, "getblockhash height\n") {
		t.Errorf("help getblockhash: %q", h)
	}
	if h, _ := n.cl.Help(bg, "nosuch"); !strings.Contains(h, "unknown command") {
		t.Errorf("help nosuch: %q", h)
	}

	ci, err := n.cl.GetConsensusInfo(bg)
	if err != nil || ci.Engine != "pow" || ci.PoW == nil || ci.PoS != nil || ci.CoinbaseMaturity != 2 || ci.GenesisHash != n.chain.GenesisHash().String() {
		t.Errorf("getconsensusinfo: %+v %v", ci, err)
	}
	hs := n.mine(8)
	f, err := n.cl.GetFinality(bg)
	depth := n.chain.Params().FinalityDepth
	if err != nil || f.TipHeight != 8 || f.Height != 8-depth || f.Hash != hs[8-depth-1].String() || f.Absolute || f.Depth != depth || f.Finalized != nil {
		t.Errorf("getfinality: %+v %v", f, err)
	}
	n.engine.SetFinalized(5)
	n.mine(1)
	if f, _ := n.cl.GetFinality(bg); f.Height != 5 || !f.Absolute {
		t.Errorf("getfinality after SetFinalized: %+v", f)
	}

	vs, err := n.cl.GetValidators(bg)
	if err != nil || len(vs) != 1 || vs[0].Stake != 1000 {
		t.Errorf("getvalidators: %+v %v", vs, err)
	}
	p, err := n.cl.GetProposer(bg, 5)
	if err != nil || p.Proposer != "05"+strings.Repeat("00", 31) || p.Slot != 5 {
		t.Errorf("getproposer: %+v %v", p, err)
	}
	n.wantErr(CodeInvalidParameter, "invalid parameter", "getproposer", 2_000_000)
	n.wantErr(CodeInvalidParams, "missing required", "getproposer")
	n.wantErr(CodeInvalidParameter, "out of range", "getproposer", -3)
	si, err := n.cl.GetStakingInfo(bg)
	if err != nil || !si.Enabled || si.Slot != 7 || si.LocalValidators == nil {
		t.Errorf("getstakinginfo: %+v %v", si, err)
	}
	key := make([]byte, 32)
	key[0] = 9
	if k, err := n.cl.RegisterValidator(bg, key); err != nil || k != hex.EncodeToString(key) {
		t.Errorf("registervalidator: %v %v", k, err)
	}
	n.wantErr(CodeInvalidAddrOrKey, "32 bytes", "registervalidator", "0102")
	n.wantErr(CodeDeserialization, "not hex", "registervalidator", "xyz")

	if err := n.cl.Stop(bg); err != nil {
		t.Fatal(err)
	}
	<-stopped
}

// TestNamedParams checks named parameters map onto positions.
func TestNamedParams(t *testing.T) {
	n := newTestNode(t, nil)
	var r json.RawMessage
	err := n.cl.CallRaw(bg, "getblock", map[string]any{"blockhash": n.chain.GenesisHash().String(), "verbosity": 0}, &r)
	if err != nil || r[0] != '"' {
		t.Errorf("named getblock: %s %v", r, err)
	}
}

func TestDifficulty(t *testing.T) {
	p := genesis.PowDev()
	if d := difficulty(p, p.PoW.PowLimitBits); d != 1 {
		t.Errorf("difficulty at the pow limit: %v", d)
	}
	// Bitcoin's block 32256 retarget: 0x1d00d86a has difficulty 1.18 vs 0x1d00ffff.
	p.PoW.PowLimitBits = 0x1d00ffff
	if d := difficulty(p, 0x1d00d86a); d < 1.1828 || d > 1.1829 {
		t.Errorf("difficulty(0x1d00d86a) = %v, want 1.18279...", d)
	}
	if d := difficulty(genesis.PosDev(4), 0x1d00ffff); d != 0 {
		t.Errorf("PoS difficulty %v", d)
	}
}

// TestPoSShapes runs the consensus views on a PoS genesis (validators bonded at genesis);
// the test engine stands in for the PoS engine, so only the shapes are PoS-specific.
func TestPoSShapes(t *testing.T) {
	p := genesis.PosDev(4)
	ch, _ := chaintest.NewMemChain(t, &chain.Config{Params: p, AddrIndex: true})
	pool, err := chain.NewMempool(chain.MempoolConfig{Chain: ch})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{Chain: ch, Mempool: pool, NoAuth: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	cl, _ := NewClient(srv.URL())
	ci, err := cl.GetConsensusInfo(bg)
	if err != nil || ci.Engine != "pos" || ci.PoS == nil || ci.PoS.InitialValidators != 4 || ci.PoW != nil || ci.PoS.EpochSlots != p.PoS.EpochSlots {
		t.Errorf("getconsensusinfo pos: %+v %v", ci, err)
	}
	f, err := cl.GetFinality(bg)
	if err != nil || f.Engine != "pos" || f.Finalized == nil || f.Justified == nil {
		t.Errorf("getfinality pos: %+v %v", f, err)
	}
	// Stake outputs show up in listunspent as stake locks, not spendable by a plain spend.
	us, err := cl.ListUnspent(bg, 0, 9999999, p.PoS.Validators[0].Owner)
	var stake *UnspentResult
	for i := range us {
		if us[i].ScriptPubKey.Type == "stake" {
			stake = &us[i]
		}
	}
	if err != nil || stake == nil || stake.Spendable || stake.ScriptPubKey.Validator != p.PoS.Validators[0].Key || stake.Amount != Amount(p.PoS.Validators[0].Stake) {
		t.Errorf("listunspent of a validator owner: %+v %v", us, err)
	}
	if d, err := cl.GetDifficulty(bg); err != nil || d != 0 {
		t.Errorf("getdifficulty pos: %v %v", d, err)
	}
}

func TestHeadersAheadOfBlocks(t *testing.T) {
	n := newTestNode(t, nil)
	bld := chaintest.NewBuilder(n.chain.Params())
	blocks := bld.Chain(n.chain.GenesisHash(), 3)
	hs := make([]*chain.Header, len(blocks))
	for i, b := range blocks {
		hs[i] = &b.Header
	}
	if err := n.chain.ProcessHeaders(hs, chaintest.Now()); err != nil {
		t.Fatal(err)
	}
	info, err := n.cl.GetBlockchainInfo(bg)
	if err != nil || info.Blocks != 0 || info.Headers != 3 {
		t.Errorf("getblockchaininfo with headers only: blocks %d headers %d %v", info.Blocks, info.Headers, err)
	}
	// The header is known, the body is not: getblockheader works, getblock says why not.
	if _, err := n.cl.GetBlockHeader(bg, blocks[2].Hash()); err != nil {
		t.Errorf("getblockheader of a headers-only block: %v", err)
	}
	n.wantErr(CodeMisc, "header only", "getblock", blocks[2].Hash().String())
}
