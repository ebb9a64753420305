package rpc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"chainlab/chain"
)

// Config configures a Server. Chain and Mempool are required; everything else is optional
// or has a default.
type Config struct {
	Chain      Chain        // required (*chain.Chain)
	Mempool    Mempool      // required (*chain.Mempool)
	Net        NetControl   // peers, addnode, link emulation
	Miner      MinerControl // PoW mining loop (nil on PoS nodes)
	Staking    StakingInfo  // PoS validators and duties (nil on PoW nodes)
	BlockStats BlockStats   // per-block receive timing

	// Stop is called (in its own goroutine) by the stop method to shut the node down.
	Stop func()
	// TxAccepted is called after sendrawtransaction added a transaction to the mempool, so
	// that node relays it and publishes newtx.
	TxAccepted func(tx *chain.Tx, fee uint64)

	// Listen is host:port; an empty host means 127.0.0.1. Default "127.0.0.1:0".
	Listen string
	// CookiePath is where the auth cookie is written (Bitcoin Core's <datadir>/.cookie).
	CookiePath string
	// User and Password enable static credentials (alone or together with the cookie).
	User, Password string
	// NoAuth disables authentication; it is refused for a non-loopback Listen address.
	NoAuth bool

	Logger *slog.Logger
	// Now is the clock (default time.Now).
	Now func() time.Time
	// Version is reported by getnetworkinfo subversion when Net is nil.
	Version string

	MaxBodyBytes int64         // request body limit (default 16 MiB)
	MaxBatch     int           // max requests in one batch (default 1000)
	MaxConns     int           // max open HTTP+websocket connections (default 256)
	WorkQueue    int           // max requests executing at once (default 64); more get 503
	ReadTimeout  time.Duration // HTTP read timeout (default 30 s)
	WriteTimeout time.Duration // HTTP write timeout (default 10 min, for generatetoaddress)
	IdleTimeout  time.Duration // keep-alive idle timeout (default 2 min)

	WSMaxMessage       int64 // websocket message limit (default MaxBodyBytes)
	WSSendQueue        int   // per-connection queued messages before events are dropped (default 1024)
	WSMaxSubscriptions int   // per connection (default 64)
	WSMaxInFlight      int   // per-connection concurrent calls (default 16)
	EventQueue         int   // Publish queue before events are dropped (default 8192)
}

// Server is the JSON-RPC server. Create it with New, then Start; Close stops it.
type Server struct {
	cfg     Config
	log     *slog.Logger
	methods map[string]*method
	auth    authenticator
	started time.Time

	httpSrv  *http.Server
	ln       net.Listener
	work     chan struct{}
	bufs     sync.Pool
	hub      *hub
	closed   atomic.Bool
	closeMu  sync.Mutex
	serveErr chan error
}

