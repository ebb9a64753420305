package rpc

import (
	"fmt"
	"sort"
	"strings"
)

// methodTable is the dispatch table. Every method has its Bitcoin Core name and parameter
// names where Core has the method.
func (s *Server) methodTable() map[string]*method {
	list := methodList()
	m := make(map[string]*method, len(list))
	for _, x := range list {
		m[x.name] = x
	}
	return m
}

// ParamNames returns the parameter names of a method in positional order (for CLIs that
// convert arguments), and whether the method exists.
func ParamNames(name string) ([]string, bool) {
	for _, m := range methodList() {
		if m.name == name {
			return m.args, true
		}
	}
	return nil, false
}

func methodList() []*method {
	return []*method{
		// Blockchain (Bitcoin Core).
		{name: "getblockcount", fn: getBlockCount, help: "height of the most-work (best) chain"},
		{name: "getbestblockhash", fn: getBestBlockHash, help: "hash of the best block"},
		{name: "getblockhash", args: []string{"height"}, required: 1, fn: getBlockHash, help: "hash of the main-chain block at height"},
		{name: "getblock", args: []string{"blockhash", "verbosity"}, required: 1, fn: getBlock, help: "block as hex (0), json (1, default) or json with decoded transactions (2)"},
		{name: "getblockheader", args: []string{"blockhash", "verbose"}, required: 1, fn: getBlockHeader, help: "header as json (default) or hex"},
		{name: "getblockchaininfo", fn: getBlockchainInfo, help: "chain state summary"},
		{name: "getchaintips", fn: getChainTips, help: "every known branch tip"},
		{name: "getdifficulty", fn: getDifficulty, help: "proof-of-work difficulty of the tip (0 for PoS)"},
		{name: "getrawmempool", args: []string{"verbose", "mempool_sequence"}, fn: getRawMempool, help: "txids in the mempool, or an object of entries (verbose)"},
		{name: "getmempoolinfo", fn: getMempoolInfo, help: "mempool size and usage"},
		{name: "getrawtransaction", args: []string{"txid", "verbose", "blockhash"}, required: 1, fn: getRawTransaction, help: "a mempool or (with the tx index) chain transaction as hex or json"},
		{name: "gettxout", args: []string{"txid", "n", "include_mempool"}, required: 2, fn: getTxOut, help: "an unspent output, or null"},
		{name: "sendrawtransaction", args: []string{"hexstring", "maxfeerate"}, required: 1, fn: sendRawTransaction, help: "submit a signed transaction to the mempool and relay it; returns the txid"},
		{name: "decoderawtransaction", args: []string{"hexstring"}, required: 1, fn: decodeRawTransaction, help: "decode a transaction"},
		{name: "validateaddress", args: []string{"address"}, required: 1, fn: validateAddress, help: "check an address"},
		// Mining (Bitcoin Core).
		{name: "getmininginfo", fn: getMiningInfo, help: "mining state"},
		{name: "generatetoaddress", args: []string{"nblocks", "address", "maxtries"}, required: 2, fn: generateToAddress, help: "mine blocks now (PoW) paying address; returns their hashes"},
		// Network (Bitcoin Core).
		{name: "getnetworkinfo", fn: getNetworkInfo, help: "p2p state"},
		{name: "getpeerinfo", fn: getPeerInfo, help: "connected peers"},
		{name: "getconnectioncount", fn: getConnectionCount, help: "number of connections"},
		{name: "addnode", args: []string{"node", "command"}, required: 2, fn: addNode, help: "add, remove or try once a peer (command add|remove|onetry)"},
		{name: "disconnectnode", args: []string{"address", "nodeid"}, fn: disconnectNode, help: "drop a peer by address or id"},
		// Control (Bitcoin Core).
		{name: "uptime", fn: uptime, help: "seconds since the server started"},
		{name: "stop", fn: stop, help: "stop the node"},
		{name: "help", args: []string{"command"}, fn: helpMethod, help: "list methods, or usage of one"},
		// chainlab.
		{name: "getconsensusinfo", fn: getConsensusInfo, help: "consensus engine and its parameters"},
		{name: "getfinality", fn: getFinality, help: "finalized block and (PoS) checkpoints, one shape for both engines"},
		{name: "getvalidators", fn: getValidators, help: "PoS validator set"},
		{name: "getproposer", args: []string{"slot"}, required: 1, fn: getProposer, help: "PoS proposer of a slot"},
		{name: "getstakinginfo", fn: getStakingInfo, help: "PoS slot, epoch and local validator duties"},
		{name: "registervalidator", args: []string{"privkey"}, required: 1, fn: registerValidator, help: "give the node a validator signing key (hex)"},
		{name: "getbalance", args: []string{"address", "minconf"}, required: 1, fn: getBalance, help: "confirmed balance of an address (address index)"},
		{name: "listunspent", args: []string{"minconf", "maxconf", "addresses"}, required: 3, fn: listUnspent, help: "unspent outputs of addresses (address index)"},
		{name: "setgenerate", args: []string{"generate", "genproclimit"}, required: 1, fn: setGenerate, help: "start/stop the PoW miner with genproclimit threads"},
		{name: "getgenerate", fn: getGenerate, help: "whether the PoW miner runs"},
		{name: "sethashrate", args: []string{"hashespersec"}, required: 1, fn: setHashRate, help: "throttle the miner (0 = unthrottled)"},
		{name: "setlink", args: []string{"peer", "spec"}, required: 2, fn: setLink, help: "emulate a link to a peer: {delay_ms, jitter_ms, loss, bandwidth_bps, down}"},
		{name: "getlinks", fn: getLinks, help: "emulated links"},
		{name: "setpartition", args: []string{"peers"}, required: 1, fn: setPartition, help: "cut this node off from peers ([] heals)"},
		{name: "getblocktiming", args: []string{"blockhash"}, required: 1, fn: getBlockTiming, help: "when and from which peer this node first received a block"},
		// Websocket only.
		{name: "subscribe", args: []string{"topics"}, required: 1, fn: subscribe, help: "websocket: subscribe to topics (" + strings.Join(Topics, ", ") + "); returns a subscription id"},
		{name: "unsubscribe", args: []string{"subscription"}, required: 1, fn: unsubscribe, help: "websocket: cancel a subscription"},
	}
}

func helpMethod(c *call) (any, error) {
	name, err := c.params.String(0, "")
	if err != nil {
		return nil, err
	}
	if name != "" {
		m := c.s.methods[name]
		if m == nil {
			return fmt.Sprintf("help: unknown command: %s", name), nil
		}
		return m.usage() + "\n\n" + m.help, nil
	}
	names := make([]string, 0, len(c.s.methods))
	for n := range c.s.methods {
		names = append(names, n)
	}
	sort.Strings(names)
	var b strings.Builder
	for _, n := range names {
		b.WriteString(c.s.methods[n].usage())
		b.WriteByte('\n')
	}
	return b.String(), nil
}

func uptime(c *call) (any, error) { return int64(c.s.Uptime().Seconds()), nil }

func stop(c *call) (any, error) {
	if c.s.cfg.Stop == nil {
		return nil, fmt.Errorf("stop: %w", ErrUnavailable)
	}
	go c.s.cfg.Stop()
	return "chainlab server stopping", nil
}
