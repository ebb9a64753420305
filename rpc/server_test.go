package rpc

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"strings"
	"testing"
)

func TestNewConfigChecks(t *testing.T) {
	n := newTestNode(t, nil)
	base := Config{Chain: n.chain, Mempool: n.pool}
	cases := []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"no chain", func(c *Config) { c.Chain = nil }, "Chain is required"},
		{"no mempool", func(c *Config) { c.Mempool = nil }, "Mempool is required"},
		{"no auth", func(c *Config) {}, "no authentication"},
		{"noauth public", func(c *Config) { c.NoAuth = true; c.Listen = "0.0.0.0:0" }, "authentication is required"},
		{"user without password", func(c *Config) { c.User = "u" }, "together"},
		{"bad listen", func(c *Config) { c.NoAuth = true; c.Listen = "nonsense" }, "listen address"},
	}
	for _, tc := range cases {
		cfg := base
		tc.mod(&cfg)
		if _, err := New(cfg); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want error containing %q", tc.name, err, tc.want)
		}
	}
	// Loopback without auth and a public address with auth are both fine.
	cfg := base
	cfg.NoAuth = true
	if _, err := New(cfg); err != nil {
		t.Errorf("loopback NoAuth: %v", err)
	}
	cfg = base
	cfg.Listen, cfg.User, cfg.Password = "0.0.0.0:0", "u", "p"
	if _, err := New(cfg); err != nil {
		t.Errorf("public with auth: %v", err)
	}
	// An empty host binds loopback.
	cfg = base
	cfg.NoAuth, cfg.Listen = true, ":0"
	s, err := New(cfg)
	if err != nil || s.cfg.Listen != "127.0.0.1:0" {
		t.Errorf("empty host: %v %q", err, s.cfg.Listen)
	}
}

func TestCookieAuth(t *testing.T) {
	n := newTestNode(t, nil)
	st, err := os.Stat(n.cookie)
	if err != nil {
		t.Fatal(err)
	}
	if st.Mode().Perm() != 0o600 {
		t.Errorf("cookie mode %v, want 0600", st.Mode().Perm())
	}
	b, _ := os.ReadFile(n.cookie)
	user, pass, _ := strings.Cut(string(b), ":")
	if user != CookieUser || len(pass) != 64 {
		t.Errorf("cookie %q: want __cookie__:<64 hex>", b)
	}
	// No credentials, wrong password, wrong user: 401, and the server stays up.
	if code, _ := n.rawPostAuth(`{"method":"getblockcount"}`, false); code != http.StatusUnauthorized {
		t.Errorf("no auth: HTTP %d", code)
	}
	bad, _ := NewClient(n.url, WithBasicAuth(CookieUser, strings.Repeat("0", 64)))
	if _, err := bad.GetBlockCount(context.Background()); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("wrong password: %v", err)
	}
	bad, _ = NewClient(n.url, WithBasicAuth("root", pass))
	if _, err := bad.GetBlockCount(context.Background()); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("wrong user: %v", err)
	}
	if _, err := bad.Subscribe(context.Background(), TopicNewBlock); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("websocket without auth: %v", err)
	}
	n.healthy()
	// Close removes the cookie.
	if err := n.srv.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(n.cookie); !os.IsNotExist(err) {
		t.Errorf("cookie not removed on Close: %v", err)
	}
}

func TestUserPasswordAuth(t *testing.T) {
	n := newTestNode(t, func(c *Config) { c.CookiePath, c.User, c.Password = "", "alice", "s3cret" })
	n.healthy()
	bad, _ := NewClient(n.url, WithBasicAuth("alice", "s3cre"))
	if _, err := bad.GetBlockCount(context.Background()); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("short password: %v", err)
	}
	bad, _ = NewClient(n.url, WithBasicAuth("alice", "s3cret!"))
	if _, err := bad.GetBlockCount(context.Background()); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("long password: %v", err)
	}
}

