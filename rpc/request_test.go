package rpc

import (
	"encoding/json"
	"testing"
)

func FuzzParseRequest(f *testing.F) {
	for _, s := range []string{
		`{"jsonrpc":"2.0","id":1,"method":"getblockcount","params":[]}`,
		`{"id":"x","method":"getblock","params":{"blockhash":"00","verbosity":2}}`,
		`{"method":"a\"b","params":[1,[2,{"3":"}"}]]}`, `[]`, `{}`, `{"id":null}`, `"x"`, `{"method":1}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		var req request
		if e := parseRequest(b, &req); e != nil {
			if e != errParse && !json.Valid(b) {
				t.Fatalf("invalid JSON %q not reported as a parse error: %v", b, e)
			}
			return
		}
		// Whatever we extracted must itself be valid JSON, and the method must agree with
		// encoding/json's reading when the keys are unambiguous.
		for _, v := range [][]byte{req.ID, req.Params} {
			if len(v) > 0 && !json.Valid(v) {
				t.Fatalf("extracted %q from %q", v, b)
			}
		}
		var std struct {
			Method *string `json:"method"`
		}
		if json.Unmarshal(b, &std) == nil && std.Method != nil && *std.Method != req.Method && !hasCaseVariantKey(b) {
			t.Fatalf("method %q, encoding/json says %q (%q)", req.Method, *std.Method, b)
		}
	})
}

// hasCaseVariantKey reports a top-level key that matches "method" only case-insensitively
// (encoding/json folds case; JSON-RPC and Bitcoin Core do not).
func hasCaseVariantKey(b []byte) bool {
	var m map[string]json.RawMessage
	if json.Unmarshal(b, &m) != nil {
		return true
	}
	for k := range m {
		if k != "method" && len(k) == 6 && (k[0]|0x20) == 'm' {
			return true
		}
	}
	return false
}
