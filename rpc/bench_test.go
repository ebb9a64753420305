package rpc

import (
	"bytes"
	"context"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/btcsuite/btcd/btcec/v2"

	"chainlab/chain"
	"chainlab/chain/chaintest"
	"chainlab/genesis"
)

// Benchmarks run client and server in one process on loopback with keep-alive, sharing
// the machine's cores, and report req/s (or tx/s). Run with
//
//	go test -run '^$' -bench . -benchtime 3s ./rpc

// runConns splits b.N calls over conns goroutines, each with its own client (its own
// keep-alive connection), and reports the rate.
func runConns(b *testing.B, n *testNode, conns int, unit string, call func(cl *Client, i int) error) {
	b.Helper()
	runConnsURL(b, n.url, []ClientOption{WithCookieFile(n.cookie)}, conns, unit, call)
}

func runConnsURL(b *testing.B, url string, opts []ClientOption, conns int, unit string, call func(cl *Client, i int) error) {
	b.Helper()
	clients := make([]*Client, conns)
	for i := range clients {
		cl, err := NewClient(url, opts...)
		if err != nil {
			b.Fatal(err)
		}
		defer cl.Close()
		clients[i] = cl
		if err := call(cl, -1); err != nil { // warm the connection
			b.Fatal(err)
		}
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for _, cl := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				if err := call(cl, i); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	el := time.Since(start)
	b.StopTimer()
	b.ReportMetric(float64(b.N)/el.Seconds(), unit)
}

func BenchmarkGetBlockCount(b *testing.B) {
	n := newTestNode(b, nil)
	for _, conns := range []int{8, 1} {
		b.Run(map[int]string{1: "conns=1", 8: "conns=8"}[conns], func(b *testing.B) {
			runConns(b, n, conns, "req/s", func(cl *Client, _ int) error {
				_, err := cl.GetBlockCount(context.Background())
				return err
			})
		})
	}
}

// benchTxs are signed, independent transactions valid on top of the chain that
// fanOut builds (deterministic: the same blocks and outputs on every fresh node).
var (
	benchOnce sync.Once
	benchFan  []*chain.Tx
	benchTxs  []*chain.Tx
)

const (
	benchFans    = 4
	benchPerFan  = 5000
	benchOutVal  = 1_000_000
	benchFeeUnit = 2_000
)

func benchKey() *btcec.PrivateKey { return genesis.DevKey("rpc-bench", 0) }

func prepareBenchTxs() {
	benchOnce.Do(func() {
		g, _ := chain.GenesisBlock(chaintest.Params())
		key := benchKey()
		xk := genesis.XOnly(key)
		for f := 0; f < benchFans; f++ {
			op := chain.OutPoint{TxID: g.Txs[0].TxID(), Index: uint32(f)}
			spent := g.Txs[0].Outputs[f]
			outs := make([]chain.TxOut, benchPerFan)
			for i := range outs {
				outs[i] = chain.TxOut{Value: benchOutVal, Lock: chain.PayTo(xk)}
			}
			// The rest goes to fees: the fan-out is mined right away.
			fan := chaintest.Spend([]chain.OutPoint{op}, []chain.TxOut{spent}, []*btcec.PrivateKey{chaintest.Key(f)}, outs)
			benchFan = append(benchFan, fan)
			fanID := fan.TxID()
			for i := range outs {
				tx := chaintest.Pay(chain.OutPoint{TxID: fanID, Index: uint32(i)}, outs[i], key, chaintest.PubKey(9), benchOutVal-benchFeeUnit, benchFeeUnit)
				benchTxs = append(benchTxs, tx)
			}
		}
	})
}

// newBenchNode returns a node whose chain holds the fan-out outputs benchTxs spend.
func newBenchNode(b *testing.B) *testNode {
	prepareBenchTxs()
	n := newTestNode(b, nil)
	for _, fan := range benchFan {
		if _, err := n.pool.Add(fan, chaintest.Now()); err != nil {
			b.Fatal(err)
		}
		n.mine(1)
	}
	return n
}

func BenchmarkSendRawTransaction(b *testing.B) {
	n := newBenchNode(b)
	hexes := make([]string, len(benchTxs))
	for i, tx := range benchTxs {
		hexes[i] = hex.EncodeToString(tx.Bytes())
	}
	if b.N > len(hexes) {
		b.Logf("b.N=%d capped at %d prepared transactions", b.N, len(hexes))
		b.N = len(hexes)
	}
	runConns(b, n, 8, "tx/s", func(cl *Client, i int) error {
		if i < 0 {
			_, err := cl.GetBlockCount(context.Background())
			return err
		}
		var id string
		return cl.Call(context.Background(), "sendrawtransaction", &id, hexes[i])
	})
	if got := n.pool.Count(); got != b.N {
		b.Fatalf("mempool holds %d, want %d accepted", got, b.N)
	}
}

func BenchmarkGetBlockVerbose1(b *testing.B) {
	n := newBenchNode(b)
	const txs = 2000
	for _, tx := range benchTxs[:txs] {
		if _, err := n.pool.Add(tx, chaintest.Now()); err != nil {
			b.Fatal(err)
		}
	}
	h := n.mine(1)[0]
	blk, _ := n.chain.Block(h)
	if len(blk.Txs) != txs+1 {
		b.Fatalf("block has %d txs", len(blk.Txs))
	}
	for _, conns := range []int{1, 8} {
		b.Run(map[int]string{1: "txs=2001/conns=1", 8: "txs=2001/conns=8"}[conns], func(b *testing.B) {
			runConns(b, n, conns, "req/s", func(cl *Client, _ int) error {
				_, err := cl.GetBlock(context.Background(), h)
				return err
			})
		})
	}
}

// BenchmarkBareHTTP is the calibration point: the same client against a net/http handler
// that returns a constant JSON-RPC reply without parsing anything.
func BenchmarkBareHTTP(b *testing.B) {
	reply := []byte(`{"jsonrpc":"2.0","result":0,"id":1}` + "\n")
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Write(reply)
	}))
	defer srv.Close()
	for _, conns := range []int{8, 1} {
		b.Run(map[int]string{1: "conns=1", 8: "conns=8"}[conns], func(b *testing.B) {
			runConnsURL(b, srv.URL, nil, conns, "req/s", func(cl *Client, _ int) error {
				_, err := cl.GetBlockCount(context.Background())
				return err
			})
		})
	}
}

