package main

import (
	"github.com/urfave/cli/v2"
)

// Version is the chainlab release.
const Version = "0.1.0"

func newApp() *cli.App {
	return &cli.App{
		Name:    "chainlab",
		Usage:   "a proof-of-work / proof-of-stake blockchain testbed",
		Version: Version,
		Commands: []*cli.Command{
			versionCommand(),
			genesisCommand(),
			rpcCommand(),
			nodeCommand(),
			walletCommand(),
			netCommand(), experimentCommand(), compareCommand(),
			simCommand(),
		},
	}
}

func versionCommand() *cli.Command {
	return &cli.Command{
		Name:  "version",
		Usage: "print the version",
		Action: func(c *cli.Context) error {
			_, err := c.App.Writer.Write([]byte("chainlab " + Version + "\n"))
			return err
		},
	}
}
