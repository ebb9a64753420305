package miner

import (
	"bufio"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"math/big"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"chainlab/chain"
)

type powVectors struct {
	Headers []struct {
		Name       string `json:"name"`
		Version    uint32 `json:"version"`
		PrevBlock  string `json:"prev_block"`
		MerkleRoot string `json:"merkle_root"`
		Time       uint32 `json:"time"`
		Bits       string `json:"bits"`
		Nonce      uint32 `json:"nonce"`
		HeaderHex  string `json:"header_hex"`
		Hash       string `json:"hash"`
	} `json:"headers"`
	Targets    map[string]any `json:"targets"`
	CompactSet struct {
		Cases []struct {
			Bits       string `json:"bits"`
			Target     string `json:"target"`
			Negative   bool   `json:"negative"`
			Overflow   bool   `json:"overflow"`
			GetCompact string `json:"get_compact"`
		} `json:"cases"`
		GetCompactExtra []struct {
			Target     string `json:"target"`
			GetCompact string `json:"get_compact"`
		} `json:"get_compact_extra"`
	} `json:"compact_set"`
	Retarget struct {
		Cases []struct {
			Name         string `json:"name"`
			LastHeight   uint64 `json:"last_height"`
			FirstTime    int64  `json:"first_time"`
			LastTime     int64  `json:"last_time"`
			LastBits     string `json:"last_bits"`
			ExpectedBits string `json:"expected_bits"`
			NotPermitted string `json:"not_permitted_bits"`
		} `json:"cases"`
	} `json:"retarget"`
	MustFail struct {
		Cases []struct {
			Name string `json:"name"`
		} `json:"cases"`
	} `json:"check_proof_of_work_must_fail"`
}

func loadPowVectors(t *testing.T) *powVectors {
	t.Helper()
	b, err := os.ReadFile("testdata/pow_vectors.json")
	if err != nil {
		t.Fatal(err)
	}
	var v powVectors
	if err := json.Unmarshal(b, &v); err != nil {
		t.Fatal(err)
	}
	return &v
}

func hexU32(t *testing.T, s string) uint32 {
	t.Helper()
	v, err := strconv.ParseUint(strings.TrimPrefix(s, "0x"), 16, 32)
	if err != nil {
		t.Fatalf("bad hex %q: %v", s, err)
	}
	return uint32(v)
}

func hexBig(t *testing.T, s string) *big.Int {
	t.Helper()
	n, ok := new(big.Int).SetString(s, 16)
	if !ok {
		t.Fatalf("bad hex %q", s)
	}
	return n
}

var mainnetPowLimit = func() *big.Int {
	n, _ := new(big.Int).SetString("00000000ffffffffffffffffffffffffffffffffffffffffffffffffffffffff", 16)
	return n
}()

func TestVectorHeaders(t *testing.T) {
	v := loadPowVectors(t)
	if len(v.Headers) < 4 {
		t.Fatalf("only %d header vectors", len(v.Headers))
	}
	for _, c := range v.Headers {
		var hd chain.Header
		hd.Version = c.Version
		prev, err := chain.ParseHash(c.PrevBlock)
		if err != nil {
			t.Fatal(err)
		}
		root, err := chain.ParseHash(c.MerkleRoot)
		if err != nil {
			t.Fatal(err)
		}
		hd.Prev, hd.MerkleRoot, hd.Time, hd.Bits, hd.Nonce = prev, root, c.Time, hexU32(t, c.Bits), c.Nonce
		if c.HeaderHex != "" {
			if got := hex.EncodeToString(hd.AppendHeader80(nil)); got != c.HeaderHex {
				t.Fatalf("%s: header bytes\n got %s\nwant %s", c.Name, got, c.HeaderHex)
			}
		}
		if got := hd.Hash().String(); got != c.Hash {
			t.Fatalf("%s: chain hash %s, want %s", c.Name, got, c.Hash)
		}
		// Both hashing paths must find the real nonce with the hash itself as target, and
		// miss it with target hash-1.
		for _, hs := range testHashers() {
			var w work
			exact := HashToBig(hd.Hash())
			w.setHeader(&hd, exact)
			n, ok, _ := hs.scan(&w, c.Nonce-1, 4)
			if !ok || (n != c.Nonce && hd.Bits != 0x207fffff) {
				t.Fatalf("%s: %s scan found=%v nonce %d, want %d", c.Name, hs.name(), ok, n, c.Nonce)
			}
			w.setHeader(&hd, exact.Sub(exact, big.NewInt(1)))
			if n, ok, _ := hs.scan(&w, c.Nonce-1, 2); ok && n == c.Nonce {
				t.Fatalf("%s: %s scan accepted a hash above target", c.Name, hs.name())
			}
		}
		limit := mainnetPowLimit
		if hd.Bits == 0x207fffff {
			limit, _ = CompactToBig(0x207fffff)
		}
		if err := CheckProofOfWork(hd.Hash(), hd.Bits, limit); err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
	}
}