// BenchmarkServeHTTPGetBlockCount measures the server's own per-request cost (auth,
// parse, dispatch, encode) without the network.
func BenchmarkServeHTTPGetBlockCount(b *testing.B) {
	n := newTestNode(b, nil)
	u, p, _ := ReadCookie(n.cookie)
	body := []byte(`{"jsonrpc":"1.0","id":"bench","method":"getblockcount","params":[]}`)
	req := httptest.NewRequest(http.MethodPost, "/", nil)
	req.SetBasicAuth(u, p)
	w := &discardWriter{h: http.Header{}}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		req.Body = io.NopCloser(bytes.NewReader(body))
		n.srv.ServeHTTP(w, req)
	}
	if w.status != 200 {
		b.Fatalf("status %d", w.status)
	}
}

type discardWriter struct {
	h      http.Header
	status int
}

func (d *discardWriter) Header() http.Header         { return d.h }
func (d *discardWriter) Write(b []byte) (int, error) { return len(b), nil }
func (d *discardWriter) WriteHeader(s int)           { d.status = s }

// BenchmarkMempoolAddDirect is the calibration point for sendrawtransaction: the same
// transactions added by 8 goroutines straight into chain.Mempool, no RPC.
func BenchmarkMempoolAddDirect(b *testing.B) {
	n := newBenchNode(b)
	if b.N > len(benchTxs) {
		b.N = len(benchTxs)
	}
	var next atomic.Int64
	var wg sync.WaitGroup
	b.ResetTimer()
	start := time.Now()
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= b.N {
					return
				}
				if _, err := n.pool.Add(benchTxs[i], chaintest.Now()); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "tx/s")
}
