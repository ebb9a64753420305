package p2p

import (
	"errors"
	"fmt"
	"io"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"chainlab/chain"
)

const (
	knownInvCap     = 4_096    // inventory remembered per peer (never re-sent to it)
	sendHighWater   = 8 << 20  // getdata serving waits while more than this is queued
	sendHardLimit   = 64 << 20 // a peer whose queue exceeds this is disconnected
	readBufKeep     = 2 << 20  // read buffers larger than this are dropped after use
	writeTimeout    = time.Minute
	requestedTxsCap = 4_096
)

// outMsg is one queued frame: its type, its body and (with link emulation) when it may leave.
type outMsg struct {
	t    MsgType
	body []byte
	at   time.Time
}

// peer is one connected, handshaken remote node.
type peer struct {
	s          *Server
	ws         *websocket.Conn
	id         NodeID
	addr       string // dialled address (outbound) or remote socket address (inbound)
	listenAddr string // the peer's advertised listen address
	inbound    bool
	userAgent  string
	version    uint32
	connected  time.Time
	startBest  uint64
	startHash  chain.Hash

	quit      chan struct{}
	closeOnce sync.Once
	closeErr  error
	done      chan struct{} // closed when the writer has exited

	mu          sync.Mutex
	queue       []outMsg
	queuedBytes int
	wake        chan struct{} // 1-buffered: the writer has work
	drained     *sync.Cond    // signalled when queuedBytes drops
	link        *linkState    // nil: no emulation (the fast path)
	score       banScore
	flood       floodBucket
	known       hashRing
	requested   hashRing // tx/vote/evidence we asked this peer for
	pingNonce   uint64
	pingSent    time.Time

	rtt        atomic.Int64
	bestHeight atomic.Uint64
	bytesSent  atomic.Uint64
	bytesRecv  atomic.Uint64
	msgsSent   atomic.Uint64
	msgsRecv   atomic.Uint64
	readBuf    []byte     // owned by the reader goroutine
	batch      *batchConn // nil when the connection did not come through our listener/dialer
}

func newPeer(s *Server, ws *websocket.Conn, addr string, inbound bool) *peer {
	p := &peer{
		s:       s,
		ws:      ws,
		addr:    addr,
		inbound: inbound,
		quit:    make(chan struct{}),
		done:    make(chan struct{}),
		wake:    make(chan struct{}, 1),
	}
	p.drained = sync.NewCond(&p.mu)
	p.batch, _ = ws.UnderlyingConn().(*batchConn)
	p.known.init(knownInvCap)
	p.requested.init(requestedTxsCap)
	ws.SetReadLimit(int64(s.limits.maxFrame()))
	return p
}

func (p *peer) String() string {
	dir := "out"
	if p.inbound {
		dir = "in"
	}
	return fmt.Sprintf("%s(%s %s)", p.id, dir, p.addr)
}

// close ends the connection once; the reader and writer exit.
func (p *peer) close(err error) {
	p.closeOnce.Do(func() {
		p.closeErr = err
		close(p.quit)
		p.mu.Lock()
		p.drained.Broadcast()
		p.mu.Unlock()
		_ = p.ws.Close()
	})
}

// ---- reading ----

// errTextFrame is returned for a non-binary data frame.
var errTextFrame = errors.New("p2p: text frame")

