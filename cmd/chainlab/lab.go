package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"chainlab/lab"
)

// netCommand is `chainlab net up|status|down|logs`.
func netCommand() *cli.Command {
	dirFlag := &cli.StringFlag{Name: "dir", Value: "chainlab-net", EnvVars: []string{"CHAINLAB_NET"}, Usage: "the network's directory (datadirs, logs, net.json)"}
	return &cli.Command{
		Name:  "net",
		Usage: "run a local multi-process network",
		Subcommands: []*cli.Command{
			{
				Name:      "up",
				Usage:     "start N node processes, connect them and wait until they produce blocks",
				ArgsUsage: "[manifest.toml]",
				Flags: []cli.Flag{dirFlag,
					&cli.StringFlag{Name: "consensus", Value: "pow", Usage: "pow or pos (without a manifest)"},
					&cli.IntFlag{Name: "nodes", Value: 4, Usage: "number of nodes (without a manifest)"},
					&cli.StringFlag{Name: "topology", Value: "full", Usage: "full, line, ring, star or random (without a manifest)"},
					&cli.Int64Flag{Name: "seed", Value: 1, Usage: "seed for keys and random topologies (without a manifest)"},
					&cli.DurationFlag{Name: "timeout", Value: 90 * time.Second, Usage: "how long to wait for the network"},
				},
				Action: netUp,
			},
			{Name: "status", Usage: "tip, height, peers, finality and hash rate or stake per node", Flags: []cli.Flag{dirFlag}, Action: netStatus},
			{
				Name: "down", Usage: "stop every node (SIGTERM, then SIGKILL); keeps the data unless --purge",
				Flags: []cli.Flag{dirFlag, &cli.BoolFlag{Name: "purge", Usage: "delete the network directory"},
					&cli.DurationFlag{Name: "timeout", Value: 15 * time.Second, Usage: "grace period before SIGKILL"}},
				Action: netDown,
			},
			{
				Name: "logs", Usage: "print a node's log (or every node's tail)", ArgsUsage: "[node]",
				Flags:  []cli.Flag{dirFlag, &cli.Int64Flag{Name: "tail", Value: 0, Usage: "only the last N bytes (default: all of one node, 2000 of each)"}},
				Action: netLogs,
			},
		},
	}
}

func labLogger(c *cli.Context) *slog.Logger {
	return slog.New(slog.NewTextHandler(c.App.ErrWriter, &slog.HandlerOptions{Level: slog.LevelWarn}))
}

func netUp(c *cli.Context) error {
	var m *lab.Manifest
	var err error
	if c.Args().Len() > 0 {
		m, err = lab.LoadManifest(c.Args().First())
	} else {
		src := fmt.Sprintf("consensus = %q\nseed = %d\nduration = \"1h\"\n[nodes]\ncount = %d\n[network]\ntopology = %q\n",
			c.String("consensus"), c.Int64("seed"), c.Int("nodes"), c.String("topology"))
		m, err = lab.ParseManifest([]byte(src))
	}
	if err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	n, err := lab.NewNet(lab.NetConfig{Dir: c.String("dir"), Manifest: m, Logger: labLogger(c), Detach: true, StartAll: true})
	if err != nil {
		return err
	}
	fmt.Fprintf(c.App.Writer, "starting %d %s nodes in %s …\n", len(n.Plan().Nodes), strings.ToUpper(m.Consensus), c.String("dir"))
	if err := n.Up(ctx, time.Now(), c.Duration("timeout")); err != nil {
		return err
	}
	// Wait until the network produces a block.
	deadline := time.Now().Add(c.Duration("timeout"))
	for {
		cl, err := n.Client(0)
		if err == nil {
			if h, err := cl.BlockCount(ctx); err == nil && h > 0 {
				break
			}
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return fmt.Errorf("the network is up but produced no block within %v (see `chainlab net logs --dir %s`)", c.Duration("timeout"), c.String("dir"))
		}
		time.Sleep(250 * time.Millisecond)
	}
	tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "node\tpid\tp2p\trpc\tdatadir\thashrate/stake")
	for _, ns := range n.State.Nodes {
		fmt.Fprintf(tw, "%s\t%d\t%s\thttp://%s/\t%s\t%s\n", ns.Name, ns.PID, ns.P2P, ns.RPC, ns.DataDir, weight(ns))
	}
	tw.Flush()
	fmt.Fprintf(c.App.Writer, "\nthe network is producing blocks. `chainlab rpc --rpc-connect <rpc> --datadir <datadir> getblockchaininfo` talks to a node;\n`chainlab net status --dir %s` shows them all; `chainlab net down --dir %s` stops them.\n", c.String("dir"), c.String("dir"))
	return nil
}

