package p2p

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"chainlab/chain"
)

// Handshake and connection errors. A rejected handshake sends MsgReject with the code in
// parentheses before closing.
var (
	ErrProtocolMismatch = errors.New("p2p: protocol version mismatch") // "protocol"
	ErrWrongMagic       = errors.New("p2p: wrong network magic")       // "magic"
	ErrWrongGenesis     = errors.New("p2p: wrong genesis")             // "genesis"
	ErrSelfConnection   = errors.New("p2p: connection to self")        // "self"
	ErrBanned           = errors.New("p2p: peer is banned")            // "banned"
	ErrDuplicatePeer    = errors.New("p2p: duplicate connection")      // "duplicate"
	ErrTooManyPeers     = errors.New("p2p: too many peers")            // "full"
	ErrRejected         = errors.New("p2p: rejected by peer")
	ErrHandshake        = errors.New("p2p: handshake failed")
	ErrStopped          = errors.New("p2p: server stopped")
)

// Server is the peer-to-peer node: transport, peers, relay and sync.
type Server struct {
	cfg      Config
	log      *slog.Logger
	limits   Limits
	rng      *lockedRand
	upgrader websocket.Upgrader
	dialer   *websocket.Dialer

	mu       sync.Mutex
	peers    map[*peer]struct{}
	byID     map[NodeID]*peer
	links    map[NodeID]LinkParams
	closing  bool
	bans     map[NodeID]time.Time
	banAddrs map[string]time.Time
	book     *addrBook

	partition  atomic.Pointer[partition]
	inboundNow atomic.Int32 // inbound connections, handshaking ones included
	sync       *syncManager
	firstSeen  *firstSeenLog

	started   atomic.Bool
	stopping  atomic.Bool
	ctx       context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	listener  net.Listener
	httpSrv   *http.Server
	listenURL string
	wakeDial  chan struct{}

	stats struct {
		blocksRecv, blocksDup, txsRecv, votesRecv, bans atomic.Uint64
	}
}

// New checks cfg and builds a server. Nothing runs until Start.
func New(cfg Config) (*Server, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	s := &Server{
		cfg:      cfg,
		log:      cfg.Logger.With("node", cfg.NodeID.String()),
		limits:   Limits{MaxBlock: cfg.MaxBlockBytes, MaxTx: cfg.MaxTxBytes},
		rng:      newLockedRand(cfg.Seed),
		peers:    make(map[*peer]struct{}),
		byID:     make(map[NodeID]*peer),
		links:    make(map[NodeID]LinkParams),
		bans:     make(map[NodeID]time.Time),
		banAddrs: make(map[string]time.Time),
		wakeDial: make(chan struct{}, 1),
	}
	s.upgrader = websocket.Upgrader{
		ReadBufferSize:  64 << 10,
		WriteBufferSize: 64 << 10,
		CheckOrigin:     func(*http.Request) bool { return true }, // peers are not browsers
	}
	s.dialer = &websocket.Dialer{
		NetDialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err != nil {
				return nil, err
			}
			return &batchConn{Conn: c}, nil
		},
		HandshakeTimeout: cfg.HandshakeTimeout,
		ReadBufferSize:   64 << 10,
		WriteBufferSize:  64 << 10,
	}
	for id, lp := range cfg.Links {
		if !lp.IsZero() {
			s.links[id] = lp
		}
	}
	s.partition.Store(newPartition(cfg.Partition))
	s.book = newAddrBook(s)
	for _, a := range cfg.StaticPeers {
		s.book.addStatic(normalizeAddr(a))
	}
	s.firstSeen = newFirstSeenLog(8192)
	s.sync = newSyncManager(s)
	return s, nil
}

