package miner

//go:generate go run gen_shani.go

import (
	"crypto/sha256"
	"encoding/binary"
	"math/big"
	"sync"

	"chainlab/chain"
)

// work is one header prepared for the nonce loop: its 80 bytes, the midstate of the first
// 64 bytes in the SHA-NI layout, and the target. A work is owned by one goroutine.
type work struct {
	hdr    [chain.HeaderSize]byte
	ni     niJob
	target target256
}

// setHeader loads h (nonce ignored) and target; it computes the midstate, so call it only
// when the first 64 header bytes change (version, prev, most of the merkle root).
func (w *work) setHeader(h *chain.Header, target *big.Int) {
	h.AppendHeader80(w.hdr[:0])
	var mid = sha256IV
	sha256Block(&mid, (*[64]byte)(w.hdr[:64]))
	// ABEF = {F, E, B, A}, CDGH = {H, G, D, C}, low dword first.
	w.ni.abef = [4]uint32{mid[5], mid[4], mid[1], mid[0]}
	w.ni.cdgh = [4]uint32{mid[7], mid[6], mid[3], mid[2]}
	w.ni.w012 = [4]uint32{
		binary.BigEndian.Uint32(w.hdr[64:]),
		binary.BigEndian.Uint32(w.hdr[68:]),
		binary.BigEndian.Uint32(w.hdr[72:]),
	}
	w.target = newTarget256(target)
	w.ni.top = w.target.top32()
}

// setTime rewrites the header timestamp; it lives in the second block, so the midstate
// stays valid.
func (w *work) setTime(t uint32) {
	binary.LittleEndian.PutUint32(w.hdr[68:], t)
	w.ni.w012[1] = binary.BigEndian.Uint32(w.hdr[68:])
}

// hashNonce returns the block hash of the header with nonce n (standard library).
func (w *work) hashNonce(n uint32) chain.Hash {
	binary.LittleEndian.PutUint32(w.hdr[76:], n)
	first := sha256.Sum256(w.hdr[:])
	return chain.Hash(sha256.Sum256(first[:]))
}

// hasher runs the nonce loop on the SHA-NI scanner or, when the CPU lacks SHA-NI or the
// scanner failed its self-test, on the standard library.
type hasher struct {
	shani bool
}

// shaniOK runs the SHA-NI self-test once per process: it is a fact about the CPU and the
// code, not configuration.
var shaniOK = sync.OnceValue(func() bool { return cpuHasSHANI() && shaniSelfTest(scan2SHANI) })

// newHasher returns the fastest hasher that passed its self-test.
func newHasher() *hasher { return &hasher{shani: shaniOK()} }

func (h *hasher) name() string {
	if h.shani {
		return "sha-ni"
	}
	return "stdlib"
}

// scan tries nonces start, start+1, ... (count of them; start+count must not pass 2^32) and
// returns the first whose hash meets w's target, and how many nonces it tried.
func (h *hasher) scan(w *work, start, count uint32) (nonce uint32, found bool, tried uint32) {
	var off uint32
	if h.shani {
		for count-off >= 2 {
			n := (count - off) &^ 1
			o, ok := scan2SHANI(&w.ni, start+off, n)
			if !ok {
				off += n
				break
			}
			cand := start + off + o
			off += o + 1
			if hash := w.hashNonce(cand); w.target.meets(&hash) {
				return cand, true, off
			}
		}
	}
	for ; off < count; off++ {
		n := start + off
		if hash := w.hashNonce(n); w.target.meets(&hash) {
			return n, true, off + 1
		}
	}
	return 0, false, count
}

// shaniSelfTest checks the SHA-NI scanner against crypto/sha256: for several headers and
// nonce ranges (including the top of the nonce space) it must report exactly the first
// nonce whose hash's top 32 bits are at most a threshold, for thresholds taken from the
// hashes themselves. Any error in the compression shows up as a wrong top word.
func shaniSelfTest(scan func(j *niJob, start, count uint32) (uint32, bool)) bool {
	const n = 64
	seed := sha256.Sum256([]byte("chainlab/miner/self-test"))
	for i := 0; i < 6; i++ {
		var w work
		hd := chain.Header{Version: uint32(i), Time: 1_700_000_000 + uint32(i), Bits: 0x207fffff}
		seed = sha256.Sum256(seed[:])
		copy(hd.Prev[:], seed[:])
		seed = sha256.Sum256(seed[:])
		copy(hd.MerkleRoot[:], seed[:])
		lim, _ := CompactToBig(0x207fffff)
		w.setHeader(&hd, lim)
		start := binary.LittleEndian.Uint32(seed[:])
		if i == 0 {
			start = 0xffffffff - n + 1
		}
		var tops [n]uint32
		for j := range tops {
			hash := w.hashNonce(start + uint32(j))
			tops[j] = binary.LittleEndian.Uint32(hash[28:])
		}
		for _, k := range []int{0, 1, 2, 7, 31, 40, 62, 63} {
			w.ni.top = tops[k]
			want := uint32(n)
			for j := range tops {
				if tops[j] <= tops[k] {
					want = uint32(j)
					break
				}
			}
			off, ok := scan(&w.ni, start, n)
			if off != want || ok != (want < n) {
				return false
			}
		}
		w.ni.top = 0
		off, ok := scan(&w.ni, start, n)
		for j := range tops {
			if tops[j] == 0 {
				return ok && off == uint32(j)
			}
		}
		if ok || off != n {
			return false
		}
	}
	return true
}