func weight(ns lab.NodeState) string {
	switch {
	case ns.HashRate > 0:
		return fmt.Sprintf("%.0f H/s", ns.HashRate)
	case ns.Stake > 0:
		return fmt.Sprintf("%.0f coins", ns.Stake)
	}
	return "–"
}

func netStatus(c *cli.Context) error {
	n, err := lab.AttachNet(c.String("dir"), labLogger(c))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(c.Context, 20*time.Second)
	defer cancel()
	tw := tabwriter.NewWriter(c.App.Writer, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "node\tstate\theight\ttip\tpeers\tfinalized\thashrate/stake")
	for i, ns := range n.State.Nodes {
		state := "down"
		if n.Alive(i) {
			state = "up"
		}
		row := []string{ns.Name, state, "–", "–", "–", "–", weight(ns)}
		if state == "up" {
			if cl, err := n.Client(i); err == nil {
				if f, err := cl.Finality(ctx); err == nil {
					row[2] = fmt.Sprint(f.TipHeight)
					row[3] = short(f.TipHash)
					row[5] = fmt.Sprintf("%d (%s)", f.Height, short(f.Hash))
				} else {
					state = "up (rpc: " + err.Error() + ")"
					row[1] = state
				}
				if ps, err := cl.Peers(ctx); err == nil {
					row[4] = fmt.Sprint(len(ps))
				}
				if ns.HashRate > 0 {
					if hr, err := cl.HashRate(ctx); err == nil {
						row[6] = fmt.Sprintf("%.0f H/s (set %.0f)", hr, ns.HashRate)
					}
				}
			}
		}
		fmt.Fprintln(tw, strings.Join(row, "\t"))
	}
	return tw.Flush()
}

func short(h string) string {
	if len(h) > 16 {
		return h[:16] + "…"
	}
	return h
}

func netDown(c *cli.Context) error {
	n, err := lab.AttachNet(c.String("dir"), labLogger(c))
	if err != nil {
		return err
	}
	n.Down(c.Duration("timeout"))
	fmt.Fprintf(c.App.Writer, "stopped %d nodes\n", len(n.State.Nodes))
	if c.Bool("purge") {
		if _, err := os.Stat(filepath.Join(n.State.Dir, lab.StateFile)); err != nil {
			return fmt.Errorf("refusing to purge %s: no %s in it", n.State.Dir, lab.StateFile)
		}
		if err := os.RemoveAll(n.State.Dir); err != nil {
			return err
		}
		fmt.Fprintf(c.App.Writer, "removed %s\n", n.State.Dir)
	} else {
		fmt.Fprintf(c.App.Writer, "data kept in %s (--purge deletes it)\n", n.State.Dir)
	}
	return nil
}

func netLogs(c *cli.Context) error {
	n, err := lab.AttachNet(c.String("dir"), labLogger(c))
	if err != nil {
		return err
	}
	if c.Args().Len() > 0 {
		for i, ns := range n.State.Nodes {
			if ns.Name == c.Args().First() {
				return n.CopyLogs(c.App.Writer, i, c.Int64("tail"))
			}
		}
		return fmt.Errorf("no node %q", c.Args().First())
	}
	tail := c.Int64("tail")
	if tail == 0 {
		tail = 2000
	}
	for i, ns := range n.State.Nodes {
		fmt.Fprintf(c.App.Writer, "==> %s (%s) <==\n", ns.Name, ns.Log)
		if err := n.CopyLogs(c.App.Writer, i, tail); err != nil {
			fmt.Fprintln(c.App.Writer, err)
		}
	}
	return nil
}

