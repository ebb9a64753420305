package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"chainlab/address"
	"chainlab/genesis"
	"chainlab/rpc"
)

// TestMain lets the test binary act as the chainlab binary in a child process.
func TestMain(m *testing.M) {
	if os.Getenv("CHAINLAB_AS_BINARY") == "1" {
		os.Args = os.Args[1:] // drop the test binary's name: args start with "chainlab"
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

type proc struct {
	cmd  *exec.Cmd
	done chan error
	log  *strings.Builder
}

func startNodeProcess(t *testing.T, args ...string) *proc {
	t.Helper()
	cmd := exec.Command(os.Args[0], append([]string{"chainlab", "node"}, args...)...)
	cmd.Env = append(os.Environ(), "CHAINLAB_AS_BINARY=1")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, done: make(chan error, 1), log: &strings.Builder{}}
	logDone := make(chan struct{})
	go func() {
		defer close(logDone)
		sc := bufio.NewScanner(stderr)
		for sc.Scan() {
			p.log.WriteString(sc.Text() + "\n")
		}
		_, _ = io.Copy(io.Discard, stderr)
	}()
	go func() { <-logDone; p.done <- cmd.Wait() }()
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			<-p.done
		}
	})
	return p
}

func waitRPC(t *testing.T, url, cookie string) *rpc.Client {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		if _, err := os.Stat(cookie); err == nil {
			c, err := rpc.NewClient(url, rpc.WithCookieFile(cookie))
			if err == nil {
				if _, err := c.GetBlockCount(context.Background()); err == nil {
					return c
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("node RPC at %s never came up", url)
	return nil
}

// A real node process mines over RPC, shuts down cleanly on SIGTERM, and reopens its
// datadir at the same tip; a datadir of another genesis is refused with a clear error.
func TestNodeProcessSignalsAndRestart(t *testing.T) {
	dir := t.TempDir()
	gen := filepath.Join(dir, "genesis.json")
	p := genesis.PowDev()
	p.PoW.Algorithm = genesis.AlgoFixed
	p.PoW.InitialBits, p.PoW.PowLimitBits = 0x207fffff, 0x207fffff
	b, _ := p.Marshal()
	if err := os.WriteFile(gen, b, 0o644); err != nil {
		t.Fatal(err)
	}
	datadir := filepath.Join(dir, "node")
	rpcAddr := freePort(t)
	args := []string{"--datadir", datadir, "--genesis", gen, "--p2p-listen", freePort(t), "--rpc-listen", rpcAddr}
	n1 := startNodeProcess(t, args...)
	c := waitRPC(t, "http://"+rpcAddr+"/", filepath.Join(datadir, ".cookie"))
	addr := address.MustEncode(p.AddressPrefix, genesis.XOnly(genesis.DevKey("alloc", 0)))
	if _, err := c.GenerateToAddress(context.Background(), 25, addr); err != nil {
		t.Fatal(err)
	}
	best, err := c.GetBestBlockHash(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if err := n1.cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-n1.done:
		if err != nil {
			t.Fatalf("node exited with %v after SIGTERM\n%s", err, n1.log)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("node did not stop after SIGTERM")
	}
	if !strings.Contains(n1.log.String(), "node stopped") {
		t.Fatalf("no clean shutdown in the log:\n%s", n1.log)
	}

	n2 := startNodeProcess(t, args...)
	c = waitRPC(t, "http://"+rpcAddr+"/", filepath.Join(datadir, ".cookie"))
	got, err := c.GetBestBlockHash(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if got != best {
		t.Fatalf("restarted at %s, want %s", got, best)
	}
	if err := c.Stop(context.Background()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-n2.done:
	case <-time.After(20 * time.Second):
		t.Fatal("node did not stop on the stop RPC")
	}

	// the same datadir with another genesis is refused
	n3 := startNodeProcess(t, "--datadir", datadir, "--genesis", "pow-dev", "--p2p-listen", freePort(t), "--rpc-listen", freePort(t))
	select {
	case err := <-n3.done:
		if err == nil || !strings.Contains(n3.log.String(), "was created for genesis") {
			t.Fatalf("wrong-genesis start: err=%v\n%s", err, n3.log)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("node with a foreign datadir did not exit")
	}
	fmt.Fprint(io.Discard, n3.log.String())
}
