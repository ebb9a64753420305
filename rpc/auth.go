package rpc

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
)

// CookieUser is the user name in the cookie file, as Bitcoin Core.
const CookieUser = "__cookie__"

// authenticator checks HTTP Basic credentials against a fixed set of user:password pairs.
// Pairs are kept as SHA-256 digests and compared in constant time, so neither the content
// nor the length of a secret leaks through timing.
type authenticator struct {
	none   bool
	mu     sync.RWMutex
	hashes [][32]byte
	cookie string // "user:pass" of the cookie we wrote, for removal checks
	// last is the most recent accepted Authorization header: a keep-alive client sends
	// the same one every time, and comparing it (in constant time) skips base64 + SHA-256.
	last atomic.Pointer[string]
}

func (a *authenticator) add(user, pass string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.hashes = append(a.hashes, sha256.Sum256([]byte(user+":"+pass)))
	if user == CookieUser {
		a.cookie = user + ":" + pass
	}
}

func (a *authenticator) check(r *http.Request) bool {
	if a.none {
		return true
	}
	hdr := r.Header["Authorization"]
	if len(hdr) == 1 {
		if last := a.last.Load(); last != nil && constantTimeEqual(hdr[0], *last) {
			return true
		}
	}
	user, pass, ok := r.BasicAuth()
	if !ok {
		return false
	}
	h := sha256.Sum256([]byte(user + ":" + pass))
	a.mu.RLock()
	defer a.mu.RUnlock()
	match := 0
	for i := range a.hashes {
		match |= subtle.ConstantTimeCompare(h[:], a.hashes[i][:])
	}
	if match == 1 && len(hdr) == 1 {
		s := hdr[0]
		a.last.Store(&s)
	}
	return match == 1
}

// constantTimeEqual compares two strings in time that depends only on their lengths.
func constantTimeEqual(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	var v byte
	for i := 0; i < len(a); i++ {
		v |= a[i] ^ b[i]
	}
	return subtle.ConstantTimeByteEq(v, 0) == 1
}

// writeCookie writes "__cookie__:<64 hex>" to path with mode 0600 (write temp, rename).
func writeCookie(path string) (user, pass string, err error) {
	var raw [32]byte
	if _, err := rand.Read(raw[:]); err != nil {
		return "", "", fmt.Errorf("rpc: cookie: %w", err)
	}
	pass = hex.EncodeToString(raw[:])
	tmp := path + ".tmp"
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return "", "", fmt.Errorf("rpc: cookie: %w", err)
	}
	if err := os.WriteFile(tmp, []byte(CookieUser+":"+pass), 0o600); err != nil {
		return "", "", fmt.Errorf("rpc: cookie: %w", err)
	}
	if err := os.Chmod(tmp, 0o600); err != nil {
		return "", "", fmt.Errorf("rpc: cookie: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return "", "", fmt.Errorf("rpc: cookie: %w", err)
	}
	return CookieUser, pass, nil
}

// removeCookie deletes the cookie file if it still holds the cookie this server wrote
// (another node may have replaced it).
func removeCookie(path, want string) {
	if path == "" || want == "" {
		return
	}
	b, err := os.ReadFile(path)
	if err == nil && strings.TrimSpace(string(b)) == want {
		os.Remove(path)
	}
}

// ReadCookie reads a cookie file and returns its user and password.
func ReadCookie(path string) (user, pass string, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", "", fmt.Errorf("rpc: cookie: %w", err)
	}
	user, pass, ok := strings.Cut(strings.TrimSpace(string(b)), ":")
	if !ok {
		return "", "", fmt.Errorf("rpc: cookie %s: malformed", path)
	}
	return user, pass, nil
}

// limitListener bounds the number of open connections: Accept blocks while max are open.
type limitListener struct {
	net.Listener
	sem  chan struct{}
	done chan struct{}
	once sync.Once
}

func newLimitListener(l net.Listener, max int) net.Listener {
	return &limitListener{Listener: l, sem: make(chan struct{}, max), done: make(chan struct{})}
}

func (l *limitListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.Listener.Close()
}

func (l *limitListener) Accept() (net.Conn, error) {
	select {
	case l.sem <- struct{}{}:
	case <-l.done:
		return nil, net.ErrClosed
	}
	c, err := l.Listener.Accept()
	if err != nil {
		<-l.sem
		return nil, err
	}
	return &limitConn{Conn: c, release: func() { <-l.sem }}, nil
}

type limitConn struct {
	net.Conn
	once    sync.Once
	release func()
}

func (c *limitConn) Close() error {
	err := c.Conn.Close()
	c.once.Do(c.release)
	return err
}
