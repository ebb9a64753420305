package p2p

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"unicode/utf8"

	"chainlab/chain"
)

// ProtocolVersion is the wire protocol version this package speaks. Peers with another
// version are rejected during the handshake.
const ProtocolVersion uint32 = 1

// MsgType is the first byte of every frame.
type MsgType uint8

// Message types.
const (
	MsgTypeVersion    MsgType = 1
	MsgTypeVerAck     MsgType = 2
	MsgTypeInv        MsgType = 3
	MsgTypeGetData    MsgType = 4
	MsgTypeNotFound   MsgType = 5
	MsgTypeBlock      MsgType = 6
	MsgTypeTx         MsgType = 7
	MsgTypeVote       MsgType = 8
	MsgTypeEvidence   MsgType = 9
	MsgTypeGetHeaders MsgType = 10
	MsgTypeHeaders    MsgType = 11
	MsgTypeGetAddr    MsgType = 12
	MsgTypeAddr       MsgType = 13
	MsgTypePing       MsgType = 14
	MsgTypePong       MsgType = 15
	MsgTypeReject     MsgType = 16
	msgTypeMax        MsgType = 16
)

var msgNames = [...]string{"", "version", "verack", "inv", "getdata", "notfound", "block", "tx",
	"vote", "evidence", "getheaders", "headers", "getaddr", "addr", "ping", "pong", "reject"}

func (t MsgType) String() string {
	if t >= 1 && t <= msgTypeMax {
		return msgNames[t]
	}
	return fmt.Sprintf("unknown(%d)", uint8(t))
}

// Wire limits. Every count and length read from the wire is checked against one of these
// before anything is allocated; the body of each message type is bounded by MaxBodySize.
const (
	MaxInvItems      = 50_000 // inv, getdata, notfound
	MaxLocatorHashes = 101
	MaxHeadersPerMsg = 2_000
	MaxAddrPerMsg    = 1_000
	MaxUserAgent     = 256
	MaxAddrLen       = 256
	MaxRejectCode    = 64
	MaxRejectReason  = 256
	maxHeaderSize    = chain.HeaderSize + 1 + chain.SealSize
	invItemSize      = 1 + 32
	maxEvidenceSize  = 1 + 2*maxHeaderSize
	versionMaxSize   = 4 + 4 + 32 + 8 + 32 + 32 + 8 + 3 + MaxAddrLen + 3 + MaxUserAgent
	addrEntryMaxSize = 32 + 8 + 3 + MaxAddrLen
	// DefaultMaxTxSize bounds a tx message when Config.MaxTxBytes is zero.
	DefaultMaxTxSize = 1 << 20
	// DefaultMaxBlockSize bounds a block message when Config.MaxBlockBytes is zero.
	DefaultMaxBlockSize = 4 << 20
)

// Limits are the per-message body limits in bytes (the type byte excluded).
type Limits struct {
	MaxBlock int
	MaxTx    int
}

// MaxBodySize returns the largest body a message of type t may have, or -1 for an unknown type.
func (l Limits) MaxBodySize(t MsgType) int {
	switch t {
	case MsgTypeVersion:
		return versionMaxSize
	case MsgTypeVerAck, MsgTypeGetAddr:
		return 0
	case MsgTypeInv, MsgTypeGetData, MsgTypeNotFound:
		return 3 + MaxInvItems*invItemSize
	case MsgTypeBlock:
		return l.MaxBlock
	case MsgTypeTx:
		return l.MaxTx
	case MsgTypeVote:
		return chain.VoteSize
	case MsgTypeEvidence:
		return maxEvidenceSize
	case MsgTypeGetHeaders:
		return 1 + MaxLocatorHashes*32 + 32
	case MsgTypeHeaders:
		return 3 + MaxHeadersPerMsg*maxHeaderSize
	case MsgTypeAddr:
		return 3 + MaxAddrPerMsg*addrEntryMaxSize
	case MsgTypePing, MsgTypePong:
		return 8
	case MsgTypeReject:
		return 1 + 1 + MaxRejectCode + 3 + MaxRejectReason + 32
	}
	return -1
}

