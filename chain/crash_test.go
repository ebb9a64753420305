package chain_test

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"

	"chainlab/chain"
	"chainlab/chain/chaintest"
)

// The crash test re-executes the test binary as a child (TestCrashChild with crashEnv set)
// that feeds a fixed scenario of blocks (with spends and reorgs) into a disk store, and
// SIGKILLs it at random moments. After every kill the parent reopens the store, which must
// pass chain.New's consistency check, and the tip's UTXO digest must equal the digest an
// uninterrupted run had at that tip. Each group of kills ends with an uninterrupted child
// that must reach the reference final tip.

const (
	crashEnvDir    = "CHAINLAB_CRASH_DIR"
	crashEnvBlocks = "CHAINLAB_CRASH_BLOCKS"
)

type coinRef struct {
	op  chain.OutPoint
	out chain.TxOut
}

// crashScenario builds the feed: branches that fork and overtake each other, each block
// spending three coins (so branches double-spend each other's genesis coins).
func crashScenario() []*chain.Block {
	p := chaintest.Params()
	b := chaintest.NewBuilder(p)
	snap := map[chain.Hash][8]coinRef{}
	var g [8]coinRef
	for i := range g {
		op, out := b.GenesisCoin(i)
		g[i] = coinRef{op, out}
	}
	snap[b.Genesis.Hash()] = g
	counter := 0
	var feed []*chain.Block
	extend := func(from chain.Hash, n int) []*chain.Block {
		coins := snap[from]
		var out []*chain.Block
		for i := 0; i < n; i++ {
			var txs []*chain.Tx
			for j := 0; j < 3; j++ {
				k := (counter + j) % 8
				c := coins[k]
				tx := chaintest.Spend([]chain.OutPoint{c.op}, []chain.TxOut{c.out}, []*btcec.PrivateKey{chaintest.Key(k)},
					[]chain.TxOut{{Value: c.out.Value - 1000, Lock: chain.PayTo(chaintest.PubKey(k))}})
				txs = append(txs, tx)
				coins[k] = coinRef{chain.OutPoint{TxID: tx.TxID()}, tx.Outputs[0]}
			}
			counter++
			blk := b.Block(from, txs, 3000)
			from = blk.Hash()
			snap[from] = coins
			out = append(out, blk)
		}
		feed = append(feed, out...)
		return out
	}
	a := extend(b.Genesis.Hash(), 40)
	bb := extend(a[24].Hash(), 20) // reorg depth 15
	a2 := extend(a[39].Hash(), 8)  // back, depth 20
	c := extend(bb[19].Hash(), 5)  // depth 23
	extend(a2[7].Hash(), 1)        // side
	extend(a[30].Hash(), 25)       // depth 19
	extend(c[4].Hash(), 10)        // 60 vs 56: back again
	return feed
}

func writeFeed(t *testing.T, path string, feed []*chain.Block) {
	var buf []byte
	for _, blk := range feed {
		bb := blk.Bytes()
		buf = binary.LittleEndian.AppendUint32(buf, uint32(len(bb)))
		buf = append(buf, bb...)
	}
	if err := os.WriteFile(path, buf, 0o600); err != nil {
		t.Fatal(err)
	}
}

func readFeed(path string) ([]*chain.Block, error) {
	buf, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var out []*chain.Block
	for len(buf) > 0 {
		n := binary.LittleEndian.Uint32(buf)
		blk, err := chain.DecodeBlock(buf[4 : 4+n])
		if err != nil {
			return nil, err
		}
		out = append(out, blk)
		buf = buf[4+n:]
	}
	return out, nil
}

func openCrashChain(dir string) (*chain.Chain, error) {
	p := chaintest.Params()
	s, err := chain.OpenStore(dir)
	if err != nil {
		return nil, err
	}
	c, err := chain.New(chain.Config{Params: p, Engine: chaintest.NewEngine(p), Store: s, TxIndex: true, AddrIndex: true})
	if err != nil {
		s.Close()
		return nil, err
	}
	return c, nil
}

func feedAll(c *chain.Chain, feed []*chain.Block, after func()) error {
	for _, blk := range feed {
		_, err := c.ProcessBlock(blk, chaintest.Now())
		if err != nil && !errors.Is(err, chain.ErrDuplicateBlock) {
			return fmt.Errorf("block %s: %w", blk.Hash(), err)
		}
		if after != nil {
			after()
		}
	}
	return nil
}

