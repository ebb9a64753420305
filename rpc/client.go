package rpc

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

// Client is a JSON-RPC client for a chainlab node (and, for the Core-named methods, any
// Bitcoin Core-compatible server). It is safe for concurrent use and keeps connections
// alive. Error responses come back as *Error.
type Client struct {
	url    string
	auth   string // "Basic ..." or ""
	hc     *http.Client
	nextID atomic.Uint64
	bufs   sync.Pool
}

// ClientOption configures NewClient.
type ClientOption func(*Client) error

// WithBasicAuth sets user/password credentials.
func WithBasicAuth(user, pass string) ClientOption {
	return func(c *Client) error {
		c.auth = "Basic " + base64.StdEncoding.EncodeToString([]byte(user+":"+pass))
		return nil
	}
}

// WithCookieFile reads credentials from a node's cookie file.
func WithCookieFile(path string) ClientOption {
	return func(c *Client) error {
		u, p, err := ReadCookie(path)
		if err != nil {
			return err
		}
		return WithBasicAuth(u, p)(c)
	}
}

// WithHTTPClient replaces the HTTP client (default: keep-alive, 64 idle connections).
func WithHTTPClient(hc *http.Client) ClientOption {
	return func(c *Client) error { c.hc = hc; return nil }
}

// NewClient returns a client for the server at url ("http://127.0.0.1:18443/" or
// "127.0.0.1:18443").
func NewClient(url string, opts ...ClientOption) (*Client, error) {
	if !strings.Contains(url, "://") {
		url = "http://" + url
	}
	if !strings.HasSuffix(url, "/") {
		url += "/"
	}
	c := &Client{url: url}
	c.bufs.New = func() any { return new(bytes.Buffer) }
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, err
		}
	}
	if c.hc == nil {
		tr := http.DefaultTransport.(*http.Transport).Clone()
		tr.MaxIdleConns = 256
		tr.MaxIdleConnsPerHost = 64
		c.hc = &http.Client{Transport: tr}
	}
	return c, nil
}

// Close releases idle connections.
func (c *Client) Close() { c.hc.CloseIdleConnections() }

type response struct {
	Result json.RawMessage `json:"result"`
	Error  *Error          `json:"error"`
}

// Call invokes method with positional params and decodes the result into result (which
// may be nil). A JSON null result leaves result untouched.
func (c *Client) Call(ctx context.Context, method string, result any, params ...any) error {
	buf := c.bufs.Get().(*bytes.Buffer)
	defer func() { buf.Reset(); c.bufs.Put(buf) }()
	b := buf.AvailableBuffer()
	b = append(b, `{"jsonrpc":"2.0","id":`...)
	b = strconv.AppendUint(b, c.nextID.Add(1), 10)
	b = append(b, `,"method":`...)
	b = appendJSONString(b, method)
	b = append(b, `,"params":[`...)
	for i, p := range params {
		if i > 0 {
			b = append(b, ',')
		}
		var err error
		if b, err = appendResult(b, p); err != nil {
			return fmt.Errorf("rpc %s: encoding param %d: %w", method, i, err)
		}
	}
	b = append(b, "]}"...)
	buf.Write(b)
	return c.post(ctx, method, buf.Bytes(), result)
}

func (c *Client) post(ctx context.Context, method string, body []byte, result any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.url, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header["Content-Type"] = jsonContentType
	if c.auth != "" {
		req.Header["Authorization"] = []string{c.auth}
	}
	buf := c.bufs.Get().(*bytes.Buffer)
	defer func() { buf.Reset(); c.bufs.Put(buf) }()
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("rpc %s: %w", method, err)
	}
	defer resp.Body.Close()
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return fmt.Errorf("rpc %s: reading response: %w", method, err)
	}
	if resp.StatusCode == http.StatusUnauthorized {
		return fmt.Errorf("rpc %s: %w", method, ErrUnauthorized)
	}
	var r response
	if err := json.Unmarshal(buf.Bytes(), &r); err != nil {
		return fmt.Errorf("rpc %s: HTTP %d: %s", method, resp.StatusCode, truncate(buf.Bytes(), 200))
	}
	if r.Error != nil {
		return r.Error
	}
	if result == nil || len(r.Result) == 0 || string(r.Result) == "null" {
		return nil
	}
	if p, ok := result.(*uint64); ok {
		if v, err := strconv.ParseUint(string(r.Result), 10, 64); err == nil {
			*p = v
			return nil
		}
	}
	if err := json.Unmarshal(r.Result, result); err != nil {
		return fmt.Errorf("rpc %s: decoding result: %w", method, err)
	}
	return nil
}