// New validates cfg and builds a server (not yet listening).
func New(cfg Config) (*Server, error) {
	if cfg.Chain == nil {
		return nil, errors.New("rpc: Config.Chain is required")
	}
	if cfg.Mempool == nil {
		return nil, errors.New("rpc: Config.Mempool is required")
	}
	if cfg.Listen == "" {
		cfg.Listen = "127.0.0.1:0"
	}
	host, port, err := net.SplitHostPort(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("rpc: listen address %q: %w", cfg.Listen, err)
	}
	if host == "" {
		host = "127.0.0.1"
		cfg.Listen = net.JoinHostPort(host, port)
	}
	if cfg.User == "" && cfg.Password != "" || cfg.User != "" && cfg.Password == "" {
		return nil, errors.New("rpc: User and Password must be set together")
	}
	if cfg.NoAuth {
		if !isLoopback(host) {
			return nil, fmt.Errorf("rpc: listen address %s is not loopback: authentication is required", cfg.Listen)
		}
	} else if cfg.CookiePath == "" && cfg.User == "" {
		return nil, errors.New("rpc: no authentication configured: set CookiePath or User/Password (or NoAuth on loopback)")
	}
	if strings.Contains(cfg.User, ":") {
		return nil, errors.New("rpc: User may not contain ':'")
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	setDefault(&cfg.MaxBodyBytes, 16<<20)
	setDefault(&cfg.MaxBatch, 1000)
	setDefault(&cfg.MaxConns, 256)
	setDefault(&cfg.WorkQueue, 64)
	setDefault(&cfg.ReadTimeout, 30*time.Second)
	setDefault(&cfg.WriteTimeout, 10*time.Minute)
	setDefault(&cfg.IdleTimeout, 2*time.Minute)
	setDefault(&cfg.WSMaxMessage, cfg.MaxBodyBytes)
	setDefault(&cfg.WSSendQueue, 1024)
	setDefault(&cfg.WSMaxSubscriptions, 64)
	setDefault(&cfg.WSMaxInFlight, 16)
	setDefault(&cfg.EventQueue, 8192)
	s := &Server{
		cfg:      cfg,
		log:      cfg.Logger,
		started:  cfg.Now(),
		work:     make(chan struct{}, cfg.WorkQueue),
		serveErr: make(chan error, 1),
	}
	s.bufs.New = func() any { return new(bytes.Buffer) }
	s.methods = s.methodTable()
	s.hub = newHub(s, cfg.EventQueue)
	if cfg.User != "" {
		s.auth.add(cfg.User, cfg.Password)
	}
	s.auth.none = cfg.NoAuth
	return s, nil
}

func setDefault[T int | int64 | time.Duration](v *T, d T) {
	if *v <= 0 {
		*v = d
	}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Start listens, writes the cookie file and serves in the background.
func (s *Server) Start() error {
	if s.cfg.CookiePath != "" {
		user, pass, err := writeCookie(s.cfg.CookiePath)
		if err != nil {
			return err
		}
		s.auth.add(user, pass)
	}
	ln, err := net.Listen("tcp", s.cfg.Listen)
	if err != nil {
		removeCookie(s.cfg.CookiePath, s.auth.cookie)
		return fmt.Errorf("rpc: listen: %w", err)
	}
	s.ln = newLimitListener(ln, s.cfg.MaxConns)
	s.httpSrv = &http.Server{
		Handler:           s,
		ReadTimeout:       s.cfg.ReadTimeout,
		ReadHeaderTimeout: s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
	}
	go s.hub.run()
	go func() {
		err := s.httpSrv.Serve(s.ln)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		s.serveErr <- err
	}()
	s.log.Info("rpc server listening", "addr", s.ln.Addr().String(), "cookie", s.cfg.CookiePath != "")
	return nil
}

// Addr is the listening address (after Start).
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// URL is http://<addr>/ (after Start).
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() + "/" }

// Uptime is the time since New.
func (s *Server) Uptime() time.Duration { return s.cfg.Now().Sub(s.started) }

// Close stops accepting requests, closes websocket connections and removes the cookie
// file. It waits up to 5 s for in-flight HTTP requests.
func (s *Server) Close() error {
	s.closeMu.Lock()
	defer s.closeMu.Unlock()
	if s.closed.Swap(true) || s.httpSrv == nil {
		return nil
	}
	s.hub.close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	err := s.httpSrv.Shutdown(ctx)
	if err != nil {
		err = s.httpSrv.Close()
	}
	if serr := <-s.serveErr; err == nil {
		err = serr
	}
	removeCookie(s.cfg.CookiePath, s.auth.cookie)
	return err
}

// ServeHTTP implements http.Handler: POST / for JSON-RPC, GET /ws for websocket.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if !s.auth.check(r) {
		w.Header().Set("WWW-Authenticate", `Basic realm="jsonrpc"`)
		http.Error(w, "401 Unauthorized", http.StatusUnauthorized)
		return
	}
	if r.URL.Path == "/ws" {
		s.serveWS(w, r)
		return
	}
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", "POST")
		http.Error(w, "JSONRPC server handles only POST requests", http.StatusMethodNotAllowed)
		return
	}
	if r.ContentLength > s.cfg.MaxBodyBytes {
		s.writeTooLarge(w)
		return
	}
	in := s.getBuf()
	defer s.putBuf(in)
	n, err := in.ReadFrom(io.LimitReader(r.Body, s.cfg.MaxBodyBytes+1))
	if err != nil {
		http.Error(w, "read error", http.StatusBadRequest)
		return
	}
	if n > s.cfg.MaxBodyBytes {
		s.writeTooLarge(w)
		return
	}
	select {
	case s.work <- struct{}{}:
	default:
		http.Error(w, "Work queue depth exceeded", http.StatusServiceUnavailable)
		return
	}
	defer func() { <-s.work }()

	out := s.getBuf()
	defer s.putBuf(out)
	status := s.handleBody(r.Context(), in.Bytes(), out)
	if out.Len() == 0 {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	h := w.Header()
	h["Content-Type"] = jsonContentType
	w.WriteHeader(status)
	w.Write(out.Bytes())
}

var jsonContentType = []string{"application/json"}

func (s *Server) writeTooLarge(w http.ResponseWriter) {
	w.Header()["Content-Type"] = jsonContentType
	w.WriteHeader(http.StatusRequestEntityTooLarge)
	b := appendResponse(nil, true, nil, nil, Errorf(CodeInvalidRequest, "request body exceeds %d bytes", s.cfg.MaxBodyBytes))
	w.Write(b)
}

func (s *Server) getBuf() *bytes.Buffer { return s.bufs.Get().(*bytes.Buffer) }

func (s *Server) putBuf(b *bytes.Buffer) {
	if b.Cap() > 1<<20 {
		return // don't pin big buffers
	}
	b.Reset()
	s.bufs.Put(b)
}
