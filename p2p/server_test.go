package p2p

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"runtime"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

func TestHandshakeConnects(t *testing.T) {
	fc := newFakeChain(1000)
	fc.extend(3, 1)
	a := startNode(t, fc)
	b := startNode(t, newFakeChain(1000))
	a.connect(b)
	waitFor(t, 5*time.Second, "both sides registered", func() bool { return a.hasPeer(b.id) && b.hasPeer(a.id) })
	for _, p := range b.s.Peers() {
		if p.UserAgent != "p2ptest" || !p.Inbound || p.BestHeight < 3 {
			t.Errorf("peer info %+v", p)
		}
	}
	// ping/pong measured an RTT on both sides
	waitFor(t, 5*time.Second, "rtt", func() bool {
		pa, pb := a.s.Peers(), b.s.Peers()
		return len(pa) == 1 && len(pb) == 1 && pa[0].RTT > 0 && pb[0].RTT > 0
	})
	// and b, empty, synced a's 3 blocks
	waitFor(t, 5*time.Second, "b syncs", func() bool { return b.tip() == a.tip() })
}

func TestHandshakeRejectsOtherGenesis(t *testing.T) {
	a := startNode(t, newFakeChain(1000))
	b := startNode(t, newFakeChain(2000)) // another genesis
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_, err := a.s.Connect(ctx, b.s.ListenAddr())
	if !errors.Is(err, ErrWrongGenesis) && !errors.Is(err, ErrRejected) {
		t.Fatalf("connect err = %v, want wrong genesis", err)
	}
	if len(a.s.Peers()) != 0 || len(b.s.Peers()) != 0 {
		t.Fatal("peers registered across genesis")
	}
	// a raw peer on another genesis is told why before the close
	r := dialRaw(t, b.s.ListenAddr())
	if err := r.send(&MsgVersion{Protocol: ProtocolVersion, Magic: testMagic, Genesis: a.c.GenesisHash(), NodeID: NodeID{7}}); err != nil {
		t.Fatal(err)
	}
	if m, err := r.read(); err != nil || m.Type() != MsgTypeVersion {
		t.Fatalf("want version first, got %v %v", m, err)
	}
	m, err := r.read()
	if err != nil {
		t.Fatal(err)
	}
	rj, ok := m.(*MsgReject)
	if !ok || rj.Code != "genesis" || rj.Message != MsgTypeVersion {
		t.Fatalf("got %+v, want reject genesis", m)
	}
	if err := r.waitClosed(5 * time.Second); err == nil {
		t.Fatal("not closed")
	}
}

