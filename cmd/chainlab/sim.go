package main

import (
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/urfave/cli/v2"

	"chainlab/lab"
	"chainlab/sim"
)

func simCommand() *cli.Command {
	return &cli.Command{
		Name:      "sim",
		Usage:     "run a manifest in the deterministic simulator (real chain and engines, virtual clock, simulated network)",
		ArgsUsage: "<manifest.toml>",
		Flags: []cli.Flag{
			&cli.Uint64Flag{Name: "seed", Usage: "simulation seed (default: the manifest's seed); same manifest + seed ⇒ identical results"},
			&cli.IntFlag{Name: "nodes", Usage: "override the node count (the simulator allows more than the lab's 64)"},
			&cli.IntFlag{Name: "validators-per-node", Value: 1, Usage: "PoS: validators each node holds"},
			&cli.StringFlag{Name: "out", Usage: "run directory (default runs/sim-<name>-<seed>)"},
			&cli.BoolFlag{Name: "lean", Usage: "skip per-node sightings and tip events (large runs; propagation metrics empty)"},
		},
		Action: simRun,
		Subcommands: []*cli.Command{{
			Name:  "validate",
			Usage: "compare the simulator with published results (selfish mining, catch-up probability, stale rate, finality)",
			Flags: []cli.Flag{
				&cli.BoolFlag{Name: "quick", Usage: "reduced grid and samples (about 15 s)"},
				&cli.StringFlag{Name: "vectors", Value: filepath.Join("sim", "testdata", "stale-rate"), Usage: "directory of the Gervais stale-rate CSVs"},
				&cli.StringFlag{Name: "plots", Usage: "write sim-selfish.png, sim-catchup.png and sim-stale.png into this directory"},
				&cli.StringFlag{Name: "markdown", Usage: "also write the tables to this file"},
			},
			Action: simValidate,
		}},
	}
}

func simRun(c *cli.Context) error {
	if c.Args().Len() != 1 {
		return fmt.Errorf("want one manifest file, after the flags (got %q)", c.Args().Slice())
	}
	m, err := lab.LoadManifest(c.Args().First())
	if err != nil {
		return err
	}
	seed := uint64(m.Seed)
	if c.IsSet("seed") {
		seed = c.Uint64("seed")
	}
	out := c.String("out")
	if out == "" {
		out = filepath.Join("runs", fmt.Sprintf("sim-%s-%d", m.Name, seed))
	}
	start := time.Now()
	res, err := sim.Run(m, seed, sim.Options{Nodes: c.Int("nodes"), ValidatorsPerNode: c.Int("validators-per-node"),
		Lean: c.Bool("lean"), Logger: labLogger(c)})
	if err != nil {
		return err
	}
	if err := lab.WriteRunDir(out, res.Trace, res.Metrics); err != nil {
		return err
	}
	if err := lab.WriteTable(c.App.Writer, []*lab.Metrics{res.Metrics}); err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "simulated %.0f s of virtual time with %d nodes in %.1f s (%d events, %d messages)\n",
		res.Trace.Span, len(res.Tips), time.Since(start).Seconds(), res.Events, res.Messages)
	fmt.Fprintf(c.App.Writer, "report: %s\n", filepath.Join(out, "report.html"))
	return nil
}

func simValidate(c *cli.Context) error {
	r, err := sim.Validate(sim.ValidateOptions{Quick: c.Bool("quick"), Vectors: c.String("vectors"), Progress: c.App.ErrWriter})
	if err != nil {
		return err
	}
	md := r.Markdown()
	fmt.Fprint(c.App.Writer, md)
	if p := c.String("markdown"); p != "" {
		if err := os.WriteFile(p, []byte(md), 0o644); err != nil {
			return err
		}
	}
	if d := c.String("plots"); d != "" {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
		return r.Plot(d)
	}
	return nil
}
