package main

import (
	"fmt"
	"os"

	"github.com/urfave/cli/v2"

	"chainlab/chain"
	"chainlab/genesis"
)

func genesisCommand() *cli.Command {
	return &cli.Command{
		Name:  "genesis",
		Usage: "create and inspect genesis specs",
		Subcommands: []*cli.Command{
			{
				Name:      "init",
				Usage:     "write a preset genesis spec to a file (or stdout)",
				ArgsUsage: "[file]",
				Flags: []cli.Flag{
					&cli.StringFlag{Name: "preset", Value: "pow-dev", Usage: "pow-dev or pos-dev"},
					&cli.IntFlag{Name: "validators", Value: 4, Usage: "initial validators (pos-dev)"},
					&cli.Int64Flag{Name: "time", Usage: "genesis unix time (default: the preset's)"},
				},
				Action: func(c *cli.Context) error {
					p, ok := genesis.Preset(c.String("preset"))
					if !ok {
						return fmt.Errorf("unknown preset %q (have %v)", c.String("preset"), genesis.PresetNames())
					}
					if c.String("preset") == "pos-dev" {
						p = genesis.PosDev(c.Int("validators"))
					}
					if c.IsSet("time") {
						p.Time = c.Int64("time")
					}
					if err := p.Validate(); err != nil {
						return err
					}
					b, err := p.Marshal()
					if err != nil {
						return err
					}
					if c.Args().Len() == 0 {
						_, err = c.App.Writer.Write(b)
						return err
					}
					return os.WriteFile(c.Args().First(), b, 0o644)
				},
			},
			{
				Name:      "show",
				Usage:     "validate a genesis file or preset and print it",
				ArgsUsage: "<file|preset>",
				Action: func(c *cli.Context) error {
					p, err := loadGenesisArg(c)
					if err != nil {
						return err
					}
					b, err := p.Marshal()
					if err != nil {
						return err
					}
					_, err = c.App.Writer.Write(b)
					return err
				},
			},
			{
				Name:      "hash",
				Usage:     "print the genesis block hash of a genesis file or preset",
				ArgsUsage: "<file|preset>",
				Action: func(c *cli.Context) error {
					p, err := loadGenesisArg(c)
					if err != nil {
						return err
					}
					blk, err := chain.GenesisBlock(p)
					if err != nil {
						return err
					}
					fmt.Fprintln(c.App.Writer, blk.Hash())
					return nil
				},
			},
		},
	}
}

func loadGenesisArg(c *cli.Context) (*genesis.Params, error) {
	if c.Args().Len() != 1 {
		return nil, fmt.Errorf("want one argument: a genesis file or preset (%v)", genesis.PresetNames())
	}
	return genesis.Load(c.Args().First())
}
