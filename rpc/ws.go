package rpc

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"
)

const (
	wsPingInterval = 30 * time.Second
	wsPongWait     = 75 * time.Second
	wsWriteWait    = 10 * time.Second
)

// hub fans events out to websocket subscriptions. Publish enqueues without blocking; one
// goroutine encodes each event once and offers it to every subscribed connection without
// blocking either: a connection whose queue is full loses the event and is told so by a
// lagged notice before its next one.
type hub struct {
	s          *Server
	in         chan Event
	done       chan struct{}
	stopped    chan struct{}
	queueDrops atomic.Uint64
	counts     [8]atomic.Int64 // subscriptions per topic index

	mu     sync.RWMutex
	subs   map[string]map[string]*sub // topic → id → sub
	conns  map[*wsConn]struct{}
	nextID uint64
	closed bool
}

type sub struct {
	id     string
	topic  string
	conn   *wsConn
	active atomic.Bool // set once the subscribe reply is queued
}

func newHub(s *Server, queue int) *hub {
	return &hub{s: s, in: make(chan Event, queue), done: make(chan struct{}), stopped: make(chan struct{}),
		subs: map[string]map[string]*sub{}, conns: map[*wsConn]struct{}{}}
}

func (h *hub) wanted(topic string) bool {
	i := topicIndex(topic)
	return i >= 0 && h.counts[i].Load() > 0
}

func (h *hub) count(topic string) int {
	i := topicIndex(topic)
	if i < 0 {
		return 0
	}
	return int(h.counts[i].Load())
}

func (h *hub) publish(ev Event) {
	if !h.wanted(ev.Topic()) {
		return
	}
	select {
	case h.in <- ev:
	default:
		h.queueDrops.Add(1)
		h.mu.RLock()
		for c := range h.conns {
			c.dropped.Add(1)
		}
		h.mu.RUnlock()
	}
}

func (h *hub) run() {
	defer close(h.stopped)
	for {
		select {
		case <-h.done:
			return
		case ev := <-h.in:
			h.deliver(ev)
		}
	}
}

func (h *hub) deliver(ev Event) {
	result, err := json.Marshal(ev)
	if err != nil {
		h.s.log.Error("rpc: encoding event", "topic", ev.Topic(), "err", err)
		return
	}
	h.mu.RLock()
	defer h.mu.RUnlock()
	for _, sb := range h.subs[ev.Topic()] {
		if sb.active.Load() {
			sb.conn.offer(notification(sb.id, ev.Topic(), result))
		}
	}
}

// notification builds {"jsonrpc":"2.0","method":"subscription","params":{...}}.
func notification(id, topic string, result []byte) []byte {
	b := make([]byte, 0, 96+len(id)+len(topic)+len(result))
	b = append(b, `{"jsonrpc":"2.0","method":"subscription","params":{"subscription":"`...)
	b = append(b, id...)
	b = append(b, `","topic":"`...)
	b = append(b, topic...)
	b = append(b, `","result":`...)
	b = append(b, result...)
	return append(b, "}}\n"...)
}

func (h *hub) subscribe(c *wsConn, topic string) (*sub, error) {
	i := topicIndex(topic)
	if i < 0 {
		return nil, Errorf(CodeInvalidParameter, "unknown topic %q (have %v)", topic, Topics)
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return nil, Errorf(CodeMisc, "server closing")
	}
	if len(c.subs) >= h.s.cfg.WSMaxSubscriptions {
		return nil, Errorf(CodeInvalidRequest, "subscription limit of %d per connection reached", h.s.cfg.WSMaxSubscriptions)
	}
	h.nextID++
	sb := &sub{id: "0x" + strconv.FormatUint(h.nextID, 16), topic: topic, conn: c}
	if h.subs[topic] == nil {
		h.subs[topic] = map[string]*sub{}
	}
	h.subs[topic][sb.id] = sb
	c.subs[sb.id] = sb
	h.counts[i].Add(1)
	return sb, nil
}

func (h *hub) unsubscribe(c *wsConn, id string) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	sb, ok := c.subs[id]
	if !ok {
		return false
	}
	h.removeLocked(sb)
	return true
}

func (h *hub) removeLocked(sb *sub) {
	delete(h.subs[sb.topic], sb.id)
	delete(sb.conn.subs, sb.id)
	h.counts[topicIndex(sb.topic)].Add(-1)
}

func (h *hub) addConn(c *wsConn) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closed {
		return false
	}
	h.conns[c] = struct{}{}
	return true
}

func (h *hub) dropConn(c *wsConn) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, sb := range c.subs {
		h.removeLocked(sb)
	}
	delete(h.conns, c)
}

// close stops the fan-out goroutine and closes every websocket connection.
func (h *hub) close() {
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.closed = true
	conns := make([]*wsConn, 0, len(h.conns))
	for c := range h.conns {
		conns = append(conns, c)
	}
	h.mu.Unlock()
	close(h.done)
	<-h.stopped
	for _, c := range conns {
		c.close()
		h.dropConn(c)
	}
}

// wsConn is one websocket connection: a reader goroutine running calls (at most
// WSMaxInFlight at once) and a writer goroutine draining the out queue.
type wsConn struct {
	s       *Server
	ws      *websocket.Conn
	out     chan wsMsg
	dropped atomic.Uint64   // events lost since the last delivered one
	subs    map[string]*sub // guarded by hub.mu
	closing chan struct{}
	once    sync.Once
	ctx     context.Context
	cancel  context.CancelFunc
}

type wsMsg struct {
	data    []byte
	dropped uint64 // events lost just before this one
}