// TestCrashChild is the child process body; it does nothing in a normal test run.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv(crashEnvDir)
	if dir == "" {
		t.Skip("crash-test child only")
	}
	feed, err := readFeed(os.Getenv(crashEnvBlocks))
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(3)
	}
	c, err := openCrashChain(dir)
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(4)
	}
	fmt.Println("ready")
	if err := feedAll(c, feed, nil); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(5)
	}
	c.Close()
	os.Exit(0)
}

func TestCrashRecovery(t *testing.T) {
	if os.Getenv(crashEnvDir) != "" {
		t.Skip("in child")
	}
	kills := 30
	if os.Getenv("CHAINLAB_LONG") == "1" {
		kills = 150
	}
	feed := crashScenario()
	tmp := t.TempDir()
	feedPath := filepath.Join(tmp, "feed.bin")
	writeFeed(t, feedPath, feed)

	// Reference: an uninterrupted run, recording the UTXO digest at every settled tip.
	ref, _ := chaintest.NewMemChain(t, &chain.Config{TxIndex: true, AddrIndex: true})
	digests := map[chain.Hash][32]byte{}
	g, _ := ref.Tip()
	digests[g] = ref.UTXODigest()
	start := time.Now()
	if err := feedAll(ref, feed, func() { h, _ := ref.Tip(); digests[h] = ref.UTXODigest() }); err != nil {
		t.Fatal(err)
	}
	refDur := time.Since(start)
	finalTip, finalHeight := ref.Tip()
	t.Logf("scenario: %d blocks, final height %d, reference run %v", len(feed), finalHeight, refDur)

	rng := rand.New(rand.NewSource(1))
	// Kill children until `kills` of them died while working. A child that finishes before
	// its kill ends a round: its store must hold the reference final tip, and the next round
	// starts from an empty store.
	interrupted, runs, rounds := 0, 0, 0
	dir := ""
	newRound := func() {
		rounds++
		dir = filepath.Join(tmp, fmt.Sprintf("store%d", rounds))
	}
	checkFinal := func() {
		c, err := openCrashChain(dir)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		if tip, h := c.Tip(); tip != finalTip || c.UTXODigest() != digests[finalTip] {
			t.Fatalf("round %d: final tip %s at %d, reference %s at %d", rounds, tip, h, finalTip, finalHeight)
		}
	}
	newRound()
	for interrupted < kills {
		runs++
		if runs > 20*kills {
			t.Fatalf("only %d of %d runs were interrupted", interrupted, runs)
		}
		cmd, stdout := startCrashChild(t, dir, feedPath)
		if err := waitReady(stdout); err != nil {
			cmd.Process.Kill()
			cmd.Wait()
			t.Fatalf("child never got ready: %v", err)
		}
		time.Sleep(time.Duration(rng.Int63n(int64(refDur) + 1)))
		cmd.Process.Kill()
		werr := cmd.Wait()
		var ee *exec.ExitError
		if errors.As(werr, &ee) && ee.ExitCode() > 0 {
			t.Fatalf("child failed before the kill: %v", werr)
		}
		if werr == nil { // finished before the kill
			checkFinal()
			newRound()
			continue
		}
		interrupted++
		c, err := openCrashChain(dir)
		if err != nil {
			t.Fatalf("kill %d: reopen: %v", interrupted, err)
		}
		tip, _ := c.Tip()
		want, ok := digests[tip]
		if !ok {
			t.Fatalf("kill %d: tip %s is not a settled tip of the reference run", interrupted, tip)
		}
		if c.UTXODigest() != want {
			t.Fatalf("kill %d: UTXO digest at %s differs from the reference", interrupted, tip)
		}
		c.Close()
	}
	// Finish the last round uninterrupted.
	cmd, stdout := startCrashChild(t, dir, feedPath)
	io.Copy(io.Discard, stdout)
	if err := cmd.Wait(); err != nil {
		t.Fatalf("final child: %v", err)
	}
	checkFinal()
	t.Logf("%d SIGKILLs of a working child in %d runs over %d rounds; every reopen consistent, every round reached the reference tip", interrupted, runs, rounds)
}

func startCrashChild(t *testing.T, dir, feed string) (*exec.Cmd, io.ReadCloser) {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnvDir+"="+dir, crashEnvBlocks+"="+feed)
	cmd.Stderr = os.Stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, stdout
}

func waitReady(r io.Reader) error {
	line, err := bufio.NewReader(r).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "ready\n" {
		return fmt.Errorf("child said %q", line)
	}
	return nil
}
