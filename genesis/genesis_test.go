package genesis

import (
	"errors"
	"strings"
	"testing"
)

func TestPresetsValidAndRoundTrip(t *testing.T) {
	for _, name := range PresetNames() {
		p, ok := Preset(name)
		if !ok {
			t.Fatalf("preset %s missing", name)
		}
		if err := p.Validate(); err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		b, err := p.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		q, err := Parse(b)
		if err != nil {
			t.Fatalf("%s reparse: %v", name, err)
		}
		b2, _ := q.Marshal()
		if string(b) != string(b2) {
			t.Fatalf("%s: not canonical", name)
		}
	}
}

func TestParseErrorsNameField(t *testing.T) {
	base, _ := PowDev().Marshal()
	cases := []struct {
		name, from, to, field string
	}{
		{"typo", `"subsidy"`, `"subsidyy"`, "subsidyy"},
		{"bad address", `"address": "clpow1`, `"address": "clpow1x`, "allocations[0].address"},
		{"bad algo", `"asert"`, `"sha3"`, "pow.algorithm"},
		{"zero spacing", `"target_spacing": 5`, `"target_spacing": 0`, "pow.target_spacing"},
		{"wrong type", `"magic": 3249123489`, `"magic": "x"`, "magic"},
		{"consensus", `"consensus": "pow"`, `"consensus": "pob"`, "consensus"},
	}
	for _, c := range cases {
		s := strings.Replace(string(base), c.from, c.to, 1)
		if s == string(base) {
			t.Fatalf("%s: replacement did not apply", c.name)
		}
		_, err := Parse([]byte(s))
		var ge *Error
		if !errors.As(err, &ge) {
			t.Fatalf("%s: got %v, want *Error", c.name, err)
		}
		if ge.Field != c.field {
			t.Fatalf("%s: field %q, want %q (%v)", c.name, ge.Field, c.field, err)
		}
	}
	if _, err := Parse([]byte("{")); err == nil {
		t.Fatal("truncated JSON accepted")
	}
	if _, err := Parse(append(base, []byte("{}")...)); err == nil {
		t.Fatal("trailing data accepted")
	}
}

func TestPosPresetValidators(t *testing.T) {
	p := PosDev(4)
	if len(p.PoS.Validators) != 4 {
		t.Fatal("validators")
	}
	b, _ := p.Marshal()
	s := strings.Replace(string(b), p.PoS.Validators[0].Key, "abcd", 1)
	_, err := Parse([]byte(s))
	var ge *Error
	if !errors.As(err, &ge) || ge.Field != "pos.validators[0].key" {
		t.Fatalf("got %v", err)
	}
}

func TestSubsidyHalving(t *testing.T) {
	p := PowDev()
	p.HalvingInterval = 10
	if p.BlockSubsidy(9) != 50*Coin || p.BlockSubsidy(10) != 25*Coin || p.BlockSubsidy(10*64) != 0 {
		t.Fatal("halving")
	}
}

func TestAllocationsCappedAtMaxMoney(t *testing.T) {
	p := PowDev()
	p.Allocations[0].Amount = MaxMoney
	err := p.Validate()
	var ge *Error
	if !errors.As(err, &ge) || ge.Field != "allocations[1].amount" {
		t.Fatalf("total over MaxMoney: %v", err)
	}
	p = PowDev()
	p.Allocations = p.Allocations[:1]
	p.Allocations[0].Amount = MaxMoney
	if err := p.Validate(); err != nil {
		t.Fatalf("exactly MaxMoney refused: %v", err)
	}
}
