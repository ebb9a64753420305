package rpc

import "encoding/json"

// parseRequest decodes one request object without reflection: it checks the body is
// valid JSON, then walks the top-level object keeping the raw bytes of "jsonrpc", "id",
// "method" and "params" (the last duplicate wins, as encoding/json). The returned error is
// errParse for invalid JSON and an invalid-request error for a valid non-request.
// req's slices alias body.
func parseRequest(body []byte, req *request) *Error {
	if !json.Valid(body) {
		return errParse
	}
	p := skipWS(body, 0)
	if body[p] != '{' {
		return Errorf(CodeInvalidRequest, "request must be an object")
	}
	p = skipWS(body, p+1)
	if body[p] == '}' {
		return nil
	}
	for {
		kStart := p
		p = skipString(body, p)
		key := body[kStart+1 : p-1]
		p = skipWS(body, p)
		p = skipWS(body, p+1) // ':'
		vStart := p
		p = skipValue(body, p)
		val := body[vStart:p]
		switch string(key) {
		case "jsonrpc":
			s, ok := jsonStringValue(val)
			if !ok {
				return Errorf(CodeInvalidRequest, "jsonrpc must be a string")
			}
			req.JSONRPC = s
		case "id":
			req.ID = val
		case "method":
			s, ok := jsonStringValue(val)
			if !ok {
				return Errorf(CodeInvalidRequest, "method must be a string")
			}
			req.Method = s
		case "params":
			req.Params = val
		}
		p = skipWS(body, p)
		if body[p] == '}' {
			return nil
		}
		p = skipWS(body, p+1) // ','
	}
}

// jsonStringValue returns the Go string of a JSON string literal (unescaping only when
// needed); ok is false when v is not a string.
func jsonStringValue(v []byte) (string, bool) {
	if len(v) < 2 || v[0] != '"' {
		return "", false
	}
	inner := v[1 : len(v)-1]
	plain := true
	for _, c := range inner {
		if c == '\\' || c >= 0x80 {
			plain = false // escapes, or UTF-8 that encoding/json validates
			break
		}
	}
	if plain {
		return string(inner), true
	}
	var s string
	if err := json.Unmarshal(v, &s); err != nil {
		return "", false
	}
	return s, true
}

// The skip functions assume valid JSON (checked by json.Valid first).

func skipWS(b []byte, p int) int {
	for p < len(b) && (b[p] == ' ' || b[p] == '\t' || b[p] == '\n' || b[p] == '\r') {
		p++
	}
	return p
}

// skipString returns the index after the string starting at b[p] == '"'.
func skipString(b []byte, p int) int {
	for p++; p < len(b); p++ {
		switch b[p] {
		case '\\':
			p++
		case '"':
			return p + 1
		}
	}
	return p
}

// skipValue returns the index after the value starting at b[p].
func skipValue(b []byte, p int) int {
	switch b[p] {
	case '"':
		return skipString(b, p)
	case '{', '[':
		depth := 0
		for p < len(b) {
			switch b[p] {
			case '"':
				p = skipString(b, p)
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					return p + 1
				}
			}
			p++
		}
		return p
	}
	for p < len(b) {
		switch b[p] {
		case ',', '}', ']', ' ', '\t', '\n', '\r':
			return p
		}
		p++
	}
	return p
}
