//go:build !amd64 || purego

package miner

type niJob struct {
	abef, cdgh, w012 [4]uint32
	top              uint32
}

func scan2SHANI(*niJob, uint32, uint32) (uint32, bool) {
	panic("miner: no SHA-NI scanner on this platform")
}

func cpuHasSHANI() bool { return false }