// Start listens (if Config.ListenAddr is set) and starts the sync, dial and ping loops.
// The server stops when ctx is cancelled or Stop is called.
func (s *Server) Start(ctx context.Context) error {
	if !s.started.CompareAndSwap(false, true) {
		return errors.New("p2p: already started")
	}
	s.ctx, s.cancel = context.WithCancel(ctx)
	if s.cfg.ListenAddr != "" {
		ln, err := net.Listen("tcp", s.cfg.ListenAddr)
		if err != nil {
			s.cancel()
			return fmt.Errorf("p2p: listen: %w", err)
		}
		s.listener = ln
		mux := http.NewServeMux()
		mux.Handle("/p2p", s.Handler())
		s.httpSrv = &http.Server{Handler: mux, ReadHeaderTimeout: s.cfg.HandshakeTimeout}
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			_ = s.httpSrv.Serve(batchListener{ln})
		}()
		if s.cfg.AdvertiseAddr == "" {
			s.cfg.AdvertiseAddr = advertiseFor(ln.Addr())
		}
	}
	s.wg.Add(3)
	go func() { defer s.wg.Done(); s.sync.run(s.ctx) }()
	go func() { defer s.wg.Done(); s.dialLoop(s.ctx) }()
	go func() { defer s.wg.Done(); s.pingLoop(s.ctx) }()
	s.log.Info("p2p started", "listen", s.cfg.AdvertiseAddr)
	return nil
}

// Stop disconnects every peer and waits for the server's goroutines.
func (s *Server) Stop() {
	if !s.started.Load() || !s.stopping.CompareAndSwap(false, true) {
		return
	}
	s.mu.Lock()
	s.closing = true // no goroutine is tracked after this point
	s.mu.Unlock()
	s.cancel()
	if s.httpSrv != nil {
		_ = s.httpSrv.Close()
	}
	s.mu.Lock()
	var ps []*peer
	for p := range s.peers {
		ps = append(ps, p)
	}
	s.mu.Unlock()
	for _, p := range ps {
		p.close(ErrStopped)
	}
	s.wg.Wait()
}

// ListenAddr is the address the server listens on ("" without a listener).
func (s *Server) ListenAddr() string {
	if s.listener == nil {
		return ""
	}
	return s.listener.Addr().String()
}

// NodeID returns this node's id.
func (s *Server) NodeID() NodeID { return s.cfg.NodeID }

// Handler returns the websocket endpoint to mount at /p2p.
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.serveWS) }

func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	if !s.started.Load() || s.ctx.Err() != nil {
		http.Error(w, "stopped", http.StatusServiceUnavailable)
		return
	}
	if int(s.inboundNow.Add(1)) > s.cfg.MaxInbound {
		s.inboundNow.Add(-1)
		http.Error(w, "too many peers", http.StatusServiceUnavailable)
		return
	}
	defer s.inboundNow.Add(-1)
	if !s.track() {
		http.Error(w, "stopped", http.StatusServiceUnavailable)
		return
	}
	defer s.wg.Done()
	ws, err := s.upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	p := newPeer(s, ws, r.RemoteAddr, true)
	if _, err := s.runPeerReady(p, nil); err != nil {
		s.log.Debug("inbound peer ended", "remote", r.RemoteAddr, "err", err)
	}
}

// Connect dials addr (host:port or a ws:// URL), handshakes and runs the peer in the
// background. It returns once the handshake is done.
func (s *Server) Connect(ctx context.Context, addr string) (NodeID, error) {
	if !s.started.Load() {
		return NodeID{}, errors.New("p2p: not started")
	}
	return s.dial(ctx, normalizeAddr(addr))
}

func (s *Server) dial(ctx context.Context, addr string) (NodeID, error) {
	if s.isAddrBanned(addr) {
		return NodeID{}, ErrBanned
	}
	ws, _, err := s.dialer.DialContext(ctx, "ws://"+addr+"/p2p", nil)
	if err != nil {
		s.book.disconnected(addr, NodeID{}, false, err)
		return NodeID{}, fmt.Errorf("p2p: dial %s: %w", addr, err)
	}
	p := newPeer(s, ws, addr, false)
	ready := make(chan error, 1)
	if !s.track() {
		_ = ws.Close()
		return NodeID{}, ErrStopped
	}
	go func() {
		defer s.wg.Done()
		registered, err := s.runPeerReady(p, ready)
		s.book.disconnected(addr, p.id, registered, err)
		if err != nil {
			s.log.Debug("outbound peer ended", "addr", addr, "err", err)
		}
	}()
	select {
	case err := <-ready:
		return p.id, err
	case <-ctx.Done():
		p.close(ctx.Err())
		return NodeID{}, ctx.Err()
	}
}

