//go:build amd64 && !purego

package miner

import "golang.org/x/sys/cpu"

// niJob is the SHA-NI scanner's view of a header: the midstate in the ABEF/CDGH register
// layout, the first four message words of the header's second block (W3, the nonce, is
// replaced per lane) and the target's top 32 bits. The layout is read by sha256d_amd64.s.
type niJob struct {
	abef [4]uint32 // offset 0
	cdgh [4]uint32 // offset 16
	w012 [4]uint32 // offset 32
	top  uint32    // offset 48
	_    [3]uint32
}

// scan2SHANI hashes nonces start..start+count-1 (count even) two at a time and returns the
// offset of the first whose double-SHA-256 has its top 32 bits at most j.top, or count.
//
//go:noescape
func scan2SHANI(j *niJob, start, count uint32) (off uint32, found bool)

// cpuid7EBX returns EBX of CPUID leaf 7, sub-leaf 0 (bit 29: SHA extensions).
// golang.org/x/sys/cpu at the version in go.mod does not report SHA.
func cpuid7EBX() uint32

func cpuHasSHANI() bool {
	return cpu.X86.HasSSE41 && cpu.X86.HasSSSE3 && maxCPUIDLeaf() >= 7 && cpuid7EBX()&(1<<29) != 0
}

// maxCPUIDLeaf returns EAX of CPUID leaf 0.
func maxCPUIDLeaf() uint32
