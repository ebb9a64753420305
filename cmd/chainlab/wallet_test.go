package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"chainlab/genesis"
	"chainlab/node"
	"chainlab/wallet"
)

// runWallet runs `chainlab wallet <args...>` in-process and returns its output.
func runWallet(t *testing.T, args ...string) (string, error) {
	t.Helper()
	app := newApp()
	var out bytes.Buffer
	app.Writer, app.ErrWriter = &out, &out
	err := app.Run(append([]string{"chainlab", "wallet"}, args...))
	return out.String(), err
}

// TestWalletCLI drives the wallet command against a real PoW node over RPC: create, list,
// addresses, a wrong password, mining, maturity, send, balances, history and --json output.
func TestWalletCLI(t *testing.T) {
	p := genesis.PowDev()
	n, err := node.New(node.Config{DataDir: filepath.Join(t.TempDir(), "node"), Params: p})
	if err != nil {
		t.Fatal(err)
	}
	if err := n.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Stop() })
	dir := filepath.Join(t.TempDir(), "wallets")
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("hunter2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv(envWalletPassword, "")
	os.Unsetenv(envWalletPassword)
	// common puts the global flags after the subcommand and before its own flags and
	// arguments (urfave/cli stops reading flags at the first argument).
	common := func(name, cmd string, rest ...string) []string {
		return append([]string{cmd, "--wallet-dir", dir, "-w", name, "--password-file", pwFile, "--scrypt-log-n", "10",
			"--rpc", n.RPCURL(), "--rpc-cookie", n.CookiePath()}, rest...)
	}
	must := func(args ...string) string {
		t.Helper()
		out, err := runWallet(t, args...)
		if err != nil {
			t.Fatalf("wallet %v: %v\n%s", args[0], err, out)
		}
		return out
	}
	out := must(common("alice", "create")...)
	if !strings.Contains(out, "Recovery phrase") || !strings.Contains(out, "clpow1") {
		t.Fatalf("create output:\n%s", out)
	}
	must(common("bob", "create")...)
	if _, err := runWallet(t, common("bob", "create")...); err == nil {
		t.Fatal("create over an existing wallet succeeded")
	}
	if out := must(common("alice", "list")...); !strings.Contains(out, "alice") || !strings.Contains(out, "bob") {
		t.Fatalf("list:\n%s", out)
	}
	var addrs []wallet.AddressInfo
	if err := json.Unmarshal([]byte(must(common("bob", "address", "--json")...)), &addrs); err != nil || len(addrs) != 1 {
		t.Fatalf("address --json: %v %v", addrs, err)
	}
	bobAddr := addrs[0].Address

	bad := filepath.Join(t.TempDir(), "bad")
	os.WriteFile(bad, []byte("nope"), 0o600)
	args := common("alice", "address", "--new", "--password-file", bad)
	if out, err := runWallet(t, args...); err == nil || !strings.Contains(err.Error(), "wrong password") {
		t.Fatalf("wrong password: %v\n%s", err, out)
	}

	must(common("alice", "mine", "--blocks", "1")...)
	must(common("bob", "mine", "--blocks", "10")...)
	out = must(common("alice", "balance")...)
	if !strings.Contains(out, "confirmed     50.00000000") {
		t.Fatalf("alice balance after maturity:\n%s", out)
	}
	if out, err := runWallet(t, common("alice", "send", bobAddr, "50.1")...); err == nil || !strings.Contains(err.Error(), "insufficient funds") {
		t.Fatalf("overspend: %v\n%s", err, out)
	}
	if out, err := runWallet(t, common("alice", "send", bobAddr, "1.000000001")...); err == nil || !strings.Contains(err.Error(), "decimal places") {
		t.Fatalf("too many decimals: %v\n%s", err, out)
	}
	if out, err := runWallet(t, common("alice", "send", strings.Replace(bobAddr, "clpow", "clpos", 1), "1")...); err == nil {
		t.Fatalf("wrong-network address accepted\n%s", out)
	}
	var res wallet.TxResult
	if err := json.Unmarshal([]byte(must(common("alice", "send", "--json", bobAddr, "7.5")...)), &res); err != nil || res.Amount != 750_000_000 {
		t.Fatalf("send --json: %+v %v", res, err)
	}
	must(common("carol", "create")...)
	must(common("carol", "mine", "--blocks", "1")...)
	var bal map[string]any
	if err := json.Unmarshal([]byte(must(common("bob", "balance", "--json")...)), &bal); err != nil {
		t.Fatal(err)
	}
	// Bob: 10 coinbases (the first now mature) and the payment.
	if bal["confirmed"] != "57.50000000" || bal["total"] != "507.50000000" {
		t.Fatalf("bob balance: %v", bal)
	}
	if err := json.Unmarshal([]byte(must(common("alice", "balance", "--json")...)), &bal); err != nil {
		t.Fatal(err)
	}
	if want := wallet.FormatAmount(50*genesis.Coin - 750_000_000 - res.Fee); bal["confirmed"] != want {
		t.Fatalf("alice balance: %v, want confirmed %s", bal, want)
	}
	if out := must(common("alice", "rebroadcast")...); !strings.Contains(out, res.TxID.String()) || !strings.Contains(out, "ErrMissingInput") {
		t.Fatalf("rebroadcast of a mined tx:\n%s", out)
	}
	if out := must(common("alice", "history")...); !strings.Contains(out, "send") || !strings.Contains(out, "-7.50000000") {
		t.Fatalf("history:\n%s", out)
	}
	if out := must(common("alice", "export")...); !strings.Contains(out, "Mnemonic") {
		t.Fatalf("export:\n%s", out)
	}
	// Restore alice from her exported mnemonic: same first address, same coins.
	var secrets struct{ Mnemonic string }
	if err := json.Unmarshal([]byte(must(common("alice", "export", "--json")...)), &secrets); err != nil {
		t.Fatal(err)
	}
	mf := filepath.Join(t.TempDir(), "mnemonic")
	os.WriteFile(mf, []byte(secrets.Mnemonic+"\n"), 0o600)
	must(common("alice2", "import", "--mnemonic-file", mf, "--addresses", "3")...)
	var a1, a2 []wallet.AddressInfo
	json.Unmarshal([]byte(must(common("alice", "address", "--json")...)), &a1)
	json.Unmarshal([]byte(must(common("alice2", "address", "--json")...)), &a2)
	if len(a2) < 4 || a1[0].Address != a2[0].Address || a2[3].Branch != "change" { // 3 receive + the change found by the rescan
		t.Fatalf("restored addresses %v, original %v", a2, a1)
	}
	// A dev key import makes a genesis allocation spendable.
	must(common("alice2", "import", "--dev-key", "alloc/0")...)
	if err := json.Unmarshal([]byte(must(common("alice2", "balance", "--json")...)), &bal); err != nil {
		t.Fatal(err)
	}
	if aliceConf := 50*genesis.Coin - 750_000_000 - res.Fee; bal["confirmed"] != wallet.FormatAmount(p.Allocations[0].Amount+aliceConf) {
		t.Fatalf("alice2 with alloc/0: %v", bal)
	}
}
