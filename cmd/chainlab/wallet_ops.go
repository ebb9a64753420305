package main

import (
	"fmt"
	"strings"

	"github.com/urfave/cli/v2"

	"chainlab/wallet"
)

// The wallet commands that talk to a node.

func syncedPublic(c *cli.Context) (*wallet.Store, *wallet.Public, *walletSession, *wallet.State, error) {
	s, pub, err := readPublic(c)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	sess, err := connect(c, s)
	if err != nil {
		return nil, nil, nil, nil, err
	}
	st, err := sess.client.Sync(sess.ctx, pub)
	if err != nil {
		sess.Close()
		return nil, nil, nil, nil, err
	}
	return s, pub, sess, st, nil
}

func walletBalance(c *cli.Context) error {
	_, pub, sess, st, err := syncedPublic(c)
	if err != nil {
		return err
	}
	defer sess.Close()
	b := st.Balance()
	if c.Bool("json") {
		return printJSON(c, map[string]any{
			"wallet": pub.Name, "height": st.Tip.Height, "epoch": st.Snap.Epoch,
			"confirmed": wallet.FormatAmount(b.Confirmed), "unconfirmed": wallet.FormatAmount(b.Unconfirmed),
			"immature": wallet.FormatAmount(b.Immature), "staked": wallet.FormatAmount(b.Staked),
			"unbonding": wallet.FormatAmount(b.Unbonding), "withdrawable": wallet.FormatAmount(b.Withdrawable),
			"pending": wallet.FormatAmount(b.Pending), "total": wallet.FormatAmount(b.Total()),
			"units": b,
		})
	}
	fmt.Fprintf(out(c), "Wallet %q on %s at height %d", pub.Name, pub.Network, st.Tip.Height)
	if st.Params.Engine == "pos" {
		fmt.Fprintf(out(c), ", epoch %d", st.Snap.Epoch)
	}
	fmt.Fprintln(out(c))
	rows := [][]string{
		{"confirmed", wallet.FormatAmount(b.Confirmed)},
		{"unconfirmed", wallet.FormatAmount(b.Unconfirmed)},
		{"immature", wallet.FormatAmount(b.Immature)},
		{"staked", wallet.FormatAmount(b.Staked)},
		{"unbonding", wallet.FormatAmount(b.Unbonding)},
		{"withdrawable", wallet.FormatAmount(b.Withdrawable)},
		{"total", wallet.FormatAmount(b.Total())},
	}
	if b.Pending > 0 {
		rows = append(rows, []string{"(being spent)", wallet.FormatAmount(b.Pending)})
	}
	return table(c, "STATE\tCOINS", rows)
}

func sendOptions(c *cli.Context) wallet.SendOptions {
	return wallet.SendOptions{FeeRate: c.Uint64("fee-rate"), DryRun: c.Bool("dry-run"), ConfirmedOnly: c.Bool("confirmed-only")}
}

func printTx(c *cli.Context, r *wallet.TxResult, extra ...string) error {
	if c.Bool("json") {
		return printJSON(c, r)
	}
	verb := "sent"
	if c.Bool("dry-run") {
		verb = "built and signed, NOT sent (--dry-run)"
	}
	fmt.Fprintf(out(c), "Transaction %s %s\n", r.TxID, verb)
	rows := [][]string{{"kind", r.Kind}, {"amount", wallet.FormatAmount(r.Amount)}, {"fee", fmt.Sprintf("%s (%d units/byte, %d bytes)", wallet.FormatAmount(r.Fee), r.FeeRate, r.Size)}}
	if r.To != "" {
		rows = append(rows, []string{"to", r.To})
	}
	if r.Change > 0 {
		rows = append(rows, []string{"change", wallet.FormatAmount(r.Change)})
	}
	for i := 0; i+1 < len(extra); i += 2 {
		rows = append(rows, []string{extra[i], extra[i+1]})
	}
	if c.Bool("dry-run") {
		rows = append(rows, []string{"hex", fmt.Sprintf("%x", r.Tx.Bytes())})
	}
	return table(c, "", rows)
}

// signer opens the wallet with its password and connects to the node.
func signer(c *cli.Context) (*wallet.Wallet, *walletSession, error) {
	s, w, err := openWallet(c)
	if err != nil {
		return nil, nil, err
	}
	sess, err := connect(c, s)
	if err != nil {
		return nil, nil, err
	}
	return w, sess, nil
}

