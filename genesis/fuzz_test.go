package genesis

import (
	"bytes"
	"errors"
	"reflect"
	"testing"
)

// FuzzParse feeds arbitrary bytes to the strict genesis parser:
//
//	go test ./genesis -run '^$' -fuzz '^FuzzParse$' -fuzztime 20s
//
// Parse must never panic, every failure must be a *Error (which names the field when there
// is one), and whatever it accepts must validate, re-marshal canonically and parse back to
// the same parameters.
func FuzzParse(f *testing.F) {
	for _, name := range PresetNames() {
		p, _ := Preset(name)
		b, err := p.Marshal()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	pow := PowDev()
	pow.PoW.Algorithm = AlgoBitcoin
	pow.PoW.RetargetWindow = 0 // default applied
	pow.Allocations = pow.Allocations[:1]
	b, _ := pow.Marshal()
	f.Add(b)
	fixed := PowDev()
	fixed.PoW.Algorithm = AlgoFixed
	fixed.Allocations = nil
	b, _ = fixed.Marshal()
	f.Add(b)
	f.Add([]byte(`{}`))
	f.Add([]byte(`{"network":"x","consensus":"pow","pow":{}}`))
	f.Add([]byte(`{"network":"n","address_prefix":"ab","magic":1,"time":1,"consensus":"pos","pos":{"slot_ms":100,"epoch_slots":2,"validators":[]}}`))
	f.Add([]byte(`[1,2]`))
	f.Add([]byte(`{"subsidy": -1}`))
	f.Fuzz(func(t *testing.T, in []byte) {
		p, err := Parse(in)
		if err != nil {
			var ge *Error
			if !errors.As(err, &ge) {
				t.Fatalf("error %v (%T) is not a *genesis.Error", err, err)
			}
			return
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("accepted params do not validate: %v", err)
		}
		out, err := p.Marshal()
		if err != nil {
			t.Fatalf("marshal: %v", err)
		}
		q, err := Parse(out)
		if err != nil {
			t.Fatalf("re-parse of own output: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(p, q) {
			t.Fatalf("round trip changed the parameters:\n%+v\n%+v", p, q)
		}
		out2, _ := q.Marshal()
		if !bytes.Equal(out, out2) {
			t.Fatalf("marshal not canonical:\n%s\n%s", out, out2)
		}
		if !reflect.DeepEqual(p.Clone(), p) {
			t.Fatal("Clone differs")
		}
		_ = p.BlockSubsidy(1 << 40)
	})
}