// experimentCommand is `chainlab experiment run`.
func experimentCommand() *cli.Command {
	return &cli.Command{
		Name:  "experiment",
		Usage: "run experiment manifests on real node processes",
		Subcommands: []*cli.Command{{
			Name:      "run",
			Usage:     "run a manifest: start the network, drive load, apply faults, measure, write a report",
			ArgsUsage: "<manifest.toml>",
			Flags: []cli.Flag{
				&cli.StringFlag{Name: "out", Usage: "run directory (default runs/<name>-<time>)"},
				&cli.Int64Flag{Name: "seed", Usage: "override the manifest's seed"},
				&cli.BoolFlag{Name: "keep-data", Usage: "keep the nodes' datadirs"},
			},
			Action: func(c *cli.Context) error {
				if c.Args().Len() != 1 {
					return fmt.Errorf("want one manifest file, after the flags (got %q)", c.Args().Slice())
				}
				m, err := lab.LoadManifest(c.Args().First())
				if err != nil {
					return err
				}
				if c.IsSet("seed") {
					m.Seed = c.Int64("seed")
				}
				out := c.String("out")
				if out == "" {
					out = filepath.Join("runs", m.Name+"-"+time.Now().Format("20060102-150405"))
				}
				ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
				defer stop()
				res, err := lab.Run(ctx, lab.RunConfig{Manifest: m, Dir: out, Logger: labLogger(c), Progress: c.App.Writer, KeepData: c.Bool("keep-data")})
				if res == nil {
					return err
				}
				fmt.Fprintln(c.App.Writer)
				if werr := lab.WriteTable(c.App.Writer, []*lab.Metrics{res.Metrics}); werr != nil {
					return werr
				}
				printChecks(c.App.Writer, res)
				fmt.Fprintf(c.App.Writer, "report: %s\n", filepath.Join(out, "report.html"))
				return err
			},
		}},
	}
}

func printChecks(w io.Writer, r *lab.RunResult) {
	fmt.Fprintf(w, "ground truth (live events vs. recount from the nodes):\n")
	for _, ck := range r.GroundTruth {
		mark := "ok"
		if !ck.OK {
			mark = "DIFFERS"
		}
		fmt.Fprintf(w, "  %-28s live %-10.3f recount %-10.3f %s\n", ck.Name, ck.Live, ck.Recounted, mark)
	}
}

// compareCommand is `chainlab compare`.
func compareCommand() *cli.Command {
	return &cli.Command{
		Name:      "compare",
		Usage:     "run PoW and PoS side by side (built-in manifests, or yours) and print the metrics with 95% CIs",
		ArgsUsage: "[pow.toml pos.toml …]",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Usage: "output directory (default runs/compare-<time>)"},
			&cli.BoolFlag{Name: "sequential", Usage: "run the networks one after the other instead of concurrently"},
		},
		Action: func(c *cli.Context) error {
			var ms []*lab.Manifest
			if c.Args().Len() == 0 {
				var err error
				if ms, err = lab.BuiltinManifests(); err != nil {
					return err
				}
			}
			for _, f := range c.Args().Slice() {
				m, err := lab.LoadManifest(f)
				if err != nil {
					return err
				}
				ms = append(ms, m)
			}
			out := c.String("out")
			if out == "" {
				out = filepath.Join("runs", "compare-"+time.Now().Format("20060102-150405"))
			}
			ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
			defer stop()
			_, err := lab.Compare(ctx, lab.CompareConfig{Manifests: ms, Dir: out, Logger: labLogger(c), Progress: c.App.Writer, Sequential: c.Bool("sequential")})
			return err
		},
	}
}
