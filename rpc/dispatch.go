package rpc

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"runtime/debug"
	"strconv"
)

// request is one JSON-RPC call. ID is absent (nil) for a JSON-RPC 2.0 notification and
// "null" for an explicit null id.
type request struct {
	JSONRPC string          `json:"jsonrpc"`
	ID      json.RawMessage `json:"id"`
	Method  string          `json:"method"`
	Params  json.RawMessage `json:"params"`
}

// method is one entry of the dispatch table: a plain map lookup and a direct call, no
// reflection. Named parameters are mapped to positions through args.
type method struct {
	name     string
	args     []string // parameter names in positional order
	required int      // how many leading args are required
	help     string   // one-line summary after the signature
	fn       func(c *call) (any, error)
}

// call is the context a handler gets.
type call struct {
	ctx    context.Context
	s      *Server
	params params
	ws     *wsReq // non-nil over websocket
}

// handleBody runs a single request or a batch and writes the response into out. It
// returns the HTTP status (Bitcoin Core's: 200 for JSON-RPC 2.0 and batches; for legacy
// 1.0 errors 404 method-not-found, 400 invalid-request, 500 otherwise).
func (s *Server) handleBody(ctx context.Context, body []byte, out *bytes.Buffer) int {
	body = bytes.TrimLeft(body, " \t\r\n")
	if len(body) > 0 && body[0] == '[' {
		return s.handleBatch(ctx, body, out, nil)
	}
	var req request
	if e := parseRequest(body, &req); e != nil {
		out.Write(appendResponse(out.AvailableBuffer(), false, nil, nil, e))
		if e.Code == CodeInvalidRequest {
			return http.StatusBadRequest
		}
		return http.StatusInternalServerError
	}
	v2, _, rerr := s.exec(ctx, &req, out, nil)
	if rerr == nil || v2 {
		return http.StatusOK
	}
	switch rerr.Code {
	case CodeInvalidRequest:
		return http.StatusBadRequest
	case CodeMethodNotFound:
		return http.StatusNotFound
	}
	return http.StatusInternalServerError
}

func (s *Server) handleBatch(ctx context.Context, body []byte, out *bytes.Buffer, ws *wsReq) int {
	var reqs []json.RawMessage
	if err := json.Unmarshal(body, &reqs); err != nil {
		out.Write(appendResponse(out.AvailableBuffer(), true, nil, nil, errParse))
		return http.StatusOK
	}
	if len(reqs) == 0 {
		out.Write(appendResponse(out.AvailableBuffer(), true, nil, nil, Errorf(CodeInvalidRequest, "empty batch")))
		return http.StatusOK
	}
	if len(reqs) > s.cfg.MaxBatch {
		out.Write(appendResponse(out.AvailableBuffer(), true, nil, nil,
			Errorf(CodeInvalidRequest, "batch of %d requests exceeds the limit of %d", len(reqs), s.cfg.MaxBatch)))
		return http.StatusOK
	}
	out.WriteByte('[')
	start := out.Len()
	for _, raw := range reqs {
		mark := out.Len()
		if mark > start {
			out.WriteByte(',')
		}
		var req request
		if e := parseRequest(raw, &req); e != nil {
			out.Write(appendResponse(out.AvailableBuffer(), true, nil, nil, e))
			continue
		}
		if _, wrote, _ := s.exec(ctx, &req, out, ws); !wrote {
			out.Truncate(mark) // notification: no entry, no comma
		}
		if ctx.Err() != nil {
			break
		}
	}
	if out.Len() == start { // all notifications: no response at all
		out.Truncate(start - 1)
		return http.StatusOK
	}
	out.WriteByte(']')
	return http.StatusOK
}

