// Package rpc is chainlab's JSON-RPC server and Go client.
//
// # Transport
//
// The server answers JSON-RPC 2.0 over HTTP POST on "/" and accepts the JSON-RPC 1.0
// requests bitcoin-cli and other Bitcoin tools send (no "jsonrpc" member; the reply then
// carries both "result" and "error", as Bitcoin Core's legacy replies do, and a failed call
// gets HTTP 404 for an unknown method, 400 for an invalid request and 500 otherwise; 2.0
// replies are always HTTP 200). Batches (a JSON array) run in order and reply with an
// array; JSON-RPC 2.0 notifications (no "id") get no reply. Parameters may be positional
// (array) or named (object, mapped by the method's parameter names below).
//
// The same methods run over a websocket at "/ws", plus subscribe/unsubscribe. Event
// notifications look like
//
//	{"jsonrpc":"2.0","method":"subscription","params":{"subscription":"0x1","topic":"newblock","result":{...}}}
//
// Topics: newblock, reorg (depth, fork height, disconnected hashes tip first, connected
// hashes in order), newtx, justified, finalized, slashed, peer. node pushes events with
// Server.Publish (and PublishBlock, PublishTx, PublishResult), which never blocks: an event
// nobody subscribed to costs an atomic load; events go through a bounded queue to one
// fan-out goroutine that encodes each event once and offers it to every subscribed
// connection without blocking. A connection whose send queue (WSSendQueue) is full loses
// the event and later receives {"topic":"lagged","result":{"dropped":N}} right before its
// next event. Replies to calls are never dropped; a client that does not read only stalls
// itself (at most WSMaxInFlight calls per connection run at once).
//
// # Security and limits
//
// The server listens on 127.0.0.1 by default; New refuses NoAuth on a non-loopback
// address. Authentication is HTTP Basic: the cookie file (Bitcoin Core's scheme:
// "__cookie__:<64 hex chars>" from crypto/rand, written with mode 0600 at
// Config.CookiePath on Start and removed on Close if it still holds our cookie), and/or a
// static User/Password. Credentials are compared as SHA-256 digests with
// crypto/subtle.ConstantTimeCompare. Limits: MaxBodyBytes (HTTP 413 with a -32600 error
// body), MaxBatch (-32600), MaxConns open connections (Accept waits), WorkQueue concurrent
// HTTP requests (HTTP 503, as Core's work queue), Read/Write/Idle timeouts (handlers are
// non-blocking reads of chain state; generatetoaddress runs under the request context and
// stops when the client goes away), websocket message size,
// subscriptions and in-flight calls per connection. A panicking handler returns -32603 and
// the server carries on.
//
// # Errors
//
//	-32700 parse error             body is not JSON
//	-32600 invalid request         not a request object; bad "jsonrpc"/"params"; empty,
//	                               oversize or too large batch; body over MaxBodyBytes
//	-32601 method not found        unknown method, or a capability the node lacks (no
//	                               miner on a PoS node, no staking on PoW, no p2p)
//	-32602 invalid params          missing required or too many positional parameters
//	-32603 internal error          storage failures and other non-rule errors, panics
//	-1     misc                    header known but block body missing
//	-3     type error              a parameter has the wrong JSON type
//	-5     invalid address or key  bad address or private key, unknown block/tx/timing
//	-8     invalid parameter       out-of-range value, malformed hash, unknown named param
//	-22    deserialization error   hex that does not decode (TX decode failed)
//	-25    verify error            rule kinds ErrMissingInput, ErrDoubleSpend, ErrImmatureSpend
//	-26    verify rejected         every other chain.ErrorKind (consensus or policy)
//	-27    already in chain        ErrDuplicateBlock
//	-23/-24/-29                    addnode/disconnectnode bookkeeping (ErrNodeAlreadyAdded,
//	                               ErrNodeNotAdded, ErrNodeNotConnected from NetControl)
//
// RuleErrorCode is the one mapping from chain.ErrorKind to a code; the message is the
// RuleError text, which starts with the kind ("ErrBadSignature: input 0 ..."), so clients
// can match the kind. Backends may return the sentinels ErrUnavailable, ErrNotFound,
// ErrInvalidParameter (wrapped) to select a code; any other error is -32603.
//
// # Methods
//
// Bitcoin Core names, parameters and result field names:
//
//	getblockcount                              height of the best chain
//	getbestblockhash                           tip hash
//	getblockhash height                        main-chain hash at height (-8 out of range)
//	getblock blockhash [verbosity=1]           0 hex, 1 json with txids, 2 json with txs
//	getblockheader blockhash [verbose=true]    json, or hex of the canonical header encoding
//	                                           (80 Bitcoin bytes + seal flag [+ PoS seal])
//	getblockchaininfo                          chain, blocks, headers, bestblockhash, ...
//	getchaintips                               height, hash, branchlen, status
//	getdifficulty                              pow limit / target (0 for PoS)
//	getmininginfo                              blocks, difficulty, networkhashps, pooledtx, generate
//	getnetworkinfo                             version, subversion, connections, ...
//	getpeerinfo                                id, addr, inbound, bytessent, ...
//	getconnectioncount
//	getrawmempool [verbose=false]              txids, or txid → {vsize, weight, time, fees, depends}
//	getmempoolinfo                             loaded, size, bytes, usage, maxmempool, mempoolminfee
//	getrawtransaction txid [verbose] [blockhash]  mempool, tx index, or the given block
//	gettxout txid n [include_mempool=true]     null when spent or unknown
//	sendrawtransaction hexstring [maxfeerate]  → txid; already pooled is success
//	decoderawtransaction hexstring
//	validateaddress address                    isvalid, address, scriptPubKey, witness_program
//	generatetoaddress nblocks address [maxtries]  PoW only
//	addnode node add|remove|onetry
//	disconnectnode [address] [nodeid]
//	uptime, stop, help [command]
//
// chainlab:
//
//	getconsensusinfo                  engine and consensus parameters
//	getfinality                       one shape: final hash/height, depth, absolute; PoS
//	                                  adds finalized and justified checkpoints
//	getvalidators                     PoS validator set (StakingInfo)
//	getproposer slot                  PoS proposer of a slot
//	getstakinginfo                    slot, epoch, local validators and duties
//	registervalidator privkey         hand a validator key to the node (ValidatorRegistrar)
//	getbalance address [minconf=0]    sum of the address's coins (chain address index)
//	listunspent minconf maxconf addresses   Core's parameter order; addresses required
//	setgenerate generate [genproclimit], getgenerate, sethashrate hashespersec
//	setlink peer {delay_ms, jitter_ms, loss, bandwidth_bps, down}, getlinks
//	setpartition [peers]              cut links to peers; [] heals
//	getblocktiming blockhash          received_ms, first_peer, local, propagation_ms
//	subscribe topics, unsubscribe id  websocket only
//
// # Backends
//
// rpc imports chain, genesis and address only. It consumes Chain and Mempool (satisfied by
// *chain.Chain and *chain.Mempool) and the optional NetControl, MinerControl, StakingInfo
// and BlockStats that node implements; a nil optional backend makes its methods answer
// -32601. TxAccepted lets node relay and publish a transaction that sendrawtransaction
// added.
//
// # Client
//
// NewClient(url, WithCookieFile(path) | WithBasicAuth(user, pass)) returns a keep-alive
// client with one typed method per server method (GetBlockCount, GetBlock, SendRawTransaction,
// ...), Call/CallRaw for anything else, and Subscribe for websocket events. Error replies
// are *Error. A Subscription delivers events in publish order on its channel; a
// Notification with Topic "lagged" says how many events the server dropped for it.
package rpc