// maxFrame is the largest frame any message type allows (type byte included).
func (l Limits) maxFrame() int {
	m := 0
	for t := MsgType(1); t <= msgTypeMax; t++ {
		m = max(m, l.MaxBodySize(t))
	}
	return m + 1
}

// Message is one wire message.
type Message interface {
	Type() MsgType
	// AppendBody appends the canonical encoding of the body (without the type byte).
	AppendBody(b []byte) []byte
}

// InvType names what an inventory item refers to.
type InvType uint8

// Inventory types.
const (
	InvTx       InvType = 1
	InvBlock    InvType = 2
	InvVote     InvType = 3
	InvEvidence InvType = 4
)

func (t InvType) String() string {
	switch t {
	case InvTx:
		return "tx"
	case InvBlock:
		return "block"
	case InvVote:
		return "vote"
	case InvEvidence:
		return "evidence"
	}
	return fmt.Sprintf("inv(%d)", uint8(t))
}

// InvItem is one inventory entry.
type InvItem struct {
	Type InvType
	Hash chain.Hash
}

// MsgVersion opens the handshake. Both sides send it first.
type MsgVersion struct {
	Protocol   uint32
	Magic      uint32
	Genesis    chain.Hash
	BestHeight uint64
	BestHash   chain.Hash
	NodeID     NodeID
	Time       int64 // unix seconds of the sender's clock
	ListenAddr string
	UserAgent  string
}

// MsgVerAck acknowledges a version.
type MsgVerAck struct{}

// MsgInv announces inventory; MsgGetData requests it; MsgNotFound answers a getdata for
// items the peer does not have.
type (
	MsgInv      struct{ Items []InvItem }
	MsgGetData  struct{ Items []InvItem }
	MsgNotFound struct{ Items []InvItem }
)

// MsgBlock carries a block.
type MsgBlock struct{ Block *chain.Block }

// MsgTx carries a transaction.
type MsgTx struct{ Tx *chain.Tx }

// MsgVote carries a validator vote.
type MsgVote struct{ Vote *chain.Vote }

// MsgEvidence carries slashing evidence.
type MsgEvidence struct{ Evidence *chain.Evidence }

// MsgGetHeaders asks for the headers after the first locator hash on the peer's main chain,
// up to Stop (zero: up to MaxHeadersPerMsg).
type MsgGetHeaders struct {
	Locator []chain.Hash
	Stop    chain.Hash
}

// MsgHeaders answers getheaders.
type MsgHeaders struct{ Headers []*chain.Header }

// MsgGetAddr asks for known addresses.
type MsgGetAddr struct{}

// AddrEntry is a known peer address.
type AddrEntry struct {
	NodeID NodeID
	Seen   int64 // unix seconds
	Addr   string
}

// MsgAddr shares known addresses.
type MsgAddr struct{ Addrs []AddrEntry }

// MsgPing and MsgPong measure round-trip time and liveness.
type (
	MsgPing struct{ Nonce uint64 }
	MsgPong struct{ Nonce uint64 }
)

// MsgReject tells the peer why a message was refused (and, during the handshake, why the
// connection is about to close).
type MsgReject struct {
	Message MsgType
	Code    string
	Reason  string
	Hash    chain.Hash
}

// rawMessage is an already-encoded body (a stored block served as-is).
type rawMessage struct {
	t    MsgType
	body []byte
}

func (m *MsgVersion) Type() MsgType    { return MsgTypeVersion }
func (m *MsgVerAck) Type() MsgType     { return MsgTypeVerAck }
func (m *MsgInv) Type() MsgType        { return MsgTypeInv }
func (m *MsgGetData) Type() MsgType    { return MsgTypeGetData }
func (m *MsgNotFound) Type() MsgType   { return MsgTypeNotFound }
func (m *MsgBlock) Type() MsgType      { return MsgTypeBlock }
func (m *MsgTx) Type() MsgType         { return MsgTypeTx }
func (m *MsgVote) Type() MsgType       { return MsgTypeVote }
func (m *MsgEvidence) Type() MsgType   { return MsgTypeEvidence }
func (m *MsgGetHeaders) Type() MsgType { return MsgTypeGetHeaders }
func (m *MsgHeaders) Type() MsgType    { return MsgTypeHeaders }
func (m *MsgGetAddr) Type() MsgType    { return MsgTypeGetAddr }
func (m *MsgAddr) Type() MsgType       { return MsgTypeAddr }
func (m *MsgPing) Type() MsgType       { return MsgTypePing }
func (m *MsgPong) Type() MsgType       { return MsgTypePong }
func (m *MsgReject) Type() MsgType     { return MsgTypeReject }
func (m *rawMessage) Type() MsgType    { return m.t }