// Disconnect closes the connection to the node id.
func (s *Server) Disconnect(id NodeID) bool {
	s.mu.Lock()
	p := s.byID[id]
	s.mu.Unlock()
	if p == nil {
		return false
	}
	p.close(errors.New("disconnect requested"))
	return true
}

// runPeerReady handshakes, registers and runs p until it closes. ready (optional) gets the
// handshake result. registered says whether the peer got past the handshake.
func (s *Server) runPeerReady(p *peer, ready chan<- error) (registered bool, _ error) {
	err := s.handshake(p)
	if err == nil {
		err = s.register(p)
	}
	if ready != nil {
		ready <- err
	}
	if err != nil {
		p.close(err)
		return false, err
	}
	go p.writeLoop()
	s.sync.peerAdded(p)
	s.onConnected(p)
	err = s.readLoop(p)
	p.close(err)
	<-p.done
	s.unregister(p)
	s.sync.peerRemoved(p)
	return true, p.closeErr
}

func (s *Server) register(p *peer) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ctx.Err() != nil {
		return ErrStopped
	}
	if s.isBannedLocked(p.id, s.cfg.Now()) {
		return ErrBanned
	}
	if old := s.byID[p.id]; old != nil {
		// Keep the connection dialled by the smaller node id, so both ends of a simultaneous
		// cross-connect drop the same one.
		dNew, dOld := s.dialerOf(p), s.dialerOf(old)
		if bytes.Compare(dNew[:], dOld[:]) >= 0 {
			return ErrDuplicatePeer
		}
		old.close(ErrDuplicatePeer)
		delete(s.peers, old)
	}
	s.peers[p] = struct{}{}
	s.byID[p.id] = p
	if lp, ok := s.links[p.id]; ok {
		p.setLink(lp)
	}
	p.connected = s.cfg.Now()
	return nil
}

// track adds a goroutine to the stop wait group unless the server is stopping.
func (s *Server) track() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.wg.Add(1)
	return true
}

func (s *Server) dialerOf(p *peer) NodeID {
	if p.inbound {
		return p.id
	}
	return s.cfg.NodeID
}

func (s *Server) unregister(p *peer) {
	s.mu.Lock()
	delete(s.peers, p)
	if s.byID[p.id] == p {
		delete(s.byID, p.id)
	}
	s.mu.Unlock()
	s.log.Debug("peer disconnected", "peer", p, "err", p.closeErr)
	select {
	case s.wakeDial <- struct{}{}:
	default:
	}
}

func (s *Server) peersByIDLocked(id NodeID) []*peer {
	if p := s.byID[id]; p != nil {
		return []*peer{p}
	}
	return nil
}

func (s *Server) peerList() []*peer {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]*peer, 0, len(s.peers))
	for p := range s.peers {
		out = append(out, p)
	}
	return out
}

// ---- bans ----

func (s *Server) ban(p *peer, reason string) {
	now := s.cfg.Now()
	until := now.Add(s.cfg.BanDuration)
	s.mu.Lock()
	if len(s.bans) >= maxBans || len(s.banAddrs) >= maxBans {
		s.pruneBansLocked(now)
	}
	s.bans[p.id] = until
	if !p.inbound {
		s.banAddrs[p.addr] = until
	}
	if p.listenAddr != "" {
		s.banAddrs[p.listenAddr] = until
	}
	s.mu.Unlock()
	s.stats.bans.Add(1)
	s.log.Warn("peer banned", "peer", p, "reason", reason, "until", until)
	if !p.isClosed() {
		p.send(&MsgReject{Code: "banned", Reason: truncate(reason, MaxRejectReason)})
	}
	p.close(fmt.Errorf("%w: %s", ErrBanned, reason))
}

