package rpc

import (
	"context"
	"encoding/json"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"chainlab/chain"
	"chainlab/chain/chaintest"
	"chainlab/genesis"
)

func dialWS(t *testing.T, n *testNode) *websocket.Conn {
	t.Helper()
	u, p, err := ReadCookie(n.cookie)
	if err != nil {
		t.Fatal(err)
	}
	h := http.Header{}
	req, _ := http.NewRequest("GET", "/", nil)
	req.SetBasicAuth(u, p)
	h.Set("Authorization", req.Header.Get("Authorization"))
	ws, _, err := websocket.DefaultDialer.Dial("ws"+strings.TrimPrefix(n.url, "http")+"ws", h)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	ws.SetReadDeadline(time.Now().Add(30 * time.Second))
	return ws
}

func wsRoundTrip(t *testing.T, ws *websocket.Conn, req string) string {
	t.Helper()
	if err := ws.WriteMessage(websocket.TextMessage, []byte(req)); err != nil {
		t.Fatal(err)
	}
	_, b, err := ws.ReadMessage()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func nextEvent(t *testing.T, sub *Subscription) Notification {
	t.Helper()
	select {
	case ev, ok := <-sub.C:
		if !ok {
			t.Fatalf("subscription ended: %v", sub.Err())
		}
		return ev
	case <-time.After(10 * time.Second): // a hang guard, not a synchronisation sleep
		t.Fatal("no event within 10 s")
	}
	return Notification{}
}

// TestSubscriptionOrder drives a real chain through blocks, a reorg and finality and
// checks the events arrive in order with the right content.
func TestSubscriptionOrder(t *testing.T) {
	n := newTestNode(t, nil)
	sub, err := n.cl.Subscribe(bg, TopicNewBlock, TopicReorg, TopicFinalized)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	if len(sub.IDs) != 3 || n.srv.Subscribers(TopicReorg) != 1 {
		t.Fatalf("subscribe ids %v", sub.IDs)
	}
	bld := chaintest.NewBuilder(n.chain.Params())
	gh := n.chain.GenesisHash()
	a := bld.Chain(gh, 2)
	b := bld.Chain(gh, 3)
	for _, blk := range a {
		n.process(blk)
	}
	n.process(b[0]) // side chain: no event
	n.process(b[1]) // tie: first seen stays, no event
	res := n.process(b[2])
	if res.ReorgDepth != 2 {
		t.Fatalf("reorg depth %d", res.ReorgDepth)
	}
	prev := n.chain.Finality()
	n.engine.SetFinalized(2)
	b4 := bld.Block(b[2].Hash(), nil, 0)
	n.process(b4)
	n.srv.PublishFinality(prev, n.chain.Finality())

	want := []struct {
		topic string
		hash  chain.Hash
	}{
		{TopicNewBlock, a[0].Hash()}, {TopicNewBlock, a[1].Hash()}, {TopicReorg, b[2].Hash()},
		{TopicNewBlock, b[0].Hash()}, {TopicNewBlock, b[1].Hash()}, {TopicNewBlock, b[2].Hash()},
		{TopicNewBlock, b4.Hash()}, {TopicFinalized, b[1].Hash()},
	}
	for i, w := range want {
		ev := nextEvent(t, sub)
		if ev.Topic != w.topic || ev.Subscription != sub.IDs[w.topic] {
			t.Fatalf("event %d: %s (%s), want %s", i, ev.Topic, ev.Result, w.topic)
		}
		switch w.topic {
		case TopicNewBlock:
			var nb NewBlockEvent
			if err := ev.Decode(&nb); err != nil || nb.Hash != w.hash.String() || nb.NTx != 1 {
				t.Errorf("event %d: %+v %v, want %s", i, nb, err, w.hash)
			}
		case TopicReorg:
			var r ReorgEvent
			if err := ev.Decode(&r); err != nil {
				t.Fatal(err)
			}
			if r.Depth != 2 || r.NewTip != b[2].Hash().String() || r.OldTip != a[1].Hash().String() || r.ForkHeight != 0 ||
				strings.Join(r.Disconnected, ",") != a[1].Hash().String()+","+a[0].Hash().String() ||
				strings.Join(r.Connected, ",") != b[0].Hash().String()+","+b[1].Hash().String()+","+b[2].Hash().String() {
				t.Errorf("reorg event: %+v", r)
			}
		case TopicFinalized:
			var f CheckpointEvent
			if err := ev.Decode(&f); err != nil || f.Height != 2 || f.Root != w.hash.String() {
				t.Errorf("finalized event: %+v %v", f, err)
			}
		}
	}
	// newtx was not subscribed: publishing it costs nothing and sends nothing.
	n.srv.Publish(NewTxEvent{TxID: "x"})
	if len(n.srv.hub.in) != 0 {
		t.Errorf("an event without subscribers was queued")
	}
}

func TestWebsocketCalls(t *testing.T) {
	n := newTestNode(t, func(c *Config) { c.WSMaxSubscriptions = 3 })
	ws := dialWS(t, n)
	if r := wsRoundTrip(t, ws, `{"jsonrpc":"2.0","id":1,"method":"getblockcount"}`); r != `{"jsonrpc":"2.0","result":0,"id":1}`+"\n" {
		t.Errorf("ws getblockcount: %s", r)
	}
	if r := wsRoundTrip(t, ws, `[{"jsonrpc":"2.0","id":1,"method":"getblockcount"},{"jsonrpc":"2.0","id":2,"method":"nosuch"}]`); !strings.Contains(r, `"code":-32601`) || !strings.HasPrefix(r, "[") {
		t.Errorf("ws batch: %s", r)
	}
	if r := wsRoundTrip(t, ws, `{"jsonrpc":"2.0","id":1,"method":`); !strings.Contains(r, `"code":-32700`) {
		t.Errorf("ws malformed: %s", r)
	}
	if r := wsRoundTrip(t, ws, `{"jsonrpc":"2.0","id":1,"method":"subscribe","params":["nosuch"]}`); !strings.Contains(r, `"code":-8`) {
		t.Errorf("unknown topic: %s", r)
	}
	if r := wsRoundTrip(t, ws, `{"jsonrpc":"2.0","id":1,"method":"subscribe","params":[["newblock","newtx","peer","reorg"]]}`); !strings.Contains(r, "subscription limit") {
		t.Errorf("subscription limit: %s", r)
	}
	if n.srv.Subscribers(TopicNewBlock) != 0 {
		t.Errorf("a failed subscribe left subscriptions behind")
	}
	r := wsRoundTrip(t, ws, `{"jsonrpc":"2.0","id":1,"method":"subscribe","params":["newtx"]}`)
	var sr struct{ Result map[string]string }
	if err := json.Unmarshal([]byte(r), &sr); err != nil || sr.Result["newtx"] == "" {
		t.Fatalf("subscribe: %s", r)
	}
	id := sr.Result["newtx"]
	n.srv.Publish(NewTxEvent{TxID: "aa", Size: 100, Fee: 5})
	_, ev, err := ws.ReadMessage()
	if err != nil || !strings.Contains(string(ev), `"subscription":"`+id+`","topic":"newtx","result":{"txid":"aa","size":100,"fee":0.00000005}`) {
		t.Errorf("newtx event: %s %v", ev, err)
	}
	if r := wsRoundTrip(t, ws, `{"jsonrpc":"2.0","id":1,"method":"unsubscribe","params":["`+id+`"]}`); !strings.Contains(r, `"result":true`) {
		t.Errorf("unsubscribe: %s", r)
	}
	if r := wsRoundTrip(t, ws, `{"jsonrpc":"2.0","id":1,"method":"unsubscribe","params":["`+id+`"]}`); !strings.Contains(r, `"code":-8`) {
		t.Errorf("second unsubscribe: %s", r)
	}
	n.srv.Publish(NewTxEvent{TxID: "bb"}) // nobody listens now
	if r := wsRoundTrip(t, ws, `{"jsonrpc":"2.0","id":9,"method":"uptime"}`); !strings.Contains(r, `"id":9`) {
		t.Errorf("after unsubscribe, got %s", r)
	}
	// subscribe over HTTP is refused.
	n.wantErr(CodeMethodNotFound, "websocket", "subscribe", []string{"newblock"})
	// Oversize websocket messages close that connection only.
	m := newTestNode(t, func(c *Config) { c.WSMaxMessage = 1024 })
	ws2 := dialWS(t, m)
	ws2.WriteMessage(websocket.TextMessage, []byte(`{"method":"getblockcount","params":["`+strings.Repeat("x", 4096)+`"]}`))
	if _, _, err := ws2.ReadMessage(); err == nil {
		t.Errorf("oversize websocket message did not close the connection")
	}
	m.healthy()
}

// TestSlowSubscriberLagged: a subscriber that does not read loses events instead of
// blocking the publisher, and is told exactly how many it lost.
func TestSlowSubscriberLagged(t *testing.T) {
	n := newTestNode(t, func(c *Config) { c.WSSendQueue = 4 })
	ws := dialWS(t, n)
	r := wsRoundTrip(t, ws, `{"jsonrpc":"2.0","id":1,"method":"subscribe","params":["peer"]}`)
	if !strings.Contains(r, `"peer"`) {
		t.Fatal(r)
	}
	const total = 10000
	big := strings.Repeat("r", 2000) // ~20 MB in all: more than the socket buffers hold
	start := time.Now()
	for i := 0; i < total; i++ {
		n.srv.Publish(PeerEvent{ID: int64(i), Reason: big})
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("publishing %d events to a stalled subscriber took %v", total, d)
	}
	// Read everything; once the hub and the connection queue are empty, a sentinel event
	// cannot be dropped and carries the final lag count.
	var received, dropped, lags int
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			_, b, err := ws.ReadMessage()
			if err != nil {
				t.Errorf("read: %v", err)
				return
			}
			var m struct {
				Params struct {
					Topic  string
					Result json.RawMessage
				}
			}
			json.Unmarshal(b, &m)
			switch m.Params.Topic {
			case TopicLagged:
				var l LaggedEvent
				json.Unmarshal(m.Params.Result, &l)
				dropped += int(l.Dropped)
				lags++
			case TopicPeer:
				var p PeerEvent
				json.Unmarshal(m.Params.Result, &p)
				if p.ID == -1 {
					return
				}
				received++
			}
		}
	}()
	var conn *wsConn
	n.srv.hub.mu.RLock()
	for c := range n.srv.hub.conns {
		conn = c
	}
	n.srv.hub.mu.RUnlock()
	for len(n.srv.hub.in) > 0 || len(conn.out) > 0 {
		runtime.Gosched()
	}
	n.srv.Publish(PeerEvent{ID: -1})
	<-done
	if received+dropped != total {
		t.Errorf("received %d + dropped %d != %d published", received, dropped, total)
	}
	if lags == 0 || dropped == 0 {
		t.Errorf("no lag notice (received %d, dropped %d)", received, dropped)
	}
	t.Logf("received %d, dropped %d in %d lag notices", received, dropped, lags)
	n.healthy()
}

