package p2p

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"chainlab/chain"
)

const testMagic = 0xc1a1b001

var nodeCounter atomic.Uint32

func testNodeID() NodeID {
	n := nodeCounter.Add(1)
	return NodeID{byte(n >> 8), byte(n), 0xee}
}

type testNode struct {
	t  testing.TB
	s  *Server
	c  Chain
	id NodeID
}

func testLogger() *slog.Logger {
	if os.Getenv("P2P_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return nil
}

// startNode starts a server on 127.0.0.1:0 over c.
func startNode(t testing.TB, c Chain, mods ...func(*Config)) *testNode {
	t.Helper()
	cfg := Config{
		Chain:        c,
		GenesisHash:  c.GenesisHash(),
		Magic:        testMagic,
		NodeID:       testNodeID(),
		ListenAddr:   "127.0.0.1:0",
		UserAgent:    "p2ptest",
		Logger:       testLogger(),
		Seed:         uint64(nodeCounter.Load()),
		StallTimeout: 2 * time.Second,
		ReconnectMin: 50 * time.Millisecond,
		ReconnectMax: time.Second,
	}
	for _, m := range mods {
		m(&cfg)
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return &testNode{t: t, s: s, c: c, id: cfg.NodeID}
}

func (n *testNode) connect(o *testNode) {
	n.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// the address book may have connected them already
	if _, err := n.s.Connect(ctx, o.s.ListenAddr()); err != nil && !errors.Is(err, ErrDuplicatePeer) {
		n.t.Fatalf("connect: %v", err)
	}
}

func (n *testNode) hasPeer(id NodeID) bool {
	for _, p := range n.s.Peers() {
		if p.ID == id {
			return true
		}
	}
	return false
}

func (n *testNode) tip() chain.Hash {
	h, _ := n.c.Tip()
	return h
}

func (n *testNode) height() uint64 {
	_, h := n.c.Tip()
	return h
}

// waitFor polls cond until it holds or the timeout passes (a condition wait, not a sleep
// that correctness depends on).
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// rawClient speaks the protocol by hand, for misbehaving-peer tests.
type rawClient struct {
	ws *websocket.Conn
}

func dialRaw(t testing.TB, addr string) *rawClient {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial("ws://"+addr+"/p2p", nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ws.Close() })
	return &rawClient{ws: ws}
}

func (r *rawClient) send(m Message) error {
	return r.ws.WriteMessage(websocket.BinaryMessage, EncodeMessage(m))
}

func (r *rawClient) read() (Message, error) {
	_ = r.ws.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, b, err := r.ws.ReadMessage()
	if err != nil {
		return nil, err
	}
	return DecodeMessage(b, testLimits)
}

// handshake runs version/verack as node id on genesis g.
func (r *rawClient) handshake(id NodeID, g chain.Hash) error { return r.handshakeBest(id, g, 0) }

func (r *rawClient) handshakeBest(id NodeID, g chain.Hash, best uint64) error {
	if err := r.send(&MsgVersion{Protocol: ProtocolVersion, Magic: testMagic, Genesis: g, NodeID: id, UserAgent: "raw", BestHeight: best}); err != nil {
		return err
	}
	m, err := r.read()
	if err != nil {
		return err
	}
	if _, ok := m.(*MsgVersion); !ok {
		return fmt.Errorf("got %s, want version", m.Type())
	}
	if err := r.send(&MsgVerAck{}); err != nil {
		return err
	}
	m, err = r.read()
	if err != nil {
		return err
	}
	if _, ok := m.(*MsgVerAck); !ok {
		return fmt.Errorf("got %s, want verack", m.Type())
	}
	return nil
}

// closed reports whether the server closed the connection (reads until an error).
func (r *rawClient) waitClosed(timeout time.Duration) error {
	_ = r.ws.SetReadDeadline(time.Now().Add(timeout))
	for {
		if _, _, err := r.ws.ReadMessage(); err != nil {
			return err
		}
	}
}