func TestProtocolErrors(t *testing.T) {
	n := newTestNode(t, func(c *Config) { c.MaxBodyBytes = 4096; c.MaxBatch = 10 })
	cases := []struct {
		name   string
		body   string
		status int
		want   string // substring of the response
	}{
		{"malformed json", `{"method":"getblockcount"`, 500, `"code":-32700`},
		{"garbage", `hello`, 500, `"code":-32700`},
		{"empty body", ``, 500, `"code":-32700`},
		{"trailing garbage", `{"method":"getblockcount"} x`, 500, `"code":-32700`},
		{"bad nested json", `{"method":"getblockhash","params":[1,,]}`, 500, `"code":-32700`},
		{"escaped method", `{"jsonrpc":"2.0","id":1,"method":"getblock\u0063ount"}`, 200, `"result":0`},
		{"unknown members ignored", `{"jsonrpc":"2.0","id":[1,{"a":"}"}],"x":{"y":[]},"method":"getblockcount"}`, 200, `"id":[1,{"a":"}"}]`},
		{"not an object", `42`, 400, `"code":-32600`},
		{"method not a string", `{"jsonrpc":"2.0","id":1,"method":7}`, 400, `"code":-32600`},
		{"bad jsonrpc version", `{"jsonrpc":"3.0","id":1,"method":"getblockcount"}`, 400, `"code":-32600`},
		{"params not array", `{"jsonrpc":"2.0","id":1,"method":"getblockhash","params":5}`, 200, `"code":-32600`},
		{"unknown method 2.0", `{"jsonrpc":"2.0","id":1,"method":"nosuch"}`, 200, `"code":-32601`},
		{"unknown method 1.0", `{"id":1,"method":"nosuch"}`, 404, `"code":-32601`},
		{"missing method 1.0", `{"id":1}`, 400, `"code":-32600`},
		{"wrong type", `{"jsonrpc":"2.0","id":1,"method":"getblockhash","params":["0"]}`, 200, `"code":-3,`},
		{"wrong type bool", `{"jsonrpc":"2.0","id":1,"method":"getblockheader","params":["00", "yes"]}`, 200, `"code":-8,`},
		{"too many params", `{"jsonrpc":"2.0","id":1,"method":"getblockcount","params":[1]}`, 200, `"code":-32602`},
		{"missing param", `{"jsonrpc":"2.0","id":1,"method":"getblockhash","params":[]}`, 200, `"code":-32602`},
		{"unknown named param", `{"jsonrpc":"2.0","id":1,"method":"getblockhash","params":{"heigth":0}}`, 200, `"code":-8,`},
		{"oversize body", `{"method":"getblockcount","params":["` + strings.Repeat("x", 5000) + `"]}`, 413, `"code":-32600`},
		{"huge batch", "[" + strings.Repeat(`{"jsonrpc":"2.0","id":1,"method":"getblockcount"},`, 10) + `{"jsonrpc":"2.0","id":1,"method":"getblockcount"}]`, 200, `exceeds the limit of 10`},
		{"empty batch", `[]`, 200, `"code":-32600`},
		{"broken batch", `[{"method":"getblockcount"},`, 200, `"code":-32700`},
	}
	for _, tc := range cases {
		status, body := n.rawPost(tc.body)
		if status != tc.status || !strings.Contains(body, tc.want) {
			t.Errorf("%s: HTTP %d %s; want HTTP %d containing %s", tc.name, status, body, tc.status, tc.want)
		}
		if tc.status != 413 && !json.Valid([]byte(body)) {
			t.Errorf("%s: reply is not JSON: %s", tc.name, body)
		}
	}
	n.healthy()
	// Non-POST is refused without running anything.
	req, _ := http.NewRequest(http.MethodGet, n.url, nil)
	u, p, _ := ReadCookie(n.cookie)
	req.SetBasicAuth(u, p)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusMethodNotAllowed {
		t.Errorf("GET: HTTP %d", resp.StatusCode)
	}
}