func TestOfferNeverBlocks(t *testing.T) {
	c := &wsConn{out: make(chan wsMsg, 2), closing: make(chan struct{})}
	for i := 0; i < 5; i++ {
		c.offer([]byte{byte(i)})
	}
	if len(c.out) != 2 || c.dropped.Load() != 3 {
		t.Fatalf("queued %d dropped %d", len(c.out), c.dropped.Load())
	}
	<-c.out
	c.offer([]byte{9})
	<-c.out
	m := <-c.out
	if m.data[0] != 9 || m.dropped != 3 || c.dropped.Load() != 0 {
		t.Errorf("after drain: %+v dropped %d", m, c.dropped.Load())
	}
}

func TestCloseEndsSubscriptions(t *testing.T) {
	n := newTestNode(t, nil)
	sub, err := n.cl.Subscribe(context.Background(), TopicNewBlock)
	if err != nil {
		t.Fatal(err)
	}
	n.srv.Close()
	for range sub.C {
	}
	if n.srv.Subscribers(TopicNewBlock) != 0 {
		t.Errorf("subscriptions left after Close")
	}
}

func TestCheckpointAndOtherEvents(t *testing.T) {
	n := newTestNode(t, nil)
	sub, err := n.cl.Subscribe(bg, TopicJustified, TopicFinalized, TopicSlashed, TopicPeer, TopicNewTx)
	if err != nil {
		t.Fatal(err)
	}
	defer sub.Close()
	gh := n.chain.GenesisHash()
	prev := chain.Finality{Hash: gh}
	cur := chain.Finality{Hash: gh, Justified: chain.Checkpoint{Epoch: 1, Root: gh}}
	n.srv.PublishFinality(prev, cur) // justified only
	next := cur
	next.Finalized = chain.Checkpoint{Epoch: 1, Root: gh}
	next.Hash = chain.Hash{7}
	next.Height = 4
	n.srv.PublishFinality(cur, next) // finalized only
	n.srv.Publish(SlashedEvent{Validator: "ab", Kind: "double_vote", Height: 9, Penalty: 100})
	n.srv.Publish(PeerEvent{Connected: true, ID: 3, Addr: "127.0.0.1:1"})
	tx := n.genesisSpend(2, 3, genesis.Coin, 1000)
	if _, err := n.cl.SendRawTransaction(bg, tx); err != nil { // TxAccepted publishes newtx
		t.Fatal(err)
	}
	var j, f CheckpointEvent
	if ev := nextEvent(t, sub); ev.Topic != TopicJustified || ev.Decode(&j) != nil || j.Epoch != 1 || j.Root != gh.String() || j.Height != 0 {
		t.Errorf("justified: %s %s", ev.Topic, ev.Result)
	}
	if ev := nextEvent(t, sub); ev.Topic != TopicFinalized || ev.Decode(&f) != nil || f.Height != 4 || f.Epoch != 1 {
		t.Errorf("finalized: %s %s", ev.Topic, ev.Result)
	}
	if ev := nextEvent(t, sub); ev.Topic != TopicSlashed || !strings.Contains(string(ev.Result), `"penalty":0.00000100`) {
		t.Errorf("slashed: %s %s", ev.Topic, ev.Result)
	}
	if ev := nextEvent(t, sub); ev.Topic != TopicPeer || !strings.Contains(string(ev.Result), `"connected":true`) {
		t.Errorf("peer: %s %s", ev.Topic, ev.Result)
	}
	var nt NewTxEvent
	if ev := nextEvent(t, sub); ev.Topic != TopicNewTx || ev.Decode(&nt) != nil || nt.TxID != tx.TxID().String() || nt.Fee != 1000 {
		t.Errorf("newtx: %s %s", ev.Topic, ev.Result)
	}
	// Unchanged finality publishes nothing.
	n.srv.PublishFinality(next, next)
	n.srv.Publish(PeerEvent{ID: 99})
	if ev := nextEvent(t, sub); ev.Topic != TopicPeer || !strings.Contains(string(ev.Result), `"id":99`) {
		t.Errorf("unchanged finality published %s %s", ev.Topic, ev.Result)
	}
}