func TestVectorTargets(t *testing.T) {
	v := loadPowVectors(t)
	tg := func(bits uint32) string {
		n, _ := CompactToBig(bits)
		return fmt.Sprintf("%064x", n)
	}
	if got := tg(0x1d00ffff); got != v.Targets["bits_0x1d00ffff_target"] {
		t.Fatalf("0x1d00ffff target %s", got)
	}
	if got := tg(0x207fffff); got != v.Targets["bits_0x207fffff_target"] {
		t.Fatalf("0x207fffff target %s", got)
	}
	if got := fmt.Sprintf("%064x", mainnetPowLimit); got != v.Targets["mainnet_powLimit"] {
		t.Fatalf("pow limit %s", got)
	}
	if got := fmt.Sprintf("0x%08x", BigToCompact(mainnetPowLimit)); got != v.Targets["mainnet_powLimit_compact"] {
		t.Fatalf("pow limit compact %s", got)
	}
	work := v.Targets["bits_0x1d00ffff_work_2^256/(target+1)"].(float64)
	if got := chain.Work(0x1d00ffff); got.Int64() != int64(work) {
		t.Fatalf("work %v, want %v", got, work)
	}
}

func TestVectorCompact(t *testing.T) {
	v := loadPowVectors(t)
	if len(v.CompactSet.Cases) < 20 {
		t.Fatalf("only %d compact cases", len(v.CompactSet.Cases))
	}
	for _, c := range v.CompactSet.Cases {
		bits := hexU32(t, c.Bits)
		n, bad := CompactToBig(bits)
		neg := bits&0x00800000 != 0 && n.Sign() != 0
		if c.Overflow {
			if !bad {
				t.Fatalf("%s: overflow not reported", c.Bits)
			}
			continue
		}
		if neg != c.Negative || bad != c.Negative {
			t.Fatalf("%s: negative=%v bad=%v, want %v", c.Bits, neg, bad, c.Negative)
		}
		if got := n.Text(16); got != c.Target {
			t.Fatalf("%s: target %s, want %s", c.Bits, got, c.Target)
		}
		signed := new(big.Int).Set(n)
		if neg {
			signed.Neg(signed)
		}
		if got := BigToCompact(signed); got != hexU32(t, c.GetCompact) {
			t.Fatalf("%s: GetCompact 0x%08x, want %s", c.Bits, got, c.GetCompact)
		}
	}
	for _, c := range v.CompactSet.GetCompactExtra {
		if got := BigToCompact(hexBig(t, c.Target)); got != hexU32(t, c.GetCompact) {
			t.Fatalf("GetCompact(%s) = 0x%08x, want %s", c.Target, got, c.GetCompact)
		}
	}
	if got := BigToCompact(big.NewInt(-1)); got != 0x01810000 {
		t.Fatalf("BigToCompact(-1) = 0x%08x", got)
	}
	if n, _ := CompactToBig(0x00989680); n.Sign() != 0 {
		t.Fatal("CompactToBig(10000000) != 0")
	}
	if chain.Work(10000000).Sign() != 0 {
		t.Fatal("CalcWork(10000000) != 0")
	}
}

func TestVectorRetarget(t *testing.T) {
	v := loadPowVectors(t)
	if len(v.Retarget.Cases) != 4 {
		t.Fatalf("%d retarget cases", len(v.Retarget.Cases))
	}
	for _, c := range v.Retarget.Cases {
		got := CalcRetarget(hexU32(t, c.LastBits), c.FirstTime, c.LastTime, 2016*600, mainnetPowLimit)
		if got != hexU32(t, c.ExpectedBits) {
			t.Fatalf("%s: 0x%08x, want %s", c.Name, got, c.ExpectedBits)
		}
		if c.NotPermitted != "" && got == hexU32(t, c.NotPermitted) {
			t.Fatalf("%s: got the not-permitted bits", c.Name)
		}
	}
}

