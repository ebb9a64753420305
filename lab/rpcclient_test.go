package lab

import (
	"encoding/json"
	"testing"

	"chainlab/rpc"
)

func TestDecodeEvent(t *testing.T) {
	enc := func(v any) json.RawMessage { b, _ := json.Marshal(v); return b }
	slot := uint64(7)
	ev, err := decodeEvent(rpc.Notification{Topic: rpc.TopicNewBlock, Result: enc(rpc.NewBlockEvent{Hash: "aa", Height: 5, Prev: "bb", Time: 9, Size: 300, Slot: &slot, Proposer: "cc"})})
	if err != nil || ev.Kind != EvNewBlock || ev.Hash != "aa" || ev.Prev != "bb" || ev.Height != 5 || ev.Proposer != "cc" || ev.Size != 300 {
		t.Fatalf("newblock %+v %v", ev, err)
	}
	ev, err = decodeEvent(rpc.Notification{Topic: rpc.TopicReorg, Result: enc(rpc.ReorgEvent{Depth: 2, OldTip: "o", NewTip: "n", ForkHeight: 10, Connected: []string{"x", "y", "n"}})})
	if err != nil || ev.Kind != EvReorg || ev.Depth != 2 || ev.Hash != "n" || ev.OldTip != "o" || ev.Height != 13 {
		t.Fatalf("reorg %+v %v", ev, err)
	}
	ev, err = decodeEvent(rpc.Notification{Topic: rpc.TopicFinalized, Result: enc(rpc.CheckpointEvent{Finalized: true, Epoch: 3, Root: "r", Height: 24})})
	if err != nil || ev.Kind != EvFinalized || ev.Epoch != 3 || ev.Hash != "r" || ev.Height != 24 {
		t.Fatalf("finalized %+v %v", ev, err)
	}
	if _, err := decodeEvent(rpc.Notification{Topic: "newtx", Result: enc(map[string]any{})}); err == nil {
		t.Fatal("unexpected topic accepted")
	}
}