// readFrame reads one frame into the reusable read buffer, enforcing the per-type limit
// before the body is read: the type byte comes first, and the body reader stops one byte
// past the limit. The websocket read limit (the largest type's limit) already refuses a
// frame whose header announces more.
func (p *peer) readFrame() ([]byte, error) {
	mt, r, err := p.ws.NextReader()
	if err != nil {
		return nil, err
	}
	if mt != websocket.BinaryMessage {
		return nil, errTextFrame
	}
	buf := p.readBuf
	if cap(buf) < 4096 {
		buf = make([]byte, 4096)
	}
	buf = buf[:cap(buf)]
	if _, err := io.ReadFull(r, buf[:1]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return nil, fmt.Errorf("%w: empty frame", ErrMalformedMessage)
		}
		return nil, err
	}
	t := MsgType(buf[0])
	lim := p.s.limits.MaxBodySize(t)
	if lim < 0 {
		return nil, fmt.Errorf("%w: %d", ErrUnknownMessage, buf[0])
	}
	n := 1
	for {
		if n == len(buf) {
			if n-1 > lim {
				return nil, fmt.Errorf("%w: %s body over %d bytes", ErrOversizeMessage, t, lim)
			}
			nb := make([]byte, min(2*len(buf), lim+2))
			copy(nb, buf[:n])
			buf = nb
		}
		k, err := r.Read(buf[n:])
		n += k
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	if n-1 > lim {
		return nil, fmt.Errorf("%w: %s body %d > %d", ErrOversizeMessage, t, n-1, lim)
	}
	if cap(buf) <= readBufKeep {
		p.readBuf = buf
	} else {
		p.readBuf = nil
	}
	p.bytesRecv.Add(uint64(n))
	p.msgsRecv.Add(1)
	return buf[:n], nil
}

// readMessage reads and decodes one message.
func (p *peer) readMessage() (Message, int, error) {
	frame, err := p.readFrame()
	if err != nil {
		return nil, 0, err
	}
	m, err := DecodeMessage(frame, p.s.limits)
	return m, len(frame), err
}

// ---- writing ----

// send queues m. It never blocks; a peer whose queue passes sendHardLimit is dropped.
func (p *peer) send(m Message) {
	var body []byte
	if r, ok := m.(*rawMessage); ok {
		body = r.body
	} else {
		body = m.AppendBody(nil)
	}
	p.enqueue(m.Type(), body, false)
}

// sendWait queues m, first waiting while more than sendHighWater bytes are queued
// (backpressure for a peer that asks for many blocks). Returns false if the peer closed.
func (p *peer) sendWait(m Message) bool {
	var body []byte
	if r, ok := m.(*rawMessage); ok {
		body = r.body
	} else {
		body = m.AppendBody(nil)
	}
	return p.enqueue(m.Type(), body, true)
}

func (p *peer) enqueue(t MsgType, body []byte, wait bool) bool {
	if p.s.partitioned(p.id) {
		return true // dropped by the emulated partition
	}
	p.mu.Lock()
	for wait && p.queuedBytes > sendHighWater && !p.isClosed() {
		p.drained.Wait()
	}
	if p.isClosed() {
		p.mu.Unlock()
		return false
	}
	om := outMsg{t: t, body: body}
	if p.link != nil {
		at, drop := p.link.schedule(p.s.cfg.Now(), len(body)+1, p.s.rng)
		if drop {
			p.mu.Unlock()
			return true
		}
		om.at = at
	}
	p.queue = append(p.queue, om)
	p.queuedBytes += len(body) + 1
	over := p.queuedBytes > sendHardLimit
	p.mu.Unlock()
	if over {
		p.close(errors.New("send queue overflow"))
		return false
	}
	select {
	case p.wake <- struct{}{}:
	default:
	}
	return true
}

func (p *peer) isClosed() bool {
	select {
	case <-p.quit:
		return true
	default:
		return false
	}
}

// writeLoop drains the queue. With link emulation it holds each frame until its departure
// time (one reused timer); without it frames go out immediately.
func (p *peer) writeLoop() {
	defer close(p.done)
	if p.batch != nil {
		_ = p.batch.setBatching(true)
	}
	var timer *time.Timer
	var batch []outMsg
	for {
		p.mu.Lock()
		batch, p.queue = p.queue, batch[:0]
		p.mu.Unlock()
		for i := range batch {
			om := &batch[i]
			if !om.at.IsZero() {
				if d := om.at.Sub(time.Now()); d > 0 {
					if err := p.flush(); err != nil {
						p.close(fmt.Errorf("write: %w", err))
						return
					}
					if timer == nil {
						timer = time.NewTimer(d)
					} else {
						timer.Reset(d)
					}
					select {
					case <-timer.C:
					case <-p.quit:
						return
					}
				}
			}
			if err := p.writeFrame(om.t, om.body); err != nil {
				p.close(fmt.Errorf("write: %w", err))
				return
			}
			p.mu.Lock()
			p.queuedBytes -= len(om.body) + 1
			p.drained.Broadcast()
			p.mu.Unlock()
			om.body = nil
		}
		if err := p.flush(); err != nil {
			p.close(fmt.Errorf("write: %w", err))
			return
		}
		select {
		case <-p.wake:
		case <-p.quit:
			return
		}
	}
}

