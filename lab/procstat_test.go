package lab

import (
	"os"
	"testing"
)

func TestParseStat(t *testing.T) {
	line := "1234 (my (odd) cmd) S 1 1234 1234 0 -1 4194560 500 0 0 0 250 130 0 0 20 0 8 0 100 1000000 500 18446744073709551615"
	cpu, err := parseStatCPU(line)
	if err != nil || cpu != 3.8 {
		t.Fatalf("cpu %v %v", cpu, err)
	}
	if rss := parseStatusRSS("Name:\tx\nVmRSS:\t  2048 kB\n"); rss != 2048*1024 {
		t.Fatal(rss)
	}
	ps, err := ReadProcStat(os.Getpid())
	if err != nil || ps.RSS == 0 {
		t.Fatalf("self: %+v %v", ps, err)
	}
}