func (m *MsgVersion) AppendBody(b []byte) []byte {
	b = binary.LittleEndian.AppendUint32(b, m.Protocol)
	b = binary.LittleEndian.AppendUint32(b, m.Magic)
	b = append(b, m.Genesis[:]...)
	b = binary.LittleEndian.AppendUint64(b, m.BestHeight)
	b = append(b, m.BestHash[:]...)
	b = append(b, m.NodeID[:]...)
	b = binary.LittleEndian.AppendUint64(b, uint64(m.Time))
	b = appendString(b, m.ListenAddr)
	return appendString(b, m.UserAgent)
}
func (m *MsgVerAck) AppendBody(b []byte) []byte   { return b }
func (m *MsgInv) AppendBody(b []byte) []byte      { return appendInv(b, m.Items) }
func (m *MsgGetData) AppendBody(b []byte) []byte  { return appendInv(b, m.Items) }
func (m *MsgNotFound) AppendBody(b []byte) []byte { return appendInv(b, m.Items) }
func (m *MsgBlock) AppendBody(b []byte) []byte    { return m.Block.AppendTo(b) }
func (m *MsgTx) AppendBody(b []byte) []byte       { return m.Tx.AppendTo(b) }
func (m *MsgVote) AppendBody(b []byte) []byte     { return m.Vote.AppendTo(b) }
func (m *MsgEvidence) AppendBody(b []byte) []byte { return m.Evidence.AppendTo(b) }
func (m *MsgGetHeaders) AppendBody(b []byte) []byte {
	b = chain.AppendVarint(b, uint64(len(m.Locator)))
	for i := range m.Locator {
		b = append(b, m.Locator[i][:]...)
	}
	return append(b, m.Stop[:]...)
}
func (m *MsgHeaders) AppendBody(b []byte) []byte {
	b = chain.AppendVarint(b, uint64(len(m.Headers)))
	for _, h := range m.Headers {
		b = h.AppendTo(b)
	}
	return b
}
func (m *MsgGetAddr) AppendBody(b []byte) []byte { return b }
func (m *MsgAddr) AppendBody(b []byte) []byte {
	b = chain.AppendVarint(b, uint64(len(m.Addrs)))
	for _, a := range m.Addrs {
		b = append(b, a.NodeID[:]...)
		b = binary.LittleEndian.AppendUint64(b, uint64(a.Seen))
		b = appendString(b, a.Addr)
	}
	return b
}
func (m *MsgPing) AppendBody(b []byte) []byte { return binary.LittleEndian.AppendUint64(b, m.Nonce) }
func (m *MsgPong) AppendBody(b []byte) []byte { return binary.LittleEndian.AppendUint64(b, m.Nonce) }
func (m *MsgReject) AppendBody(b []byte) []byte {
	b = append(b, byte(m.Message))
	b = appendString(b, m.Code)
	b = appendString(b, m.Reason)
	return append(b, m.Hash[:]...)
}
func (m *rawMessage) AppendBody(b []byte) []byte { return append(b, m.body...) }

func appendString(b []byte, s string) []byte {
	b = chain.AppendVarint(b, uint64(len(s)))
	return append(b, s...)
}

func appendInv(b []byte, items []InvItem) []byte {
	b = chain.AppendVarint(b, uint64(len(items)))
	for _, it := range items {
		b = append(b, byte(it.Type))
		b = append(b, it.Hash[:]...)
	}
	return b
}

// EncodeMessage returns the frame of m: its type byte followed by its body.
func EncodeMessage(m Message) []byte {
	return m.AppendBody([]byte{byte(m.Type())})
}

// ErrMalformedMessage is the kind of every decoding failure.
var ErrMalformedMessage = errors.New("p2p: malformed message")

// ErrOversizeMessage is returned for a body larger than its type's limit.
var ErrOversizeMessage = errors.New("p2p: oversize message")

