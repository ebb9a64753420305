package lab

import (
	"fmt"
	"os"
	"strconv"
	"strings"
)

// clockTicks is USER_HZ, the unit of utime/stime in /proc/<pid>/stat. It is 100 on every
// Linux architecture Go supports (the kernel ABI fixes it regardless of CONFIG_HZ).
const clockTicks = 100

// ProcStat is a process's CPU time and resident memory.
type ProcStat struct {
	CPUSeconds float64 // user + system
	RSS        uint64  // bytes
}

// ReadProcStat reads /proc/<pid>/stat and /proc/<pid>/status.
func ReadProcStat(pid int) (ProcStat, error) {
	var ps ProcStat
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return ps, err
	}
	cpu, err := parseStatCPU(string(b))
	if err != nil {
		return ps, fmt.Errorf("/proc/%d/stat: %w", pid, err)
	}
	ps.CPUSeconds = cpu
	if b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid)); err == nil {
		ps.RSS = parseStatusRSS(string(b))
	}
	return ps, nil
}

// parseStatCPU returns utime+stime in seconds from a /proc/<pid>/stat line. The command
// name (field 2) may contain spaces and parentheses, so fields are counted after the
// last ')'.
func parseStatCPU(s string) (float64, error) {
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, fmt.Errorf("no command field")
	}
	f := strings.Fields(s[i+1:])
	// After ')': state(3) ppid(4) ... utime is field 14, stime 15 → indices 11, 12.
	if len(f) < 13 {
		return 0, fmt.Errorf("%d fields", len(f))
	}
	ut, err1 := strconv.ParseUint(f[11], 10, 64)
	st, err2 := strconv.ParseUint(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, fmt.Errorf("bad utime/stime %q %q", f[11], f[12])
	}
	return float64(ut+st) / clockTicks, nil
}

func parseStatusRSS(s string) uint64 {
	for _, line := range strings.Split(s, "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) >= 1 {
				kb, _ := strconv.ParseUint(f[0], 10, 64)
				return kb * 1024
			}
		}
	}
	return 0
}
