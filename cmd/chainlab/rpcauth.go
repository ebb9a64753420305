package main

import (
	"os"
	"path/filepath"

	"github.com/urfave/cli/v2"

	"chainlab/rpc"
)

// rpcAuthOptions picks the RPC credentials the way bitcoin-cli does: --rpc-user/--rpc-password,
// else --rpc-cookie, else <--datadir>/.cookie, else the cookie of chainlab node's default
// datadir when it is readable (no auth otherwise). The rpc and wallet commands share it.
func rpcAuthOptions(c *cli.Context) []rpc.ClientOption {
	switch {
	case c.String("rpc-user") != "":
		return []rpc.ClientOption{rpc.WithBasicAuth(c.String("rpc-user"), c.String("rpc-password"))}
	case c.String("rpc-cookie") != "":
		return []rpc.ClientOption{rpc.WithCookieFile(c.String("rpc-cookie"))}
	case c.String("datadir") != "":
		return []rpc.ClientOption{rpc.WithCookieFile(filepath.Join(c.String("datadir"), ".cookie"))}
	}
	if cp := filepath.Join(defaultDatadir(), ".cookie"); fileReadable(cp) {
		return []rpc.ClientOption{rpc.WithCookieFile(cp)}
	}
	return nil
}

func fileReadable(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	f.Close()
	return true
}