// exec validates and runs one request, appending its response to out (nothing for a 2.0
// notification). It reports whether the request was JSON-RPC 2.0, whether a response was
// written, and the error returned, if any.
func (s *Server) exec(ctx context.Context, req *request, out *bytes.Buffer, ws *wsReq) (v2, wrote bool, rerr *Error) {
	switch req.JSONRPC {
	case "2.0":
		v2 = true
	case "", "1.0", "1.1":
	default:
		rerr = Errorf(CodeInvalidRequest, "jsonrpc field must be \"2.0\" or absent")
	}
	notify := v2 && req.ID == nil
	var result any
	if rerr == nil {
		result, rerr = s.invoke(ctx, req, ws)
	}
	if notify {
		return v2, false, rerr
	}
	buf := out.AvailableBuffer()
	if rerr != nil {
		buf = appendResponse(buf, v2, req.ID, nil, rerr)
	} else {
		var err error
		buf, err = appendResponseResult(buf, v2, req.ID, result)
		if err != nil {
			rerr = Errorf(CodeInternal, "encoding result: %v", err)
			buf = appendResponse(out.AvailableBuffer(), v2, req.ID, nil, rerr)
		}
	}
	out.Write(buf)
	return v2, true, rerr
}

func (s *Server) invoke(ctx context.Context, req *request, ws *wsReq) (result any, rerr *Error) {
	if req.Method == "" {
		return nil, Errorf(CodeInvalidRequest, "method must be a non-empty string")
	}
	m := s.methods[req.Method]
	if m == nil {
		return nil, Errorf(CodeMethodNotFound, "Method not found: %s", req.Method)
	}
	p, perr := parseParams(m, req.Params)
	if perr != nil {
		return nil, perr
	}
	defer func() {
		if r := recover(); r != nil {
			s.log.Error("rpc handler panic", "method", m.name, "panic", r, "stack", string(debug.Stack()))
			result, rerr = nil, Errorf(CodeInternal, "internal error in %s", m.name)
		}
	}()
	res, err := m.fn(&call{ctx: ctx, s: s, params: p, ws: ws})
	if err != nil {
		return nil, toRPCError(err)
	}
	return res, nil
}

// rawJSON is a result already encoded as JSON.
type rawJSON []byte

// appendResponse appends a response with either a pre-encoded result or an error.
// A missing id (parse errors) is written as null.
func appendResponse(b []byte, v2 bool, id json.RawMessage, result []byte, e *Error) []byte {
	if v2 {
		b = append(b, `{"jsonrpc":"2.0",`...)
	} else {
		b = append(b, '{')
	}
	if e != nil {
		if !v2 {
			b = append(b, `"result":null,`...)
		}
		b = append(b, `"error":{"code":`...)
		b = strconv.AppendInt(b, int64(e.Code), 10)
		b = append(b, `,"message":`...)
		b = appendJSONString(b, e.Message)
		b = append(b, `},"id":`...)
	} else {
		b = append(b, `"result":`...)
		b = append(b, result...)
		if !v2 {
			b = append(b, `,"error":null`...)
		}
		b = append(b, `,"id":`...)
	}
	if len(id) == 0 {
		b = append(b, "null"...)
	} else {
		b = append(b, id...)
	}
	return append(b, '}', '\n')
}

func appendResponseResult(b []byte, v2 bool, id json.RawMessage, result any) ([]byte, error) {
	enc, err := appendResult(nil, result)
	if err != nil {
		return b, err
	}
	return appendResponse(b, v2, id, enc, nil), nil
}

// appendResult encodes common scalar results without reflection; everything else goes
// through encoding/json.
func appendResult(b []byte, v any) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case uint64:
		return strconv.AppendUint(b, x, 10), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case bool:
		return strconv.AppendBool(b, x), nil
	case string:
		return appendJSONString(b, x), nil
	case hashString:
		b = append(b, '"')
		b = append(b, x...)
		return append(b, '"'), nil
	case rawJSON:
		return append(b, x...), nil
	case Amount:
		return x.AppendJSON(b), nil
	}
	enc, err := json.Marshal(v)
	if err != nil {
		return b, err
	}
	return append(b, enc...), nil
}

// hashString is a hex string known to need no escaping.
type hashString string

func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= 0x80 {
			enc, _ := json.Marshal(s)
			return append(b, enc...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}