// maxBans bounds each ban list (node ids are free to make).
const maxBans = 10_000

// pruneBansLocked drops expired bans and, if a list is still full, the bans ending first.
func (s *Server) pruneBansLocked(now time.Time) {
	for id, until := range s.bans {
		if now.After(until) {
			delete(s.bans, id)
		}
	}
	for a, until := range s.banAddrs {
		if now.After(until) {
			delete(s.banAddrs, a)
		}
	}
	for len(s.bans) >= maxBans {
		var first NodeID
		var at time.Time
		for id, until := range s.bans {
			if at.IsZero() || until.Before(at) {
				first, at = id, until
			}
		}
		delete(s.bans, first)
	}
	for len(s.banAddrs) >= maxBans {
		var first string
		var at time.Time
		for a, until := range s.banAddrs {
			if at.IsZero() || until.Before(at) {
				first, at = a, until
			}
		}
		delete(s.banAddrs, first)
	}
}

func (s *Server) isBannedLocked(id NodeID, now time.Time) bool {
	until, ok := s.bans[id]
	if ok && now.After(until) {
		delete(s.bans, id)
		return false
	}
	return ok
}

func (s *Server) isAddrBanned(addr string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	until, ok := s.banAddrs[addr]
	if ok && s.cfg.Now().After(until) {
		delete(s.banAddrs, addr)
		return false
	}
	return ok
}

// IsBanned reports whether the node id is currently banned.
func (s *Server) IsBanned(id NodeID) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.isBannedLocked(id, s.cfg.Now())
}

// Unban lifts a ban on a node id.
func (s *Server) Unban(id NodeID) {
	s.mu.Lock()
	delete(s.bans, id)
	s.mu.Unlock()
}

// ---- handshake ----

func (s *Server) versionMsg() *MsgVersion {
	tip, h := s.cfg.Chain.Tip()
	return &MsgVersion{
		Protocol:   ProtocolVersion,
		Magic:      s.cfg.Magic,
		Genesis:    s.cfg.GenesisHash,
		BestHeight: h,
		BestHash:   tip,
		NodeID:     s.cfg.NodeID,
		Time:       s.cfg.Now().Unix(),
		ListenAddr: s.cfg.AdvertiseAddr,
		UserAgent:  s.cfg.UserAgent,
	}
}

