package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"chainlab/rpc"
)

// stringParams are parameter names whose values are always strings, so "0000…" hashes
// and digit-only hex are never mistaken for numbers (bitcoin-cli's conversion table idea).
var stringParams = map[string]bool{
	"blockhash": true, "txid": true, "hexstring": true, "address": true, "node": true,
	"command": true, "peer": true, "privkey": true, "subscription": true,
}

func rpcCommand() *cli.Command {
	return &cli.Command{
		Name:      "rpc",
		Usage:     "call a node's JSON-RPC method, bitcoin-cli style",
		ArgsUsage: "<method> [params…]  (or -named <method> key=value…)",
		Description: "Arguments are JSON when they parse as JSON (numbers, true/false, arrays, objects),\n" +
			"strings otherwise. Credentials come from --rpc-user/--rpc-password or the cookie file\n" +
			"(<datadir>/.cookie). `chainlab rpc help` lists the methods.",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "rpc-connect", Aliases: []string{"rpc"}, Value: "127.0.0.1:18443", EnvVars: []string{"CHAINLAB_RPC"}, Usage: "server host:port or URL (chainlab node's default)"},
			&cli.StringFlag{Name: "datadir", EnvVars: []string{"CHAINLAB_DATADIR"}, Usage: "node data directory, for its .cookie (default: chainlab node's)"},
			&cli.StringFlag{Name: "rpc-cookie", Usage: "cookie file (default <datadir>/.cookie)"},
			&cli.StringFlag{Name: "rpc-user", EnvVars: []string{"CHAINLAB_RPC_USER"}},
			&cli.StringFlag{Name: "rpc-password", EnvVars: []string{"CHAINLAB_RPC_PASSWORD"}},
			&cli.BoolFlag{Name: "named", Usage: "pass parameters as key=value pairs"},
			&cli.DurationFlag{Name: "timeout", Value: 15 * time.Minute, Usage: "call timeout"},
		},
		Action: runRPC,
	}
}

func runRPC(c *cli.Context) error {
	if c.Args().Len() == 0 {
		return cli.ShowSubcommandHelp(c)
	}
	method := c.Args().First()
	args := c.Args().Tail()
	client, err := rpc.NewClient(c.String("rpc-connect"), rpcAuthOptions(c)...)
	if err != nil {
		return err
	}
	defer client.Close()
	names, _ := rpc.ParamNames(method)
	var params any
	if c.Bool("named") {
		named := map[string]json.RawMessage{}
		for _, a := range args {
			k, v, ok := strings.Cut(a, "=")
			if !ok {
				return fmt.Errorf("-named: argument %q is not key=value", a)
			}
			named[k] = convertArg(k, v)
		}
		params = named
	} else {
		pos := make([]json.RawMessage, len(args))
		for i, a := range args {
			name := ""
			if i < len(names) {
				name = names[i]
			}
			pos[i] = convertArg(name, a)
		}
		params = pos
	}
	ctx, cancel := context.WithTimeout(context.Background(), c.Duration("timeout"))
	defer cancel()
	var result json.RawMessage
	err = client.CallRaw(ctx, method, params, &result)
	var rerr *rpc.Error
	if errors.As(err, &rerr) {
		fmt.Fprintf(c.App.ErrWriter, "error code: %d\nerror message:\n%s\n", rerr.Code, rerr.Message)
		return cli.Exit("", 1)
	}
	if err != nil {
		return err
	}
	return printResult(c, result)
}

func convertArg(name, v string) json.RawMessage {
	if !stringParams[name] && json.Valid([]byte(v)) {
		return json.RawMessage(v)
	}
	b, _ := json.Marshal(v)
	return b
}

func printResult(c *cli.Context, result json.RawMessage) error {
	w := c.App.Writer
	if w == nil {
		w = os.Stdout
	}
	if len(result) == 0 || string(result) == "null" {
		return nil
	}
	if result[0] == '"' {
		var s string
		if err := json.Unmarshal(result, &s); err == nil {
			_, err = fmt.Fprintln(w, s)
			return err
		}
	}
	var out bytes.Buffer
	if err := json.Indent(&out, result, "", "  "); err != nil {
		out.Reset()
		out.Write(result)
	}
	out.WriteByte('\n')
	_, err := w.Write(out.Bytes())
	return err
}