// flush sends what the batching connection holds (the queue is drained or a link wait
// begins).
func (p *peer) flush() error {
	if p.batch == nil {
		return nil
	}
	_ = p.batch.SetWriteDeadline(time.Now().Add(writeTimeout))
	return p.batch.Flush()
}

func (p *peer) writeFrame(t MsgType, body []byte) error {
	_ = p.ws.SetWriteDeadline(time.Now().Add(writeTimeout))
	w, err := p.ws.NextWriter(websocket.BinaryMessage)
	if err != nil {
		return err
	}
	if _, err := w.Write([]byte{byte(t)}); err != nil {
		return err
	}
	if _, err := w.Write(body); err != nil {
		return err
	}
	if err := w.Close(); err != nil {
		return err
	}
	p.bytesSent.Add(uint64(len(body) + 1))
	p.msgsSent.Add(1)
	return nil
}

func (p *peer) setLink(lp LinkParams) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if lp.IsZero() {
		p.link = nil
		return
	}
	if p.link == nil {
		p.link = &linkState{}
	}
	p.link.params = lp
}

// ---- inventory bookkeeping ----

func (p *peer) addKnown(h chain.Hash) {
	p.mu.Lock()
	p.known.add(h)
	p.mu.Unlock()
}

func (p *peer) knows(h chain.Hash) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.known.has(h)
}

// markRequested records a loose item we asked the peer for; takeRequested consumes it.
func (p *peer) markRequested(h chain.Hash) {
	p.mu.Lock()
	p.requested.add(h)
	p.mu.Unlock()
}

func (p *peer) takeRequested(h chain.Hash) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.requested.remove(h)
}

// misbehave adds points; at the threshold the peer is banned and disconnected.
func (p *peer) misbehave(pts int, reason string) {
	if pts <= 0 {
		return
	}
	now := p.s.cfg.Now()
	p.mu.Lock()
	v := p.score.add(now, p.s.cfg.ScoreHalfLife, pts)
	p.mu.Unlock()
	p.s.log.Debug("peer misbehaved", "peer", p, "points", pts, "score", int(v), "reason", reason)
	if int(math.Round(v)) >= p.s.cfg.BanThreshold {
		p.s.ban(p, reason)
	}
}

// unsolicited charges the flood allowance.
func (p *peer) unsolicited(what string) {
	p.mu.Lock()
	ok := p.flood.take(p.s.cfg.Now())
	p.mu.Unlock()
	if !ok {
		p.misbehave(ScoreUnsolicited, "unsolicited "+what+" flood")
	}
}

func (p *peer) banScore() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return int(math.Round(p.score.get(p.s.cfg.Now(), p.s.cfg.ScoreHalfLife)))
}

// hashRing is a bounded set with FIFO eviction.
type hashRing struct {
	set  map[chain.Hash]struct{}
	ring []chain.Hash
	next int
	full bool
}

func (r *hashRing) init(n int) {
	r.set = make(map[chain.Hash]struct{}, 64)
	r.ring = make([]chain.Hash, n)
}

func (r *hashRing) has(h chain.Hash) bool { _, ok := r.set[h]; return ok }

func (r *hashRing) add(h chain.Hash) {
	if _, ok := r.set[h]; ok {
		return
	}
	if r.full {
		delete(r.set, r.ring[r.next])
	}
	r.ring[r.next] = h
	r.set[h] = struct{}{}
	r.next++
	if r.next == len(r.ring) {
		r.next, r.full = 0, true
	}
}

// remove deletes h from the set (its ring slot is reclaimed on wrap-around).
func (r *hashRing) remove(h chain.Hash) bool {
	if _, ok := r.set[h]; !ok {
		return false
	}
	delete(r.set, h)
	return true
}