func TestReplyShapes(t *testing.T) {
	n := newTestNode(t, nil)
	// JSON-RPC 1.0 as bitcoin-cli sends it: result and error both present.
	status, body := n.rawPost(`{"jsonrpc":"1.0","id":"curltest","method":"getblockcount","params":[]}`)
	if status != 200 || body != `{"result":0,"error":null,"id":"curltest"}`+"\n" {
		t.Errorf("1.0 reply: %d %q", status, body)
	}
	status, body = n.rawPost(`{"id":"x","method":"getblockhash","params":[99]}`)
	if status != 500 || !strings.Contains(body, `"result":null,"error":{"code":-8,"message":"Block height out of range"},"id":"x"`) {
		t.Errorf("1.0 error reply: %d %q", status, body)
	}
	// JSON-RPC 2.0: result xor error.
	_, body = n.rawPost(`{"jsonrpc":"2.0","id":7,"method":"getblockcount"}`)
	if body != `{"jsonrpc":"2.0","result":0,"id":7}`+"\n" {
		t.Errorf("2.0 reply: %q", body)
	}
	_, body = n.rawPost(`{"jsonrpc":"2.0","id":null,"method":"nosuch"}`)
	if !strings.Contains(body, `"error":{"code":-32601`) || strings.Contains(body, `"result"`) || !strings.HasSuffix(body, `"id":null}`+"\n") {
		t.Errorf("2.0 error reply: %q", body)
	}
	// Notification: no reply at all.
	status, body = n.rawPost(`{"jsonrpc":"2.0","method":"getblockcount"}`)
	if status != http.StatusNoContent || body != "" {
		t.Errorf("notification: %d %q", status, body)
	}
	// Batch: in order, notifications omitted, errors per entry.
	_, body = n.rawPost(`[{"jsonrpc":"2.0","id":1,"method":"getblockcount"},{"jsonrpc":"2.0","method":"getblockcount"},` +
		`{"jsonrpc":"2.0","id":2,"method":"nosuch"},5,{"jsonrpc":"2.0","id":3,"method":"getblockhash","params":{"height":0}}]`)
	var replies []struct {
		ID     json.RawMessage `json:"id"`
		Result json.RawMessage `json:"result"`
		Error  *Error          `json:"error"`
	}
	if err := json.Unmarshal([]byte(body), &replies); err != nil {
		t.Fatalf("batch reply %q: %v", body, err)
	}
	if len(replies) != 4 || string(replies[0].ID) != "1" || replies[1].Error.Code != CodeMethodNotFound ||
		replies[2].Error.Code != CodeInvalidRequest || string(replies[3].Result) != `"`+n.chain.GenesisHash().String()+`"` {
		t.Errorf("batch reply: %s", body)
	}
	// A batch of notifications only: no reply.
	status, _ = n.rawPost(`[{"jsonrpc":"2.0","method":"getblockcount"}]`)
	if status != http.StatusNoContent {
		t.Errorf("notification batch: HTTP %d", status)
	}
}

func TestWorkQueueAndPanicsKeepServing(t *testing.T) {
	n := newTestNode(t, nil)
	// A handler panic is an internal error; the server keeps answering.
	n.srv.methods["boom"] = &method{name: "boom", fn: func(*call) (any, error) { panic("kaboom") }}
	n.wantErr(CodeInternal, "internal error in boom", "boom")
	n.healthy()
}

func TestWorkQueueFull(t *testing.T) {
	n := newTestNode(t, func(c *Config) { c.WorkQueue = 1 })
	entered, release := make(chan struct{}), make(chan struct{})
	n.srv.methods["block"] = &method{name: "block", fn: func(*call) (any, error) {
		close(entered)
		<-release
		return true, nil
	}}
	done := make(chan error, 1)
	go func() {
		_, e := n.call("block")
		if e != nil {
			done <- e
			return
		}
		done <- nil
	}()
	<-entered
	if status, body := n.rawPost(`{"method":"getblockcount"}`); status != http.StatusServiceUnavailable {
		t.Errorf("with the work queue full: HTTP %d %s", status, body)
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	n.healthy()
}