func TestHandshakeRejectsMagicProtocolSelf(t *testing.T) {
	a := startNode(t, newFakeChain(1000))
	g := a.c.GenesisHash()
	for _, c := range []struct {
		code string
		v    MsgVersion
	}{
		{"magic", MsgVersion{Protocol: ProtocolVersion, Magic: 1, Genesis: g, NodeID: NodeID{8}}},
		{"protocol", MsgVersion{Protocol: 99, Magic: testMagic, Genesis: g, NodeID: NodeID{8}}},
		{"self", MsgVersion{Protocol: ProtocolVersion, Magic: testMagic, Genesis: g, NodeID: a.id}},
	} {
		r := dialRaw(t, a.s.ListenAddr())
		_ = r.send(&c.v)
		_, _ = r.read()
		m, err := r.read()
		if rj, ok := m.(*MsgReject); err != nil || !ok || rj.Code != c.code {
			t.Errorf("%s: got %v %v", c.code, m, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := a.s.Connect(ctx, a.s.ListenAddr()); !errors.Is(err, ErrSelfConnection) && !errors.Is(err, ErrRejected) {
		t.Fatalf("self connect: %v", err)
	}
}

func TestDuplicateConnectionsDeduplicated(t *testing.T) {
	a := startNode(t, newFakeChain(1000))
	b := startNode(t, newFakeChain(1000))
	a.connect(b)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	// a second connection in either direction ends with exactly one link
	_, err1 := a.s.Connect(ctx, b.s.ListenAddr())
	_, err2 := b.s.Connect(ctx, a.s.ListenAddr())
	t.Logf("second connects: %v / %v", err1, err2)
	waitFor(t, 5*time.Second, "one connection each side", func() bool {
		return len(a.s.Peers()) == 1 && len(b.s.Peers()) == 1 && a.hasPeer(b.id) && b.hasPeer(a.id)
	})
}

func TestStaticPeersReconnect(t *testing.T) {
	b := startNode(t, newFakeChain(1000))
	a := startNode(t, newFakeChain(1000), func(c *Config) { c.StaticPeers = []string{b.s.ListenAddr()} })
	waitFor(t, 5*time.Second, "static connect", func() bool { return a.hasPeer(b.id) })
	b.s.Disconnect(a.id)
	waitFor(t, 5*time.Second, "reconnect", func() bool { return a.hasPeer(b.id) && b.hasPeer(a.id) })
	// the address book learned b from the handshake and hands it out
	if got := a.s.book.sample(10, NodeID{}); len(got) != 1 || got[0].NodeID != b.id {
		t.Fatalf("book sample %+v", got)
	}
}

func TestAddrGossipFillsOutbound(t *testing.T) {
	hub := startNode(t, newFakeChain(1000))
	x := startNode(t, newFakeChain(1000))
	x.connect(hub) // hub learns x's listen address
	y := startNode(t, newFakeChain(1000), func(c *Config) { c.TargetOutbound = 2; c.StaticPeers = []string{hub.s.ListenAddr()} })
	// y asks hub for addresses and dials x on its own
	waitFor(t, 10*time.Second, "y finds x through addr", func() bool { return y.hasPeer(x.id) })
}

func expectBanned(t *testing.T, n *testNode, r *rawClient, id NodeID) {
	t.Helper()
	if err := r.waitClosed(10 * time.Second); err == nil {
		t.Fatal("connection not closed")
	}
	waitFor(t, 5*time.Second, "ban", func() bool { return n.s.IsBanned(id) && !n.hasPeer(id) })
}

func TestGarbageBans(t *testing.T) {
	a := startNode(t, newFakeChain(1000))
	g := a.c.GenesisHash()
	cases := []struct {
		name  string
		frame func(r *rawClient) error
	}{
		{"unknown type", func(r *rawClient) error { return r.ws.WriteMessage(websocket.BinaryMessage, []byte{0xee, 1, 2, 3}) }},
		{"garbage block", func(r *rawClient) error {
			return r.ws.WriteMessage(websocket.BinaryMessage, []byte{byte(MsgTypeBlock), 0xde, 0xad, 0xbe, 0xef})
		}},
		{"text frame", func(r *rawClient) error { return r.ws.WriteMessage(websocket.TextMessage, []byte("hello")) }},
		{"oversize ping", func(r *rawClient) error {
			return r.ws.WriteMessage(websocket.BinaryMessage, append([]byte{byte(MsgTypePing)}, make([]byte, 9)...))
		}},
		{"oversize inv", func(r *rawClient) error {
			return r.ws.WriteMessage(websocket.BinaryMessage, append([]byte{byte(MsgTypeInv)}, make([]byte, 2<<20)...))
		}},
		{"second version", func(r *rawClient) error {
			return r.send(&MsgVersion{Protocol: ProtocolVersion, Magic: testMagic, Genesis: g})
		}},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			id := NodeID{0x40, byte(i)}
			r := dialRaw(t, a.s.ListenAddr())
			if err := r.handshake(id, g); err != nil {
				t.Fatal(err)
			}
			waitFor(t, 5*time.Second, "registered", func() bool { return a.hasPeer(id) })
			_ = c.frame(r) // the server may close while a large frame is still being written
			expectBanned(t, a, r, id)
			// a banned id cannot come back
			r2 := dialRaw(t, a.s.ListenAddr())
			if err := r2.handshake(id, g); err == nil {
				t.Fatal("banned peer completed a handshake")
			}
		})
	}
}

// TestHugeFrameBoundedMemory sends a frame header announcing 100 MB and streams its body:
// the server must drop the peer at the header without buffering the body.
func TestHugeFrameBoundedMemory(t *testing.T) {
	a := startNode(t, newFakeChain(1000))
	id := NodeID{0x41}
	r := dialRaw(t, a.s.ListenAddr())
	if err := r.handshake(id, a.c.GenesisHash()); err != nil {
		t.Fatal(err)
	}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)

	const size = 100 << 20
	conn := r.ws.UnderlyingConn()
	hdr := []byte{0x82, 0x80 | 127}
	hdr = binary.BigEndian.AppendUint64(hdr, size)
	hdr = append(hdr, 0, 0, 0, 0) // zero mask key: payload goes as is
	written := make(chan int64, 1)
	go func() {
		n := int64(0)
		if _, err := conn.Write(hdr); err == nil {
			chunk := make([]byte, 64<<10)
			chunk[0] = byte(MsgTypeBlock)
			for n < size {
				_ = conn.SetWriteDeadline(time.Now().Add(5 * time.Second))
				k, err := conn.Write(chunk)
				n += int64(k)
				if err != nil {
					break
				}
				chunk[0] = 0
			}
		}
		written <- n
	}()
	waitFor(t, 10*time.Second, "ban after huge frame", func() bool { return a.s.IsBanned(id) && !a.hasPeer(id) })
	n := <-written
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	growth := int64(after.HeapInuse) - int64(before.HeapInuse)
	t.Logf("attacker wrote %d MB before the close; heap in use grew %d KB", n>>20, growth>>10)
	if growth > 16<<20 {
		t.Fatalf("heap grew %d MB", growth>>20)
	}
	if n >= size {
		t.Fatal("server read the whole 100 MB frame")
	}
}

func TestGarbageBeforeHandshake(t *testing.T) {
	a := startNode(t, newFakeChain(1000))
	// raw bytes that are not even HTTP
	c, err := net.Dial("tcp", a.s.ListenAddr())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_, _ = c.Write([]byte("\x00\x01garbage garbage\r\n\r\n"))
	_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
	_, _ = io.ReadAll(c) // the server answers 400 and closes
	// a websocket that sends garbage instead of version
	r := dialRaw(t, a.s.ListenAddr())
	_ = r.ws.WriteMessage(websocket.BinaryMessage, []byte{1, 2, 3})
	if err := r.waitClosed(10 * time.Second); err == nil {
		t.Fatal("not closed")
	}
	if len(a.s.Peers()) != 0 {
		t.Fatal("garbage peer registered")
	}
}
