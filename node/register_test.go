package node

import (
	"context"
	"encoding/hex"
	"testing"
	"time"

	"chainlab/genesis"
	"chainlab/rpc"
)

// A PoS node started without keys produces nothing; once its validator key is registered
// over RPC it proposes blocks.
func TestRegisterValidatorOverRPC(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for wall-clock slots")
	}
	p := posParams(1)
	n := testNode(t, p, nil)
	c, err := rpc.NewClient(n.RPCURL(), rpc.WithCookieFile(n.CookiePath()))
	if err != nil {
		t.Fatal(err)
	}
	if _, h := n.Chain().Tip(); h != 0 {
		t.Fatalf("height %d before any key", h)
	}
	key := genesis.DevKey("validator", 0)
	got, err := c.RegisterValidator(context.Background(), key.Serialize())
	if err != nil {
		t.Fatal(err)
	}
	want := genesis.XOnly(key)
	if got != hex.EncodeToString(want[:]) {
		t.Fatalf("registered %s, want %x", got, want)
	}
	waitFor(t, 20*time.Second, "blocks from the registered validator", func() bool {
		_, h := n.Chain().Tip()
		return h >= 2
	})
	if _, err := c.RegisterValidator(context.Background(), []byte{1, 2}); err == nil {
		t.Fatal("a 2-byte key was accepted")
	}
}