func TestVectorCheckProofOfWorkMustFail(t *testing.T) {
	v := loadPowVectors(t)
	limitBits := BigToCompact(mainnetPowLimit)
	one := chain.Hash{1}
	var twiceLimit chain.Hash
	dbl := new(big.Int).Lsh(mainnetPowLimit, 1)
	be := dbl.FillBytes(make([]byte, 32))
	for i := range twiceLimit {
		twiceLimit[i] = be[31-i]
	}
	cases := map[string]struct {
		bits uint32
		hash chain.Hash
		kind chain.ErrorKind
	}{
		"negative_target":         {0x1d80ffff, one, chain.ErrBadBits},
		"overflow_target":         {^uint32(0x00800000), one, chain.ErrBadBits},
		"too_easy_target":         {BigToCompact(dbl), one, chain.ErrBadPowLimit},
		"bigger_hash_than_target": {limitBits, twiceLimit, chain.ErrHighHash},
		"zero_target":             {0, chain.Hash{}, chain.ErrBadBits},
	}
	if len(v.MustFail.Cases) != len(cases) {
		t.Fatalf("%d must-fail cases in the vectors, %d here", len(v.MustFail.Cases), len(cases))
	}
	for _, vc := range v.MustFail.Cases {
		c, ok := cases[vc.Name]
		if !ok {
			t.Fatalf("unknown must-fail case %q", vc.Name)
		}
		err := CheckProofOfWork(c.hash, c.bits, mainnetPowLimit)
		if !errors.Is(err, c.kind) {
			t.Fatalf("%s: got %v, want %s", vc.Name, err, c.kind)
		}
	}
}

// TestVectorASERT runs all rows of the official aserti3-2d vectors (run01..run12).
func TestVectorASERT(t *testing.T) {
	files, err := filepath.Glob("testdata/asert/run*")
	if err != nil || len(files) != 12 {
		t.Fatalf("asert vectors: %v (%d files)", err, len(files))
	}
	limit, _ := CompactToBig(0x1d00ffff)
	rows := 0
	for _, f := range files {
		rows += runASERTFile(t, f, limit)
	}
	if rows != 14000 {
		t.Fatalf("%d asert rows, want 14000", rows)
	}
}

func runASERTFile(t *testing.T, path string, limit *big.Int) int {
	fh, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer fh.Close()
	var anchorHeight uint64
	var anchorParentTime int64
	var anchorTarget *big.Int
	rows := 0
	sc := bufio.NewScanner(fh)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "":
			continue
		case strings.HasPrefix(line, "##"):
			kv := strings.SplitN(strings.TrimPrefix(line, "##"), ":", 2)
			if len(kv) != 2 {
				continue
			}
			key, val := strings.TrimSpace(kv[0]), strings.TrimSpace(kv[1])
			switch key {
			case "anchor height":
				anchorHeight, err = strconv.ParseUint(val, 10, 64)
			case "anchor ancestor time", "anchor parent time":
				anchorParentTime, err = strconv.ParseInt(val, 10, 64)
			case "anchor nBits":
				anchorTarget, _ = CompactToBig(hexU32(t, val))
			}
			if err != nil {
				t.Fatalf("%s: %q: %v", path, line, err)
			}
			continue
		case strings.HasPrefix(line, "#"):
			continue
		}
		f := strings.Fields(line)
		if len(f) != 4 || anchorTarget == nil {
			t.Fatalf("%s: bad row %q", path, line)
		}
		height, err1 := strconv.ParseUint(f[1], 10, 64)
		tm, err2 := strconv.ParseInt(f[2], 10, 64)
		if err1 != nil || err2 != nil {
			t.Fatalf("%s: bad row %q", path, line)
		}
		want := hexU32(t, f[3])
		got := ASERTBits(anchorTarget, tm-anchorParentTime, int64(height-anchorHeight), 600, 172800, limit)
		if got != want {
			t.Fatalf("%s row %s: 0x%08x, want 0x%08x", path, f[0], got, want)
		}
		rows++
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return rows
}
