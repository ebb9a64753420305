package rpc

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"chainlab/address"
	"chainlab/chain"
	"chainlab/chain/chaintest"
)

// testNode is a real chain + mempool (chaintest engine, memory store) behind a real
// server on 127.0.0.1:0, with fakes for the p2p, staking and stats services.
type testNode struct {
	t      testing.TB
	chain  *chain.Chain
	engine *chaintest.Engine
	pool   *chain.Mempool
	srv    *Server
	cl     *Client
	net    *fakeNet
	stake  *fakeStaking
	stats  *fakeStats
	miner  *testMiner
	cookie string
	url    string

	mu      sync.Mutex
	stopped bool
	txs     []chain.Hash // TxAccepted calls
}

func newTestNode(t testing.TB, mod func(*Config)) *testNode {
	t.Helper()
	ch, eng := chaintest.NewMemChain(t, &chain.Config{AddrIndex: true, TxIndex: true})
	pool, err := chain.NewMempool(chain.MempoolConfig{Chain: ch})
	if err != nil {
		t.Fatal(err)
	}
	n := &testNode{t: t, chain: ch, engine: eng, pool: pool, net: newFakeNet(), stake: &fakeStaking{}, stats: &fakeStats{}}
	n.miner = &testMiner{n: n}
	n.cookie = filepath.Join(t.TempDir(), ".cookie")
	cfg := Config{
		Chain: ch, Mempool: pool, Net: n.net, Miner: n.miner, Staking: n.stake, BlockStats: n.stats,
		CookiePath: n.cookie, Now: chaintest.Now, Version: "test",
		Stop: func() { n.mu.Lock(); n.stopped = true; n.mu.Unlock() },
		TxAccepted: func(tx *chain.Tx, fee uint64) {
			n.mu.Lock()
			n.txs = append(n.txs, tx.TxID())
			n.mu.Unlock()
			n.srv.PublishTx(tx, fee)
		},
	}
	if mod != nil {
		mod(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	n.srv = srv
	n.url = srv.URL()
	if cfg.CookiePath != "" {
		n.cl, err = NewClient(n.url, WithCookieFile(cfg.CookiePath))
	} else {
		n.cl, err = NewClient(n.url, WithBasicAuth(cfg.User, cfg.Password))
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(n.cl.Close)
	return n
}

// process feeds a block to the chain the way node does: chain, mempool, events.
func (n *testNode) process(b *chain.Block) *chain.Result {
	n.t.Helper()
	res, err := n.chain.ProcessBlock(b, chaintest.Now())
	if err != nil {
		n.t.Fatalf("ProcessBlock: %v", err)
	}
	n.pool.Update(res)
	n.srv.PublishResult(res)
	return res
}

// mine builds and connects k blocks on the tip paying key 7, with pool transactions.
func (n *testNode) mine(k int) []chain.Hash {
	n.t.Helper()
	hs, err := n.miner.Generate(context.Background(), k, chaintest.PubKey(7), 0)
	if err != nil {
		n.t.Fatal(err)
	}
	return hs
}

func (n *testNode) addr(i int) string {
	return address.MustEncode(n.chain.Params().AddressPrefix, chaintest.PubKey(i))
}

// genesisSpend returns a signed tx spending genesis allocation i to key j.
func (n *testNode) genesisSpend(i, j int, value, fee uint64) *chain.Tx {
	g, _ := chain.GenesisBlock(n.chain.Params())
	op := chain.OutPoint{TxID: g.Txs[0].TxID(), Index: uint32(i)}
	return chaintest.Pay(op, g.Txs[0].Outputs[i], chaintest.Key(i), chaintest.PubKey(j), value, fee)
}

// testMiner implements MinerControl on the real chain: templates from the mempool,
// no proof of work (chaintest engine).
type testMiner struct {
	n     *testNode
	mu    sync.Mutex
	on    bool
	rate  float64
	extra uint64
}

func (m *testMiner) SetGenerate(on bool, threads int) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.on = on
	return nil
}

func (m *testMiner) Generating() bool { m.mu.Lock(); defer m.mu.Unlock(); return m.on }

func (m *testMiner) SetHashRate(hps float64) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.rate = hps
	return nil
}

func (m *testMiner) HashRate() float64 { m.mu.Lock(); defer m.mu.Unlock(); return m.rate }

func (m *testMiner) Generate(ctx context.Context, k int, payTo [32]byte, maxTries uint64) ([]chain.Hash, error) {
	var out []chain.Hash
	for i := 0; i < k; i++ {
		if err := ctx.Err(); err != nil {
			return out, err
		}
		m.mu.Lock()
		m.extra++
		extra := binary.LittleEndian.AppendUint64(nil, m.extra)
		m.mu.Unlock()
		tip := m.n.chain.TipHeader()
		now := time.Unix(int64(tip.Time)+1, 0)
		b, err := m.n.chain.NewTemplate(m.n.pool, chain.TemplateRequest{PayTo: payTo, Extra: extra, Now: now})
		if err != nil {
			return out, err
		}
		res, err := m.n.chain.ProcessBlock(b, chaintest.Now())
		if err != nil {
			return out, err
		}
		m.n.pool.Update(res)
		m.n.srv.PublishResult(res)
		m.n.stats.set(b.Hash(), BlockTiming{Received: chaintest.Now(), Local: true})
		out = append(out, b.Hash())
	}
	return out, nil
}

// rawPost sends body with the node's cookie credentials and returns status and body.
func (n *testNode) rawPost(body string) (int, string) {
	n.t.Helper()
	return n.rawPostAuth(body, true)
}

func (n *testNode) rawPostAuth(body string, auth bool) (int, string) {
	n.t.Helper()
	req, _ := http.NewRequest(http.MethodPost, n.url, bytes.NewReader([]byte(body)))
	if auth {
		u, p, err := ReadCookie(n.cookie)
		if err != nil {
			n.t.Fatal(err)
		}
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(u+":"+p)))
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		n.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// call runs a method through the typed-less client path and returns result or *Error.
func (n *testNode) call(method string, params ...any) (json.RawMessage, *Error) {
	n.t.Helper()
	var r json.RawMessage
	err := n.cl.Call(context.Background(), method, &r, params...)
	if err == nil {
		return r, nil
	}
	if e, ok := err.(*Error); ok {
		return nil, e
	}
	n.t.Fatalf("%s: transport error %v", method, err)
	return nil, nil
}

// wantErr asserts method fails with code (and, if non-empty, a message containing sub).
func (n *testNode) wantErr(code int, sub string, method string, params ...any) {
	n.t.Helper()
	_, e := n.call(method, params...)
	if e == nil {
		n.t.Fatalf("%s %v: want error %d, got success", method, params, code)
	}
	if e.Code != code || (sub != "" && !bytes.Contains([]byte(e.Message), []byte(sub))) {
		n.t.Fatalf("%s %v: want error %d %q, got %d %q", method, params, code, sub, e.Code, e.Message)
	}
}

// healthy asserts the server still answers.
func (n *testNode) healthy() {
	n.t.Helper()
	if _, err := n.cl.GetBlockCount(context.Background()); err != nil {
		n.t.Fatalf("server unhealthy: %v", err)
	}
}

var _ = fmt.Sprint
