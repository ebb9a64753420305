package miner

import (
	"crypto/sha256"
	"encoding/binary"
	"math/big"
	"testing"

	"chainlab/chain"
)

// testHashers returns the standard-library path and, when the CPU has it, the SHA-NI path.
func testHashers() []*hasher {
	hs := []*hasher{{shani: false}}
	if shaniOK() {
		hs = append(hs, &hasher{shani: true})
	}
	return hs
}

func TestSHANISelfTest(t *testing.T) {
	if !cpuHasSHANI() {
		t.Skip("CPU has no SHA-NI")
	}
	if !shaniSelfTest(scan2SHANI) {
		t.Fatal("SHA-NI scanner disagrees with crypto/sha256")
	}
	// The self-test must catch a scanner that is subtly wrong: a one-bit error in the
	// midstate, an off-by-one in the reported nonce, a scanner that never reports.
	broken := map[string]func(j *niJob, start, count uint32) (uint32, bool){
		"midstate bit flip": func(j *niJob, start, count uint32) (uint32, bool) {
			c := *j
			c.abef[2] ^= 1 << 7
			return scan2SHANI(&c, start, count)
		},
		"off by one": func(j *niJob, start, count uint32) (uint32, bool) {
			off, ok := scan2SHANI(j, start, count)
			if ok && off > 0 {
				off--
			}
			return off, ok
		},
		"never finds": func(j *niJob, start, count uint32) (uint32, bool) { return count, false },
	}
	for name, scan := range broken {
		if shaniSelfTest(scan) {
			t.Fatalf("self-test passed a broken scanner (%s)", name)
		}
	}
	if newHasher().name() != "sha-ni" {
		t.Fatal("hasher did not pick SHA-NI")
	}
}

func TestSHA256BlockMatchesStdlib(t *testing.T) {
	var p [64]byte
	for i := range p {
		p[i] = byte(i * 7)
	}
	h := sha256IV
	sha256Block(&h, &p)
	// A second block with the padding of a 64-byte message.
	var pad [64]byte
	pad[0] = 0x80
	binary.BigEndian.PutUint64(pad[56:], 512)
	sha256Block(&h, &pad)
	want := sha256.Sum256(p[:])
	for i := 0; i < 8; i++ {
		if binary.BigEndian.Uint32(want[4*i:]) != h[i] {
			t.Fatalf("word %d differs", i)
		}
	}
}

// TestScanAgreesWithReference compares every path's scan with a plain loop over many
// random-ish headers and targets, including ranges that end at nonce 2^32-1 and odd counts.
func TestScanAgreesWithReference(t *testing.T) {
	seed := sha256.Sum256([]byte("scan"))
	for i := 0; i < 40; i++ {
		seed = sha256.Sum256(seed[:])
		hd := chain.Header{Version: 1, Time: binary.LittleEndian.Uint32(seed[:]), Bits: 0x207fffff}
		copy(hd.MerkleRoot[:], seed[:])
		// Targets from "everything" down to roughly 1 in 256.
		target := new(big.Int).Rsh(new(big.Int).Lsh(big.NewInt(1), 256), uint(i%9))
		target.Sub(target, big.NewInt(1))
		start := binary.LittleEndian.Uint32(seed[8:])
		count := uint32(1 + i*13%300)
		if i%5 == 0 {
			start = ^uint32(0) - count + 1
		}
		var ref work
		ref.setHeader(&hd, target)
		wantN, wantOK, wantTried := uint32(0), false, count
		for j := uint32(0); j < count; j++ {
			h := ref.hashNonce(start + j)
			if HashToBig(h).Cmp(target) <= 0 {
				wantN, wantOK, wantTried = start+j, true, j+1
				break
			}
		}
		for _, hs := range testHashers() {
			var w work
			w.setHeader(&hd, target)
			n, ok, tried := hs.scan(&w, start, count)
			if n != wantN || ok != wantOK || tried != wantTried {
				t.Fatalf("case %d %s: (%d,%v,%d), want (%d,%v,%d)", i, hs.name(), n, ok, tried, wantN, wantOK, wantTried)
			}
		}
	}
}

func TestScanTimeUpdateKeepsMidstate(t *testing.T) {
	hd := chain.Header{Version: 2, Time: 1000, Bits: 0x1d00ffff}
	target := new(big.Int).Lsh(big.NewInt(1), 250)
	for _, hs := range testHashers() {
		var w work
		w.setHeader(&hd, target)
		w.setTime(5000)
		hd2 := hd
		hd2.Time = 5000
		n, ok, _ := hs.scan(&w, 0, 1<<12)
		if !ok {
			t.Fatalf("%s: no hash below 2^250 in 4096 nonces", hs.name())
		}
		hd2.Nonce = n
		if HashToBig(hd2.Hash()).Cmp(target) > 0 {
			t.Fatalf("%s: nonce %d does not satisfy the target with the new time", hs.name(), n)
		}
	}
}

func TestScanDoesNotAllocate(t *testing.T) {
	hd := chain.Header{Version: 1, Bits: 0x1d00ffff}
	var w work
	w.setHeader(&hd, big.NewInt(1))
	for _, hs := range testHashers() {
		allocs := testing.AllocsPerRun(10, func() { hs.scan(&w, 0, 1000) })
		if allocs != 0 {
			t.Fatalf("%s: %v allocations per scan", hs.name(), allocs)
		}
	}
}
