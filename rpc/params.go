package rpc

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"math"
	"strconv"

	"chainlab/chain"
)

// params holds the positional parameters of a call (named parameters are mapped to
// positions by parseParams). A missing or JSON-null parameter reads as absent.
type params struct {
	m   *method
	pos []json.RawMessage
}

var jsonNull = []byte("null")

func parseParams(m *method, raw json.RawMessage) (params, *Error) {
	p := params{m: m}
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || bytes.Equal(raw, jsonNull) {
		// no params
	} else if raw[0] == '[' {
		if err := json.Unmarshal(raw, &p.pos); err != nil {
			return p, Errorf(CodeInvalidRequest, "params: %v", err)
		}
		if len(p.pos) > len(m.args) {
			return p, Errorf(CodeInvalidParams, "%s takes at most %d parameters, got %d (usage: %s)",
				m.name, len(m.args), len(p.pos), m.usage())
		}
	} else if raw[0] == '{' {
		var named map[string]json.RawMessage
		if err := json.Unmarshal(raw, &named); err != nil {
			return p, Errorf(CodeInvalidRequest, "params: %v", err)
		}
		n := 0
		for k := range named {
			i := m.argIndex(k)
			if i < 0 {
				return p, Errorf(CodeInvalidParameter, "Unknown named parameter %s", k)
			}
			n = max(n, i+1)
		}
		p.pos = make([]json.RawMessage, n)
		for k, v := range named {
			p.pos[m.argIndex(k)] = v
		}
	} else {
		return p, Errorf(CodeInvalidRequest, "Params must be an array or object")
	}
	for i := 0; i < m.required; i++ {
		if !p.has(i) {
			return p, Errorf(CodeInvalidParams, "%s: missing required parameter %q (usage: %s)", m.name, m.args[i], m.usage())
		}
	}
	return p, nil
}

func (m *method) argIndex(name string) int {
	for i, a := range m.args {
		if a == name {
			return i
		}
	}
	return -1
}

func (m *method) usage() string {
	s := m.name
	for i, a := range m.args {
		if i < m.required {
			s += " " + a
		} else {
			s += " [" + a + "]"
		}
	}
	return s
}

func (p *params) has(i int) bool {
	return i < len(p.pos) && len(p.pos[i]) > 0 && !bytes.Equal(p.pos[i], jsonNull)
}

func (p *params) typeErr(i int, want string) *Error {
	return Errorf(CodeType, "parameter %d (%s) of %s: expected %s, got %s", i+1, p.m.args[i], p.m.name, want, jsonKind(p.pos[i]))
}

func jsonKind(b []byte) string {
	if len(b) == 0 {
		return "nothing"
	}
	switch b[0] {
	case '"':
		return "string"
	case '{':
		return "object"
	case '[':
		return "array"
	case 't', 'f':
		return "bool"
	case 'n':
		return "null"
	}
	return "number"
}

// Uint reads a non-negative integer parameter (def if absent).
func (p *params) Uint(i int, def uint64) (uint64, error) {
	if !p.has(i) {
		return def, nil
	}
	b := p.pos[i]
	if b[0] == '"' || b[0] == '{' || b[0] == '[' || b[0] == 't' || b[0] == 'f' {
		return 0, p.typeErr(i, "number")
	}
	v, err := strconv.ParseUint(string(b), 10, 64)
	if err != nil {
		if f, ferr := strconv.ParseFloat(string(b), 64); ferr == nil {
			if f < 0 {
				return 0, Errorf(CodeInvalidParameter, "%s: %s out of range: %s", p.m.name, p.m.args[i], b)
			}
			if f == math.Trunc(f) && f < 1<<63 {
				return uint64(f), nil
			}
		}
		return 0, Errorf(CodeInvalidParameter, "%s: %s must be a non-negative integer, got %s", p.m.name, p.m.args[i], b)
	}
	return v, nil
}

// Int reads an integer parameter.
func (p *params) Int(i int, def int64) (int64, error) {
	if !p.has(i) {
		return def, nil
	}
	b := p.pos[i]
	if b[0] == '"' || b[0] == '{' || b[0] == '[' || b[0] == 't' || b[0] == 'f' {
		return 0, p.typeErr(i, "number")
	}
	v, err := strconv.ParseInt(string(b), 10, 64)
	if err != nil {
		return 0, Errorf(CodeInvalidParameter, "%s: %s must be an integer, got %s", p.m.name, p.m.args[i], b)
	}
	return v, nil
}

// Float reads a number parameter.
func (p *params) Float(i int, def float64) (float64, error) {
	if !p.has(i) {
		return def, nil
	}
	b := p.pos[i]
	if b[0] == '"' || b[0] == '{' || b[0] == '[' || b[0] == 't' || b[0] == 'f' {
		return 0, p.typeErr(i, "number")
	}
	v, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, Errorf(CodeInvalidParameter, "%s: %s must be a number, got %s", p.m.name, p.m.args[i], b)
	}
	return v, nil
}

// Bool reads a boolean; like Bitcoin Core it also accepts 0/1 for verbose flags.
func (p *params) Bool(i int, def bool) (bool, error) {
	if !p.has(i) {
		return def, nil
	}
	switch string(p.pos[i]) {
	case "true", "1":
		return true, nil
	case "false", "0":
		return false, nil
	}
	return false, p.typeErr(i, "bool")
}

// String reads a string parameter.
func (p *params) String(i int, def string) (string, error) {
	if !p.has(i) {
		return def, nil
	}
	if p.pos[i][0] != '"' {
		return "", p.typeErr(i, "string")
	}
	var s string
	if err := json.Unmarshal(p.pos[i], &s); err != nil {
		return "", p.typeErr(i, "string")
	}
	return s, nil
}

// Strings reads an array of strings.
func (p *params) Strings(i int) ([]string, error) {
	if !p.has(i) {
		return nil, nil
	}
	if p.pos[i][0] != '[' {
		return nil, p.typeErr(i, "array")
	}
	var s []string
	if err := json.Unmarshal(p.pos[i], &s); err != nil {
		return nil, Errorf(CodeType, "parameter %d (%s) of %s: expected an array of strings", i+1, p.m.args[i], p.m.name)
	}
	return s, nil
}

// Hash reads a 64-hex-character hash in display order (-8 if malformed, as Core).
func (p *params) Hash(i int) (chain.Hash, error) {
	s, err := p.String(i, "")
	if err != nil {
		return chain.Hash{}, err
	}
	h, herr := chain.ParseHash(s)
	if herr != nil {
		return h, Errorf(CodeInvalidParameter, "%s must be of length 64 (not %d, for '%s') and hexadecimal", p.m.args[i], len(s), s)
	}
	return h, nil
}

// Hex reads a hex string.
func (p *params) Hex(i int) ([]byte, error) {
	s, err := p.String(i, "")
	if err != nil {
		return nil, err
	}
	b, herr := hex.DecodeString(s)
	if herr != nil {
		return nil, Errorf(CodeDeserialization, "%s: %s is not hex: %v", p.m.name, p.m.args[i], herr)
	}
	return b, nil
}

// Object decodes an object parameter into v.
func (p *params) Object(i int, v any) error {
	if !p.has(i) {
		return nil
	}
	if p.pos[i][0] != '{' {
		return p.typeErr(i, "object")
	}
	dec := json.NewDecoder(bytes.NewReader(p.pos[i]))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return Errorf(CodeInvalidParameter, "%s: %s: %v", p.m.name, p.m.args[i], err)
	}
	return nil
}
