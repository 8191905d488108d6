package bot

import (
	"context"
	"reflect"
	"strings"
	"testing"
)

func testRegistry() *Registry {
	r := NewRegistry()
	noop := func(context.Context, *Call) (*Message, error) { return nil, nil }
	r.MustRegister(
		Verb{Noun: "account", Name: "", Run: noop},
		Verb{Noun: "account", Name: "health", Run: noop},
		Verb{Noun: "account", Name: "renewal", Run: noop},
		Verb{Noun: "account", Name: "note", Run: noop},
		Verb{Noun: "portfolio", Name: "top", Run: noop},
	)
	return r
}

func TestParse(t *testing.T) {
	reg := testRegistry()
	tests := []struct {
		in   string
		want Parsed
		err  bool
	}{
		{"account acme health", Parsed{Noun: "account", Target: "acme", Verb: "health", Args: []string{}}, false},
		{"  /account   Acme Corp   HEALTH ", Parsed{Noun: "account", Target: "Acme Corp", Verb: "health", Args: []string{}}, false},
		{"account acme", Parsed{Noun: "account", Target: "acme"}, false},
		{`account "Health Corp" renewal`, Parsed{Noun: "account", Target: "Health Corp", Verb: "renewal", Args: []string{}}, false},
		{"account renewal health", Parsed{Noun: "account", Target: "renewal", Verb: "health", Args: []string{}}, false},
		{"account Sterling Health health", Parsed{Noun: "account", Target: "Sterling", Verb: "health", Args: []string{"health"}, Rest: "health",
			Longer: []Parsed{{Noun: "account", Target: "Sterling Health", Verb: "health", Args: []string{}}}}, false},
		{`account acme note Met "Raj"  today`, Parsed{Noun: "account", Target: "acme", Verb: "note", Args: []string{"Met", "Raj", "today"}, Rest: `Met "Raj"  today`}, false},
		{"account “Smart Quotes Ltd” health", Parsed{Noun: "account", Target: "Smart Quotes Ltd", Verb: "health", Args: []string{}}, false},
		{"account o'brien health", Parsed{Noun: "account", Target: "o'brien", Verb: "health", Args: []string{}}, false},
		{"portfolio top for ana", Parsed{Noun: "portfolio", Verb: "top", Args: []string{"for", "ana"}, Rest: "for ana"}, false},
		{"", Parsed{Noun: "help"}, false},
		{"account", Parsed{}, true},
		{`account "open`, Parsed{}, true},
	}
	for _, tt := range tests {
		got, err := Parse(reg, tt.in)
		if (err != nil) != tt.err {
			t.Errorf("Parse(%q) err = %v", tt.in, err)
			continue
		}
		if !tt.err && !reflect.DeepEqual(got, tt.want) {
			t.Errorf("Parse(%q) = %#v, want %#v", tt.in, got, tt.want)
		}
	}
}

func TestRegistryRejectsDuplicates(t *testing.T) {
	reg := testRegistry()
	noop := func(context.Context, *Call) (*Message, error) { return nil, nil }
	if err := reg.Register(Verb{Noun: "account", Name: "health", Run: noop}); err == nil {
		t.Error("duplicate verb accepted")
	}
	if err := reg.Register(Verb{Noun: "account", Name: "score", Aliases: []string{"renewal"}, Run: noop}); err == nil {
		t.Error("alias colliding with a verb accepted")
	}
	help := RenderText(reg.Help(""))
	if !strings.Contains(help, "account <name> health") || !strings.Contains(help, "portfolio top") {
		t.Errorf("help = %s", help)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"account acme health", `account "a b" note "x y"`, "portfolio top for ana", "account “x", "help account", "\x00\xff"} {
		f.Add(s)
	}
	reg := testRegistry()
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(reg, s)
		if err == nil && p.Noun == "" {
			t.Fatalf("Parse(%q) gave no noun", s)
		}
	})
}

func TestSparkline(t *testing.T) {
	if got := Sparkline([]float64{0, 7, 14}); got != "▁▄█" {
		t.Errorf("Sparkline = %q", got)
	}
	if got := Sparkline([]float64{5, 5}); got != "▁▁" {
		t.Errorf("flat = %q", got)
	}
}