// ErrUnauthorized is returned when the server rejects the credentials.
var ErrUnauthorized = errors.New("unauthorized (check the cookie file or user/password)")

func truncate(b []byte, n int) string {
	if len(b) > n {
		return string(b[:n]) + "…"
	}
	return string(b)
}

// Subscription is a websocket subscription. Notifications arrive on C, in the order the
// server published them; C is closed when the connection ends (Err says why).
type Subscription struct {
	C   <-chan Notification
	IDs map[string]string // topic → subscription id

	ws   *websocket.Conn
	err  atomic.Pointer[error]
	once sync.Once
}

// Notification is one event.
type Notification struct {
	Topic        string
	Subscription string
	Result       json.RawMessage
}

// Decode decodes the event payload (e.g. into a NewBlockEvent).
func (n Notification) Decode(v any) error { return json.Unmarshal(n.Result, v) }

// Subscribe opens a websocket to the server's /ws endpoint and subscribes to topics.
func (c *Client) Subscribe(ctx context.Context, topics ...string) (*Subscription, error) {
	u := "ws" + strings.TrimPrefix(c.url, "http") + "ws"
	h := http.Header{}
	if c.auth != "" {
		h.Set("Authorization", c.auth)
	}
	ws, resp, err := websocket.DefaultDialer.DialContext(ctx, u, h)
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusUnauthorized {
			return nil, fmt.Errorf("rpc subscribe: %w", ErrUnauthorized)
		}
		return nil, fmt.Errorf("rpc subscribe: %w", err)
	}
	if dl, ok := ctx.Deadline(); ok {
		ws.SetWriteDeadline(dl)
		ws.SetReadDeadline(dl)
	}
	req, _ := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": 1, "method": "subscribe", "params": []any{topics}})
	if err := ws.WriteMessage(websocket.TextMessage, req); err != nil {
		ws.Close()
		return nil, fmt.Errorf("rpc subscribe: %w", err)
	}
	var r struct {
		Result map[string]string `json:"result"`
		Error  *Error            `json:"error"`
	}
	if err := ws.ReadJSON(&r); err != nil {
		ws.Close()
		return nil, fmt.Errorf("rpc subscribe: %w", err)
	}
	if r.Error != nil {
		ws.Close()
		return nil, r.Error
	}
	ws.SetWriteDeadline(time.Time{})
	ws.SetReadDeadline(time.Time{})
	ch := make(chan Notification, 256)
	s := &Subscription{C: ch, IDs: r.Result, ws: ws}
	go s.read(ch)
	return s, nil
}

func (s *Subscription) read(ch chan<- Notification) {
	defer close(ch)
	for {
		_, data, err := s.ws.ReadMessage()
		if err != nil {
			s.err.CompareAndSwap(nil, &err)
			return
		}
		var m struct {
			Method string `json:"method"`
			Params struct {
				Subscription string          `json:"subscription"`
				Topic        string          `json:"topic"`
				Result       json.RawMessage `json:"result"`
			} `json:"params"`
		}
		if json.Unmarshal(data, &m) != nil || m.Method != "subscription" {
			continue
		}
		ch <- Notification{Topic: m.Params.Topic, Subscription: m.Params.Subscription, Result: m.Params.Result}
	}
}

// Err is why the subscription ended (nil while it runs or after Close).
func (s *Subscription) Err() error {
	if p := s.err.Load(); p != nil && !errors.Is(*p, errSubClosed) {
		return *p
	}
	return nil
}

var errSubClosed = errors.New("subscription closed")

// Close ends the subscription.
func (s *Subscription) Close() error {
	var err error
	s.once.Do(func() {
		e := errSubClosed
		s.err.CompareAndSwap(nil, &e)
		s.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, ""), time.Now().Add(time.Second))
		err = s.ws.Close()
	})
	return err
}

// CallRaw invokes method with params given as any JSON-encodable value (an array for
// positional parameters, an object for named ones) and decodes the result into result.
func (c *Client) CallRaw(ctx context.Context, method string, params any, result any) error {
	body, err := json.Marshal(map[string]any{"jsonrpc": "2.0", "id": c.nextID.Add(1), "method": method, "params": params})
	if err != nil {
		return fmt.Errorf("rpc %s: encoding params: %w", method, err)
	}
	return c.post(ctx, method, body, result)
}