// handshake exchanges version/verack before the writer runs (writes are direct).
func (s *Server) handshake(p *peer) error {
	_ = p.ws.SetReadDeadline(time.Now().Add(s.cfg.HandshakeTimeout))
	if err := p.writeFrame(MsgTypeVersion, s.versionMsg().AppendBody(nil)); err != nil {
		return fmt.Errorf("%w: %w", ErrHandshake, err)
	}
	m, _, err := p.readMessage()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrHandshake, err)
	}
	v, ok := m.(*MsgVersion)
	if !ok {
		if rj, ok := m.(*MsgReject); ok {
			return fmt.Errorf("%w: %s: %s", ErrRejected, rj.Code, rj.Reason)
		}
		return fmt.Errorf("%w: expected version, got %s", ErrHandshake, m.Type())
	}
	var code string
	var herr error
	switch {
	case v.Protocol != ProtocolVersion:
		code, herr = "protocol", fmt.Errorf("%w: ours %d, theirs %d", ErrProtocolMismatch, ProtocolVersion, v.Protocol)
	case v.Magic != s.cfg.Magic:
		code, herr = "magic", fmt.Errorf("%w: ours %08x, theirs %08x", ErrWrongMagic, s.cfg.Magic, v.Magic)
	case v.Genesis != s.cfg.GenesisHash:
		code, herr = "genesis", fmt.Errorf("%w: ours %s, theirs %s", ErrWrongGenesis, s.cfg.GenesisHash, v.Genesis)
	case v.NodeID == s.cfg.NodeID:
		code, herr = "self", ErrSelfConnection
	case s.IsBanned(v.NodeID):
		code, herr = "banned", ErrBanned
	}
	if herr != nil {
		rj := &MsgReject{Message: MsgTypeVersion, Code: code, Reason: truncate(herr.Error(), MaxRejectReason)}
		_ = p.writeFrame(MsgTypeReject, rj.AppendBody(nil))
		_ = p.ws.WriteControl(websocket.CloseMessage,
			websocket.FormatCloseMessage(websocket.ClosePolicyViolation, code), time.Now().Add(time.Second))
		return herr
	}
	p.id, p.listenAddr, p.userAgent, p.version = v.NodeID, v.ListenAddr, v.UserAgent, v.Protocol
	p.startBest, p.startHash = v.BestHeight, v.BestHash
	p.bestHeight.Store(v.BestHeight)
	if err := p.writeFrame(MsgTypeVerAck, nil); err != nil {
		return fmt.Errorf("%w: %w", ErrHandshake, err)
	}
	m, _, err = p.readMessage()
	if err != nil {
		return fmt.Errorf("%w: %w", ErrHandshake, err)
	}
	if _, ok := m.(*MsgVerAck); !ok {
		if rj, ok := m.(*MsgReject); ok {
			return fmt.Errorf("%w: %s: %s", ErrRejected, rj.Code, rj.Reason)
		}
		return fmt.Errorf("%w: expected verack, got %s", ErrHandshake, m.Type())
	}
	_ = p.ws.SetReadDeadline(time.Time{})
	return nil
}

func (s *Server) onConnected(p *peer) {
	s.log.Info("peer connected", "peer", p, "agent", p.userAgent, "height", p.startBest)
	if p.listenAddr != "" {
		s.book.learned(p.listenAddr, p.id, s.cfg.Now())
	}
	if !p.inbound {
		p.send(&MsgGetAddr{})
	}
	s.sendPing(p)
}

// ---- helpers ----

// advertiseFor turns a listener address into one peers can dial: an unspecified host
// (0.0.0.0, ::) becomes 127.0.0.1, the testbed's loopback.
func advertiseFor(a net.Addr) string {
	if ta, ok := a.(*net.TCPAddr); ok && ta.IP.IsUnspecified() {
		return net.JoinHostPort("127.0.0.1", strconv.Itoa(ta.Port))
	}
	return a.String()
}

func normalizeAddr(a string) string {
	a = strings.TrimPrefix(a, "ws://")
	a = strings.TrimSuffix(a, "/p2p")
	return strings.TrimSuffix(a, "/")
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

// firstSeenLog remembers, for recent blocks, which peer delivered them first and when.
type firstSeenLog struct {
	mu   sync.Mutex
	m    map[chain.Hash]firstSeen
	ring []chain.Hash
	next int
}

type firstSeen struct {
	peer NodeID
	at   time.Time
}

func newFirstSeenLog(n int) *firstSeenLog {
	return &firstSeenLog{m: make(map[chain.Hash]firstSeen), ring: make([]chain.Hash, n)}
}

func (f *firstSeenLog) record(h chain.Hash, id NodeID, at time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.m[h]; ok {
		return
	}
	if old := f.ring[f.next]; !old.IsZero() {
		delete(f.m, old)
	}
	f.ring[f.next] = h
	f.next = (f.next + 1) % len(f.ring)
	f.m[h] = firstSeen{id, at}
}

// FirstSeen returns the peer that first delivered block h and when (ok=false for blocks
// produced locally or older than the log).
func (s *Server) FirstSeen(h chain.Hash) (NodeID, time.Time, bool) {
	s.firstSeen.mu.Lock()
	defer s.firstSeen.mu.Unlock()
	fs, ok := s.firstSeen.m[h]
	return fs.peer, fs.at, ok
}