// ErrUnknownMessage is returned for an unknown message type.
var ErrUnknownMessage = errors.New("p2p: unknown message type")

// DecodeMessage strictly decodes the frame b (type byte + body) under the limits l.
// It never panics and never allocates more than the body length justifies.
func DecodeMessage(b []byte, l Limits) (Message, error) {
	if len(b) == 0 {
		return nil, fmt.Errorf("%w: empty frame", ErrMalformedMessage)
	}
	t := MsgType(b[0])
	body := b[1:]
	lim := l.MaxBodySize(t)
	if lim < 0 {
		return nil, fmt.Errorf("%w: %d", ErrUnknownMessage, b[0])
	}
	if len(body) > lim {
		return nil, fmt.Errorf("%w: %s body %d > %d", ErrOversizeMessage, t, len(body), lim)
	}
	m, err := decodeBody(t, body)
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %w", ErrMalformedMessage, t, err)
	}
	return m, nil
}

func decodeBody(t MsgType, body []byte) (Message, error) {
	switch t {
	case MsgTypeBlock:
		blk, err := chain.DecodeBlock(body)
		if err != nil {
			return nil, err
		}
		return &MsgBlock{Block: blk}, nil
	case MsgTypeTx:
		tx, err := chain.DecodeTx(body)
		if err != nil {
			return nil, err
		}
		return &MsgTx{Tx: tx}, nil
	case MsgTypeVote:
		v, err := chain.DecodeVote(body)
		if err != nil {
			return nil, err
		}
		return &MsgVote{Vote: v}, nil
	case MsgTypeEvidence:
		e, err := chain.DecodeEvidence(body)
		if err != nil {
			return nil, err
		}
		return &MsgEvidence{Evidence: e}, nil
	}
	r := &wireReader{b: body}
	var m Message
	switch t {
	case MsgTypeVersion:
		v := &MsgVersion{}
		v.Protocol = r.u32()
		v.Magic = r.u32()
		r.bytes(v.Genesis[:])
		v.BestHeight = r.u64()
		r.bytes(v.BestHash[:])
		r.bytes(v.NodeID[:])
		v.Time = int64(r.u64())
		v.ListenAddr = r.str(MaxAddrLen)
		v.UserAgent = r.str(MaxUserAgent)
		m = v
	case MsgTypeVerAck:
		m = &MsgVerAck{}
	case MsgTypeGetAddr:
		m = &MsgGetAddr{}
	case MsgTypeInv:
		m = &MsgInv{Items: r.inv()}
	case MsgTypeGetData:
		m = &MsgGetData{Items: r.inv()}
	case MsgTypeNotFound:
		m = &MsgNotFound{Items: r.inv()}
	case MsgTypeGetHeaders:
		g := &MsgGetHeaders{}
		n := r.count(MaxLocatorHashes, 32)
		g.Locator = make([]chain.Hash, n)
		for i := range g.Locator {
			r.bytes(g.Locator[i][:])
		}
		r.bytes(g.Stop[:])
		m = g
	case MsgTypeHeaders:
		h := &MsgHeaders{}
		n := r.count(MaxHeadersPerMsg, chain.HeaderSize+1)
		h.Headers = make([]*chain.Header, 0, n)
		for i := 0; i < n && r.err == nil; i++ {
			h.Headers = append(h.Headers, r.header())
		}
		m = h
	case MsgTypeAddr:
		a := &MsgAddr{}
		n := r.count(MaxAddrPerMsg, 32+8+1)
		a.Addrs = make([]AddrEntry, n)
		for i := range a.Addrs {
			r.bytes(a.Addrs[i].NodeID[:])
			a.Addrs[i].Seen = int64(r.u64())
			a.Addrs[i].Addr = r.str(MaxAddrLen)
		}
		m = a
	case MsgTypePing:
		m = &MsgPing{Nonce: r.u64()}
	case MsgTypePong:
		m = &MsgPong{Nonce: r.u64()}
	case MsgTypeReject:
		rj := &MsgReject{}
		rj.Message = MsgType(r.u8())
		rj.Code = r.str(MaxRejectCode)
		rj.Reason = r.str(MaxRejectReason)
		r.bytes(rj.Hash[:])
		m = rj
	default:
		return nil, fmt.Errorf("unknown type %d", t)
	}
	if r.err == nil && r.off != len(r.b) {
		r.err = fmt.Errorf("%d trailing bytes", len(r.b)-r.off)
	}
	if r.err != nil {
		return nil, r.err
	}
	return m, nil
}

