package p2p

import (
	"net"
	"sync"
)

// batchMax is the most a batchConn holds before writing.
const batchMax = 64 << 10

// batchConn lets a burst of small frames (block serving, inv floods) leave in one write
// system call: once batching is on, writes are buffered until the peer's writer drains its
// queue and calls Flush (or the buffer fills). The HTTP upgrade and the handshake run
// unbatched.
type batchConn struct {
	net.Conn
	mu  sync.Mutex
	buf []byte
	on  bool
}

func (c *batchConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if !c.on {
		return c.Conn.Write(p)
	}
	if len(c.buf)+len(p) > batchMax {
		if err := c.flushLocked(); err != nil {
			return 0, err
		}
		if len(p) > batchMax {
			return c.Conn.Write(p)
		}
	}
	c.buf = append(c.buf, p...)
	return len(p), nil
}

func (c *batchConn) flushLocked() error {
	if len(c.buf) == 0 {
		return nil
	}
	_, err := c.Conn.Write(c.buf)
	c.buf = c.buf[:0]
	return err
}

// Flush writes what is buffered.
func (c *batchConn) Flush() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.flushLocked()
}

// setBatching turns batching on or off (off flushes).
func (c *batchConn) setBatching(on bool) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.on = on
	if !on {
		return c.flushLocked()
	}
	return nil
}

// batchListener wraps accepted connections in batchConn.
type batchListener struct{ net.Listener }

func (l batchListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	return &batchConn{Conn: c}, nil
}