// wsReq is the websocket context of one incoming message; after-hooks run once its reply
// is queued (subscriptions become active only then, so the reply precedes the first event).
type wsReq struct {
	conn  *wsConn
	after []func()
}

var upgrader = websocket.Upgrader{ReadBufferSize: 4096, WriteBufferSize: 16384}

func (s *Server) serveWS(w http.ResponseWriter, r *http.Request) {
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return // Upgrade wrote the HTTP error
	}
	ctx, cancel := context.WithCancel(context.Background())
	c := &wsConn{s: s, ws: ws, out: make(chan wsMsg, s.cfg.WSSendQueue), subs: map[string]*sub{},
		closing: make(chan struct{}), ctx: ctx, cancel: cancel}
	if !s.hub.addConn(c) {
		ws.Close()
		cancel()
		return
	}
	ws.SetReadLimit(s.cfg.WSMaxMessage)
	go c.writeLoop()
	c.readLoop()
}

func (c *wsConn) close() {
	c.once.Do(func() {
		close(c.closing)
		c.cancel()
		c.ws.Close()
	})
}

// offer queues an event without blocking (hub goroutine).
func (c *wsConn) offer(data []byte) {
	d := c.dropped.Swap(0)
	select {
	case c.out <- wsMsg{data: data, dropped: d}:
	default:
		c.dropped.Add(d + 1)
	}
}

// reply queues a call response, blocking until there is room or the connection closes:
// responses are never dropped; a client that does not read only stalls itself.
func (c *wsConn) reply(data []byte) bool {
	select {
	case c.out <- wsMsg{data: data}:
		return true
	case <-c.closing:
		return false
	}
}

func (c *wsConn) writeLoop() {
	ping := time.NewTicker(wsPingInterval)
	defer ping.Stop()
	defer c.close()
	for {
		select {
		case <-c.closing:
			return
		case m := <-c.out:
			c.ws.SetWriteDeadline(time.Now().Add(wsWriteWait))
			if m.dropped > 0 {
				lag, _ := json.Marshal(LaggedEvent{Dropped: m.dropped})
				if err := c.ws.WriteMessage(websocket.TextMessage, notification("", TopicLagged, lag)); err != nil {
					return
				}
			}
			if err := c.ws.WriteMessage(websocket.TextMessage, m.data); err != nil {
				return
			}
		case <-ping.C:
			if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(wsWriteWait)); err != nil {
				return
			}
		}
	}
}

func (c *wsConn) readLoop() {
	defer func() {
		c.s.hub.dropConn(c)
		c.close()
	}()
	c.ws.SetReadDeadline(time.Now().Add(wsPongWait))
	c.ws.SetPongHandler(func(string) error { return c.ws.SetReadDeadline(time.Now().Add(wsPongWait)) })
	inflight := make(chan struct{}, c.s.cfg.WSMaxInFlight)
	var wg sync.WaitGroup
	defer wg.Wait()
	for {
		typ, data, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		c.ws.SetReadDeadline(time.Now().Add(wsPongWait))
		if typ != websocket.TextMessage && typ != websocket.BinaryMessage {
			continue
		}
		select {
		case inflight <- struct{}{}:
		case <-c.closing:
			return
		}
		wg.Add(1)
		go func() {
			defer func() { <-inflight; wg.Done() }()
			c.handle(data)
		}()
	}
}

func (c *wsConn) handle(data []byte) {
	out := c.s.getBuf()
	defer c.s.putBuf(out)
	req := &wsReq{conn: c}
	trimmed := bytes.TrimLeft(data, " \t\r\n")
	if len(trimmed) > 0 && trimmed[0] == '[' {
		c.s.handleBatch(c.ctx, trimmed, out, req)
	} else {
		var r request
		if e := parseRequest(trimmed, &r); e != nil {
			out.Write(appendResponse(out.AvailableBuffer(), true, nil, nil, e))
		} else {
			c.s.exec(c.ctx, &r, out, req)
		}
	}
	if out.Len() > 0 {
		if !c.reply(bytes.Clone(out.Bytes())) {
			return
		}
	}
	for _, f := range req.after {
		f()
	}
}

func subscribe(c *call) (any, error) {
	if c.ws == nil {
		return nil, Errorf(CodeMethodNotFound, "subscribe is only available over websocket (/ws)")
	}
	var topics []string
	if len(c.params.pos[0]) > 0 && c.params.pos[0][0] == '"' {
		t, err := c.params.String(0, "")
		if err != nil {
			return nil, err
		}
		topics = []string{t}
	} else {
		var err error
		if topics, err = c.params.Strings(0); err != nil {
			return nil, err
		}
	}
	if len(topics) == 0 {
		return nil, Errorf(CodeInvalidParameter, "subscribe: no topics")
	}
	ids := make(map[string]string, len(topics))
	for _, t := range topics {
		if _, dup := ids[t]; dup {
			continue
		}
		sb, err := c.s.hub.subscribe(c.ws.conn, t)
		if err != nil {
			for _, id := range ids {
				c.s.hub.unsubscribe(c.ws.conn, id)
			}
			return nil, err
		}
		ids[t] = sb.id
		c.ws.after = append(c.ws.after, func() { sb.active.Store(true) })
	}
	return ids, nil
}

func unsubscribe(c *call) (any, error) {
	if c.ws == nil {
		return nil, Errorf(CodeMethodNotFound, "unsubscribe is only available over websocket (/ws)")
	}
	id, err := c.params.String(0, "")
	if err != nil {
		return nil, err
	}
	if !c.s.hub.unsubscribe(c.ws.conn, id) {
		return nil, Errorf(CodeInvalidParameter, "no subscription %s", id)
	}
	return true, nil
}