// wireReader is a strict little-endian reader; the first error sticks.
type wireReader struct {
	b   []byte
	off int
	err error
}

func (r *wireReader) need(n int) bool {
	if r.err != nil {
		return false
	}
	if n < 0 || len(r.b)-r.off < n {
		r.err = fmt.Errorf("truncated at byte %d: need %d, have %d", r.off, n, len(r.b)-r.off)
		return false
	}
	return true
}

func (r *wireReader) u8() uint8 {
	if !r.need(1) {
		return 0
	}
	r.off++
	return r.b[r.off-1]
}

func (r *wireReader) u32() uint32 {
	if !r.need(4) {
		return 0
	}
	r.off += 4
	return binary.LittleEndian.Uint32(r.b[r.off-4:])
}

func (r *wireReader) u64() uint64 {
	if !r.need(8) {
		return 0
	}
	r.off += 8
	return binary.LittleEndian.Uint64(r.b[r.off-8:])
}

func (r *wireReader) bytes(dst []byte) {
	if r.need(len(dst)) {
		r.off += copy(dst, r.b[r.off:])
	}
}

// varint reads a minimal CompactSize no larger than lim.
func (r *wireReader) varint(lim uint64) uint64 {
	d := r.u8()
	var v uint64
	switch d {
	case 0xfd:
		if r.need(2) {
			v = uint64(binary.LittleEndian.Uint16(r.b[r.off:]))
			r.off += 2
			if r.err == nil && v < 0xfd {
				r.err = fmt.Errorf("non-minimal varint at byte %d", r.off)
			}
		}
	case 0xfe:
		v = uint64(r.u32())
		if r.err == nil && v <= math.MaxUint16 {
			r.err = fmt.Errorf("non-minimal varint at byte %d", r.off)
		}
	case 0xff:
		v = r.u64()
		if r.err == nil && v <= math.MaxUint32 {
			r.err = fmt.Errorf("non-minimal varint at byte %d", r.off)
		}
	default:
		v = uint64(d)
	}
	if r.err == nil && v > lim {
		r.err = fmt.Errorf("count %d exceeds limit %d", v, lim)
	}
	if r.err != nil {
		return 0
	}
	return v
}

// count reads an element count and checks the remaining bytes can hold n elements of at
// least minSize bytes each, so nothing is allocated for a lying count.
func (r *wireReader) count(lim uint64, minSize int) int {
	n := int(r.varint(lim))
	if !r.need(n * minSize) {
		return 0
	}
	return n
}

func (r *wireReader) str(lim uint64) string {
	n := int(r.varint(lim))
	if !r.need(n) {
		return ""
	}
	s := string(r.b[r.off : r.off+n])
	r.off += n
	if !utf8.ValidString(s) {
		r.err = fmt.Errorf("invalid utf-8 string at byte %d", r.off-n)
		return ""
	}
	return s
}

func (r *wireReader) inv() []InvItem {
	n := r.count(MaxInvItems, invItemSize)
	items := make([]InvItem, n)
	for i := range items {
		t := InvType(r.u8())
		if r.err == nil && (t < InvTx || t > InvEvidence) {
			r.err = fmt.Errorf("unknown inventory type %d", t)
		}
		items[i].Type = t
		r.bytes(items[i].Hash[:])
	}
	return items
}

// header reads one header (80 bytes, a seal flag and an optional seal) and decodes it with
// the chain's strict decoder.
func (r *wireReader) header() *chain.Header {
	if !r.need(chain.HeaderSize + 1) {
		return nil
	}
	n := chain.HeaderSize + 1
	if r.b[r.off+chain.HeaderSize] == 1 {
		n += chain.SealSize
	}
	if !r.need(n) {
		return nil
	}
	h, err := chain.DecodeHeader(r.b[r.off : r.off+n])
	if err != nil {
		r.err = err
		return nil
	}
	r.off += n
	return h
}