func walletSend(c *cli.Context) error {
	if err := wantArgs(c, "<address> <amount>", 2); err != nil {
		return err
	}
	amount, err := wallet.ParseAmount(c.Args().Get(1))
	if err != nil {
		return err
	}
	w, sess, err := signer(c)
	if err != nil {
		return err
	}
	defer sess.Close()
	r, err := sess.client.Send(sess.ctx, w, c.Args().Get(0), amount, sendOptions(c))
	if err != nil {
		return err
	}
	return printTx(c, r)
}

func walletHistory(c *cli.Context) error {
	_, pub, sess, st, err := syncedPublic(c)
	if err != nil {
		return err
	}
	defer sess.Close()
	h := sess.client.History(st, pub)
	if c.Bool("json") {
		if h == nil {
			h = []wallet.HistoryEntry{}
		}
		return printJSON(c, h)
	}
	var rows [][]string
	for _, e := range h {
		when := ""
		if e.Height > 0 {
			when = fmt.Sprintf("block %d", e.Height)
		} else if !e.Time.IsZero() {
			when = e.Time.Format("2006-01-02 15:04:05")
		}
		amt := wallet.FormatAmount(e.Amount)
		if e.Status == "sent" {
			amt = "-" + amt
		}
		rows = append(rows, []string{when, e.Kind, e.Status, amt, wallet.FormatAmount(e.Fee), e.TxID.String()[:16], e.Address})
	}
	return table(c, "WHEN\tKIND\tSTATUS\tAMOUNT\tFEE\tTXID\tADDRESS", rows)
}

func walletRebroadcast(c *cli.Context) error {
	s, pub, err := readPublic(c)
	if err != nil {
		return err
	}
	sess, err := connect(c, s)
	if err != nil {
		return err
	}
	defer sess.Close()
	rs, err := sess.client.Rebroadcast(sess.ctx, pub)
	if err != nil {
		return err
	}
	if c.Bool("json") {
		if rs == nil {
			rs = []wallet.RebroadcastResult{}
		}
		return printJSON(c, rs)
	}
	var rows [][]string
	for _, r := range rs {
		rows = append(rows, []string{r.TxID, r.Kind, r.Result})
	}
	return table(c, "TXID\tKIND\tRESULT", rows)
}

func walletMine(c *cli.Context) error {
	s, pub, err := readPublic(c)
	if err != nil {
		return err
	}
	sess, err := connect(c, s)
	if err != nil {
		return err
	}
	defer sess.Close()
	switch {
	case c.Int("blocks") > 0:
		hashes, err := sess.client.Mine(sess.ctx, pub, c.Int("blocks"))
		if err != nil {
			return err
		}
		if c.Bool("json") {
			return printJSON(c, hashes)
		}
		for _, h := range hashes {
			fmt.Fprintln(out(c), h)
		}
		return nil
	case c.Bool("start") && c.Bool("stop"):
		return fmt.Errorf("--start and --stop together")
	case c.Bool("start"), c.Bool("stop"):
		if c.IsSet("hashrate") {
			if err := sess.node.SetHashRate(sess.ctx, c.Float64("hashrate")); err != nil {
				return err
			}
		}
		if err := sess.node.SetGenerate(sess.ctx, c.Bool("start"), c.Int("threads")); err != nil {
			return err
		}
		state := "stopped"
		if c.Bool("start") {
			state = fmt.Sprintf("started with %d threads (the node's miner pays the node's configured address)", c.Int("threads"))
		}
		fmt.Fprintf(out(c), "Miner %s\n", state)
		return nil
	case c.IsSet("hashrate"):
		return sess.node.SetHashRate(sess.ctx, c.Float64("hashrate"))
	}
	return fmt.Errorf("want --blocks N, --start or --stop")
}

