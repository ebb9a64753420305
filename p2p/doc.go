// Package p2p is chainlab's peer-to-peer network: a websocket transport, a strict wire
// codec, the handshake, a peer manager, block/transaction/vote relay, headers-first sync,
// misbehaviour scoring, and a link-emulation layer for experiments.
//
// p2p does not import node. It consumes three small interfaces that node implements:
// Chain (a subset of *chain.Chain), TxPool (a subset of *chain.Mempool) and the optional
// VotePool (PoS votes and slashing evidence).
//
// # Transport
//
// Peers talk over gorilla/websocket at /p2p (Server.Handler is the endpoint; Start mounts it
// on Config.ListenAddr). Every message is one binary frame: a type byte followed by the
// message's canonical encoding (chain's encoding for blocks, txs, votes and evidence; the
// same little-endian + CompactSize style for the rest). The websocket read limit is the
// largest body any type allows, so a frame whose header announces more (a 100 MB frame) is
// refused before its body is read. After the type byte the body is read through a reader
// that stops one byte past that type's own limit, into a per-peer buffer that is reused
// between frames (buffers over 2 MB are dropped after use). On connections made through
// Start's listener or the dialer, a writer's burst of frames leaves in one write system call
// (buffered up to 64 KiB, flushed when the peer's queue drains). Decoding is strict: trailing
// bytes, non-minimal varints, counts over a limit or beyond the bytes present, unknown
// inventory types and invalid UTF-8 are errors, and nothing is allocated for a lying count.
//
// # Messages and limits (body bytes, type byte excluded)
//
//	1  version     ≤ 638        protocol u32, magic u32, genesis, best height u64, best hash,
//	                            node id, time i64, listen addr (≤256), user agent (≤256)
//	2  verack      0
//	3  inv         ≤ 1,650,003  ≤ 50,000 items of (type u8: 1 tx, 2 block, 3 vote, 4 evidence; hash)
//	4  getdata     same as inv
//	5  notfound    same as inv
//	6  block       Config.MaxBlockBytes (default 4 MiB; node passes the genesis max block size)
//	7  tx          Config.MaxTxBytes (default 1 MiB)
//	8  vote        chain.VoteSize (216)
//	9  evidence    ≤ 435        one of two votes or two sealed headers
//	10 getheaders  ≤ 3,265      ≤ 101 locator hashes, stop hash
//	11 headers     ≤ 434,003    ≤ 2,000 headers (80 bytes + seal flag [+ 136-byte seal])
//	12 getaddr     0
//	13 addr        ≤ 299,003    ≤ 1,000 of (node id, seen i64, addr ≤256)
//	14 ping        8            nonce
//	15 pong        8            nonce
//	16 reject      ≤ 357        message type, code (≤64), reason (≤256), hash
//
// # Handshake
//
// Both sides send version as their first frame and then read the other's. A peer with
// another protocol version, network magic or genesis hash, our own node id, or a banned id is
// sent reject (code "protocol", "magic", "genesis", "self" or "banned", message type
// version, the reason in words) and the connection is closed; the local error wraps
// ErrProtocolMismatch, ErrWrongMagic, ErrWrongGenesis, ErrSelfConnection or ErrBanned.
// Otherwise each side sends verack and waits for the other's, all within
// Config.HandshakeTimeout. Node ids are random per process (NewNodeID). A second connection
// to an already connected node id is deduplicated deterministically: the connection dialled
// by the smaller node id survives, so a simultaneous cross-connect ends with one link.
// After the handshake an outbound side sends getaddr, and both start pinging
// (Config.PingInterval; no pong within Config.PingTimeout disconnects).
//
// # Relay
//
// Blocks, transactions, votes and evidence travel by inv → getdata → object. A peer's
// known-inventory set (bounded, FIFO) remembers what it announced, sent or was sent, and we
// never announce an item to a peer that knows it. Items are relayed only after they
// validated: a block after Chain.ProcessBlock accepted it and the node is not downloading
// (the new tip is announced), a transaction after TxPool.Add, a vote or evidence after
// VotePool.Add*. Blocks are served from Chain.BlockBytes without re-encoding; a peer that
// asks for much waits (backpressure on its own reader) while more than 8 MB are queued
// to it, and one whose queue passes 64 MB is disconnected.
//
// # Sync (one goroutine owns block download and processing)
//
//  1. On connect, a peer whose version reports a higher best height (or the same height and
//     an unknown tip) is asked getheaders with Chain.Locator(). One header-sync peer at a
//     time, the one with the best height; it is switched to the best other peer if it does
//     not answer within Config.StallTimeout.
//  2. headers (≤ 2,000, each linked to the previous one, the first to a known header) go
//     to Chain.ProcessHeaders in chunks of 250, each chunk's missing bodies requested
//     before the next chunk is validated; headers whose bodies are missing join the download queue
//     (bounded at 100,000; a full batch asks the same peer for the next batch from its last
//     hash, paused while the queue is full).
//  3. The queue is served lowest height first, within Config.BlockWindow blocks of the
//     local tip, spreading getdata over every peer whose best height covers the block, at
//     most Config.PerPeerInFlight requests outstanding per peer, least-loaded peer first.
//  4. Blocks whose parent is not stored yet wait in a bounded pending pool (window + 64,
//     entries expire after 4 × StallTimeout) and are connected as soon as their parent is;
//     so blocks from several peers arrive in any order and still reach the chain parent
//     first. A pending block whose parent header is known but not queued queues the parent.
//  5. A request stalls when its peer has delivered nothing for Config.StallTimeout since
//     the request was sent (a slow link that keeps delivering is not stalling). Peers
//     answer getdata in order over an ordered stream, so a delivered block also proves
//     that the blocks requested from that peer before it and still missing were lost
//     (link emulation): those are re-queued at once. Stalled, lost and notfound requests
//     are re-queued for another peer that has the block (or the same one if it is the
//     only one); a block no peer is known to have is forgotten after four failed
//     requests. A peer that stalls on three consecutive checks is dropped (not banned)
//     when another peer can take over.
//  6. Outside a download, an inv for an unknown block is fetched directly (≤ 16 per
//     message); a block whose parent header is unknown triggers getheaders from its sender
//     (how forks and the two sides of a healed partition reconcile). During a download such
//     invs only extend header sync. Every Config.TipRefresh (10 s) the tip is re-announced
//     to all peers, which recovers from invs lost to link emulation.
//  7. A new tip is announced (inv) to the peers that do not know it once nothing is being
//     downloaded; AnnounceTip does the same on request and never blocks.
//  8. Progress is logged through slog every 2 s and reported to Config.OnSyncProgress
//     (height, target, blocks/s, done) for a terminal progress bar; SyncStatus reports
//     the download state (queued, in flight, pending, header peer).
//
// # Misbehaviour scoring
//
// Each peer has a score that decays exponentially (half-life Config.ScoreHalfLife, 1 min).
// At Config.BanThreshold (100) the peer is sent reject "banned", disconnected, and its node
// id (and dialled/advertised address) banned for Config.BanDuration (24 h).
//
//	malformed message, unknown type, text frame          100
//	oversize message (per type, or the frame limit)      100
//	invalid block or header (consensus rule error)       100
//	version/verack after the handshake                   100
//	headers that do not link to each other                20
//	invalid loose transaction (context-free, signature)   10
//	invalid loose vote or evidence                        10
//	unsolicited block/tx/vote/headers/addr beyond a flood
//	allowance (token bucket: 200 burst, 50/s)             5 each
//	policy or race kinds: missing input, double spend, immature, locktime, mempool
//	conflict/full, fee too low, dust, duplicate, orphan, time too new, future slot,
//	finalized conflict                                     0
//	storage failures (not a *chain.RuleError)              0, logged
//
// ruleScore in score.go is the one place where chain.ErrorKinds become points.
//
// # Peers
//
// Config.StaticPeers are always redialled. The address book learns peers' advertised
// listen addresses from handshakes and addr messages (bounded at 1,000, oldest evicted) and
// fills outbound connections up to Config.TargetOutbound. Failed dials back off
// exponentially from Config.ReconnectMin to Config.ReconnectMax with ±25 % seeded jitter; a
// connection that ran is redialled after ReconnectMin. Inbound connections are capped at
// Config.MaxInbound (503 before the upgrade).
//
// # Link emulation
//
// SetLink(id, LinkParams{Delay, Jitter, Loss, Bandwidth}) emulates the link from this node to
// a peer, on the send path: a message is dropped with probability Loss, occupies the
// emulated wire for size/Bandwidth after the previous one, then leaves after Delay plus a
// uniform jitter in [0, Jitter), never before the previous message (websocket order is
// kept). Departure times are computed when the message is queued, so a delayed link still
// pipelines; the writer goroutine holds each frame until its time with one reused timer.
// SetPartition(groups) drops every message, sent or received, between listed nodes of
// different groups (unlisted nodes are unaffected); changing it re-announces the tip so the
// sides reconcile on heal. Both are settable in Config (Links, Partition) and at run time;
// Links() and Partition() report them. Randomness (loss, jitter, ping nonces, dial choice)
// comes from a PCG source seeded by Config.Seed. With zero parameters a peer has no link
// state at all: no timer, no random draw, no goroutine.
//
// # Observability
//
// Peers() (id, addresses, direction, RTT, bytes and messages each way, ban score, best
// height, link emulation), Stats(), SyncStatus(), FirstSeen(hash) (which peer delivered a
// block first and when, for getblockstats-style propagation data) and Config.OnBlock (every
// block received from a peer, with its receive time, size and the chain's result).
//
// # Errors
//
// Handshake errors are the sentinels above; decoding errors wrap ErrMalformedMessage,
// ErrOversizeMessage or ErrUnknownMessage. Rule errors from the chain or the pools are
// never returned to the caller: they score the peer that sent the object.
package p2p
