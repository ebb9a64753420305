package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/urfave/cli/v2"

	"chainlab/chain"
	"chainlab/chain/chaintest"
	"chainlab/rpc"
)

func TestRPCCommand(t *testing.T) {
	ch, _ := chaintest.NewMemChain(t, nil)
	pool, err := chain.NewMempool(chain.MempoolConfig{Chain: ch})
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	srv, err := rpc.New(rpc.Config{Chain: ch, Mempool: pool, CookiePath: filepath.Join(dir, ".cookie")})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	run := func(args ...string) (string, string, error) {
		app := newApp()
		var out, errw bytes.Buffer
		app.Writer, app.ErrWriter = &out, &errw
		app.ExitErrHandler = func(*cli.Context, error) {}
		err := app.Run(append([]string{"chainlab", "rpc", "--rpc-connect", srv.Addr().String(), "--datadir", dir}, args...))
		return out.String(), errw.String(), err
	}
	gh := ch.GenesisHash().String()
	if out, _, err := run("getblockhash", "0"); err != nil || out != gh+"\n" {
		t.Errorf("getblockhash 0: %q %v", out, err)
	}
	// A hash argument stays a string even when it looks like a number.
	if out, _, err := run("getblockheader", gh, "false"); err != nil || len(strings.TrimSpace(out)) != 160 {
		t.Errorf("getblockheader false: %q %v", out, err)
	}
	if out, _, err := run("getblock", gh); err != nil || !strings.Contains(out, `"height": 0`) {
		t.Errorf("getblock: %q %v", out, err)
	}
	if out, _, err := run("-named", "getblock", "blockhash="+gh, "verbosity=1"); err != nil || !strings.Contains(out, `"nTx": 1`) {
		t.Errorf("-named getblock: %q %v", out, err)
	}
	if _, errOut, err := run("getblockhash", "5"); err == nil || errOut != "error code: -8\nerror message:\nBlock height out of range\n" {
		t.Errorf("error output: %q %v", errOut, err)
	}
	app := newApp()
	app.Writer = &bytes.Buffer{}
	app.ErrWriter = &bytes.Buffer{}
	app.ExitErrHandler = func(*cli.Context, error) {}
	if err := app.Run([]string{"chainlab", "rpc", "--rpc-connect", srv.Addr().String(), "--rpc-user", "x", "--rpc-password", "y", "getblockcount"}); err == nil || !strings.Contains(err.Error(), "unauthorized") {
		t.Errorf("bad credentials: %v", err)
	}
}