func walletStake(c *cli.Context) error {
	if err := wantArgs(c, "<amount>", 1); err != nil {
		return err
	}
	amount, err := wallet.ParseAmount(c.Args().First())
	if err != nil {
		return err
	}
	w, sess, err := signer(c)
	if err != nil {
		return err
	}
	defer sess.Close()
	r, err := sess.client.Stake(sess.ctx, w, amount, wallet.StakeOptions{SendOptions: sendOptions(c), KeyFile: c.String("key-file"), Register: c.Bool("register")})
	if r == nil {
		return err
	}
	if perr := printTx(c, &r.TxResult, "validator", r.Validator.String(), "owner", r.Owner, "key file", r.KeyFile); perr != nil {
		return perr
	}
	if !c.Bool("json") && !c.Bool("dry-run") {
		if r.Registered {
			fmt.Fprintln(out(c), "The node now holds the validator key and will propose and vote once the stake is active.")
		} else {
			fmt.Fprintf(out(c), "Give the validator key to a node:  chainlab node --validator-key %s\n"+
				"(or rerun with --register to hand it to this node over RPC).\n", r.KeyFile)
		}
	}
	return err
}

func walletUnstake(c *cli.Context) error {
	var v *wallet.Key32
	if s := c.String("validator"); s != "" {
		k, err := wallet.ParseKey32(s)
		if err != nil {
			return err
		}
		v = &k
	}
	w, sess, err := signer(c)
	if err != nil {
		return err
	}
	defer sess.Close()
	r, err := sess.client.Unstake(sess.ctx, w, v, sendOptions(c))
	if err != nil {
		return err
	}
	return printTx(c, r)
}

func walletWithdraw(c *cli.Context) error {
	w, sess, err := signer(c)
	if err != nil {
		return err
	}
	defer sess.Close()
	r, err := sess.client.Withdraw(sess.ctx, w, sendOptions(c))
	if err != nil {
		return err
	}
	return printTx(c, r)
}

func walletValidator(c *cli.Context) error {
	_, pub, sess, st, err := syncedPublic(c)
	if err != nil {
		return err
	}
	defer sess.Close()
	reps, err := sess.client.Validators(sess.ctx, st, pub)
	if err != nil {
		return err
	}
	ss, serr := sess.node.StakingStatus(sess.ctx)
	if c.Bool("json") {
		res := map[string]any{"validators": reps, "epoch": st.Snap.Epoch}
		if serr == nil {
			res["node"] = ss
		}
		if reps == nil {
			res["validators"] = []wallet.ValidatorReport{}
		}
		return printJSON(c, res)
	}
	if len(reps) == 0 {
		fmt.Fprintln(out(c), "This wallet has no validators (wallet stake <amount> creates one).")
		return nil
	}
	var rows [][]string
	for _, r := range reps {
		exit := ""
		if r.Exit != 0 {
			exit = fmt.Sprint(r.Exit)
		}
		rows = append(rows, []string{r.Key.String()[:16], r.Status, wallet.FormatAmount(r.Bonded), wallet.FormatAmount(r.Balance),
			signedAmount(r.Rewards), fmt.Sprint(r.Activation), exit, fmt.Sprint(r.Slashed), fmt.Sprint(r.Local)})
	}
	if err := table(c, "VALIDATOR\tSTATUS\tBONDED\tBALANCE\tREWARDS\tACTIVE FROM\tEXIT\tSLASHED\tON NODE", rows); err != nil {
		return err
	}
	if serr == nil {
		fmt.Fprintf(out(c), "Node: slot %d, epoch %d, %d local validators, proposed %d, votes %d",
			ss.Slot, ss.Epoch, len(ss.LocalValidators), ss.Proposed, ss.Votes)
		if ss.NextDuty != "" {
			fmt.Fprintf(out(c), ", next duty: %s", ss.NextDuty)
		}
		fmt.Fprintln(out(c))
	}
	return nil
}

// wantArgs checks the positional arguments; flags after them are a common slip (urfave/cli
// reads flags only before the first argument).
func wantArgs(c *cli.Context, usage string, n int) error {
	if c.Args().Len() == n {
		return nil
	}
	for _, a := range c.Args().Slice() {
		if strings.HasPrefix(a, "-") {
			return fmt.Errorf("want %s; put flags such as %s before the arguments", usage, a)
		}
	}
	return fmt.Errorf("want %s, got %d arguments", usage, c.Args().Len())
}

func signedAmount(v int64) string {
	if v < 0 {
		return "-" + wallet.FormatAmount(uint64(-v))
	}
	return wallet.FormatAmount(uint64(v))
}
