package bot

import (
	"context"
	"reflect"
	"strings"
	"testing"
)

func noop(context.Context, *Call) (Result, error) { return &HelpResult{}, nil }

func testRegistry() *Registry {
	r := NewRegistry()
	r.MustRegister(
		Verb{Noun: "account", Name: "", Result: &HelpResult{}, Run: noop},
		Verb{Noun: "account", Name: "health", Result: &HelpResult{}, Run: noop},
		Verb{Noun: "account", Name: "renewal", Result: &HelpResult{}, Run: noop},
		Verb{Noun: "account", Name: "note", Result: &HelpResult{}, Run: noop},
		Verb{Noun: "portfolio", Name: "top", Result: &HelpResult{}, Run: noop},
	)
	return r
}

// shape is what a test compares of a Parsed.
type shape struct {
	Noun, Target, Verb string
	Words              []string
	Longer             []string // targets of the longer readings
	Whole              string
}

func shapeOf(p Parsed) shape {
	s := shape{Noun: p.Noun, Target: p.Target, Verb: p.Verb, Words: p.Words()}
	for _, l := range p.Longer {
		s.Longer = append(s.Longer, l.Target)
	}
	if p.Whole != nil {
		s.Whole = p.Whole.Target
	}
	return s
}

func TestParse(t *testing.T) {
	reg := testRegistry()
	tests := []struct {
		in   string
		want shape
		err  bool
	}{
		{"account acme health", shape{Noun: "account", Target: "acme", Verb: "health", Words: []string{}, Whole: "acme health"}, false},
		{"  /account   Acme Corp   HEALTH ", shape{Noun: "account", Target: "Acme Corp", Verb: "health", Words: []string{}, Whole: "Acme Corp HEALTH"}, false},
		{"account acme", shape{Noun: "account", Target: "acme", Words: []string{}}, false},
		{`account "Health Corp" renewal`, shape{Noun: "account", Target: "Health Corp", Verb: "renewal", Words: []string{}, Whole: "Health Corp renewal"}, false},
		{"account renewal health", shape{Noun: "account", Target: "renewal", Verb: "health", Words: []string{}, Whole: "renewal health"}, false},
		{"account Sterling Health health", shape{Noun: "account", Target: "Sterling", Verb: "health", Words: []string{"health"},
			Longer: []string{"Sterling Health"}, Whole: "Sterling Health health"}, false},
		{`account acme note Met "Raj"  today`, shape{Noun: "account", Target: "acme", Verb: "note", Words: []string{"Met", "Raj", "today"}, Whole: "acme note Met Raj today"}, false},
		{"account “Smart Quotes Ltd” health", shape{Noun: "account", Target: "Smart Quotes Ltd", Verb: "health", Words: []string{}, Whole: "Smart Quotes Ltd health"}, false},
		{"account o'brien health", shape{Noun: "account", Target: "o'brien", Verb: "health", Words: []string{}, Whole: "o'brien health"}, false},
		{"portfolio top for ana", shape{Noun: "portfolio", Verb: "top", Words: []string{"for", "ana"}}, false},
		{"", shape{Noun: "help", Words: []string{}}, false},
		{"account", shape{}, true},
		{`account "open`, shape{}, true},
	}
	for _, tt := range tests {
		got, err := Parse(reg, tt.in)
		if (err != nil) != tt.err {
			t.Errorf("Parse(%q) err = %v", tt.in, err)
			continue
		}
		if !tt.err && !reflect.DeepEqual(shapeOf(got), tt.want) {
			t.Errorf("Parse(%q) = %#v, want %#v", tt.in, shapeOf(got), tt.want)
		}
	}
}

// TestBindWordsRoundTrips checks that free text keeps quotes, '=',
// newlines and non-ASCII exactly, and that typed arguments are read.
func TestBindWordsRoundTrips(t *testing.T) {
	reg := NewRegistry()
	e := &Engine{reg: reg}
	e.registerAccountVerbs()
	tests := []struct {
		in   string
		want Args
		err  string
	}{
		{"account acme note He said \"hi\" = yes\nSecond line: Zürich ✓ 東京", Args{"text": {Text: "He said \"hi\" = yes\nSecond line: Zürich ✓ 東京", Given: true}}, ""},
		{`account acme note "QBR booked for 12 Dec"`, Args{"text": {Text: "QBR booked for 12 Dec", Given: true}}, ""},
		{`account acme note 5" screen, rate=3`, Args{"text": {Text: `5" screen, rate=3`, Given: true}}, ""},
		{`account acme outcome won seats $12,000.50 note: "quoted" a=b`, Args{"result": {Text: "won", Given: true}, "motion": {Text: "seats", Given: true},
			"arr": {Text: "$12,000.50", Int: 1200050, Given: true}, "note": {Text: `note: "quoted" a=b`, Given: true}}, ""},
		{`account acme outcome lost note=it's "over"=done`, Args{"result": {Text: "lost", Given: true}, "note": {Text: `it's "over"=done`, Given: true}}, ""},
		{`account acme outcome lost note="a b"`, Args{"result": {Text: "lost", Given: true}, "note": {Text: `a b`, Given: true}}, ""},
		{"account acme outcome pending - 5000", Args{"result": {Text: "pending", Given: true}, "arr": {Text: "5000", Int: 500000, Given: true}}, ""},
		{"account acme snooze", Args{"days": {Text: "7", Int: 7}}, ""},
		{"account acme snooze 400", nil, "days must be a whole number from 1 to 365"},
		{"account acme renewal draft", Args{"renewal": {}, "draft": {Flag: true, Given: true}}, ""},
		{"account acme roi rate=80 hours_per_week=2.5", Args{"rate": {Text: "80", Int: 8000, Given: true}, "hours_per_week": {Text: "2.5", Int: 250, Given: true}}, ""},
		{"account acme roi speed=3", nil, `"speed=3" is not an input of ` + "`account roi`"},
		{"account acme health now", nil, `I didn't expect "now" here`},
		{"account acme signal champion-left Mia left", Args{"kind": {Text: "champion_left", Given: true}, "note": {Text: "Mia left", Given: true}}, ""},
		{`account acme signal "gossip`, nil, "never closed"},
		{`account acme note ""`, nil, "What should the note say?"},
		{`account acme outcome`, nil, "Usage: account <name> outcome"},
	}
	for _, tt := range tests {
		p, err := Parse(reg, tt.in)
		if err != nil {
			t.Fatalf("%q: %v", tt.in, err)
		}
		v, _ := reg.Lookup(p.Noun, p.Verb)
		got, err := v.bindWords(p, "USD")
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("%q: err = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		delete(tt.want, "renewal")
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%q:\n got %#v %v\nwant %#v", tt.in, got, err, tt.want)
		}
	}
}

func TestRegistryRejectsDuplicates(t *testing.T) {
	reg := testRegistry()
	if err := reg.Register(Verb{Noun: "account", Name: "health", Result: &HelpResult{}, Run: noop}); err == nil {
		t.Error("duplicate verb accepted")
	}
	if err := reg.Register(Verb{Noun: "account", Name: "score", Aliases: []string{"renewal"}, Result: &HelpResult{}, Run: noop}); err == nil {
		t.Error("alias colliding with a verb accepted")
	}
	if err := reg.Register(Verb{Noun: "account", Name: "x", Args: []Arg{{Name: "a"}, {Name: "a"}}, Result: &HelpResult{}, Run: noop}); err == nil {
		t.Error("duplicate argument accepted")
	}
	h, _ := reg.Help("")
	help := RenderText(reply(h))
	if !strings.Contains(help, "account <name> health") || !strings.Contains(help, "portfolio top") {
		t.Errorf("help = %s", help)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"account acme health", `account "a b" note "x y"`, "portfolio top for ana", "account “x", "help account", "\x00\xff"} {
		f.Add(s)
	}
	reg := NewRegistry()
	(&Engine{reg: reg}).registerAccountVerbs()
	f.Fuzz(func(t *testing.T, s string) {
		p, err := Parse(reg, s)
		if err == nil && p.Noun == "" {
			t.Fatalf("Parse(%q) gave no noun", s)
		}
		if v, ok := reg.Lookup(p.Noun, p.Verb); err == nil && ok {
			v.bindWords(p, "USD") // must not panic
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

func TestCommandText(t *testing.T) {
	tests := []struct{ noun, in, want string }{
		{"account", "", "help"},
		{"account", "  ", "help"},
		{"account", "acme health", "account acme health"},
		{"account", "Help", "Help"},
		{"account", "portfolio top", "portfolio top"},
		{"account", "accounts acme", "accounts acme"},
		{"account", "account\nacme", "account\nacme"},
		{"account", "?", "?"},
		{"portfolio", "top for ana", "portfolio top for ana"},
		{"portfolio", "", "portfolio"},
	}
	for _, tt := range tests {
		if got := CommandText(tt.noun, tt.in); got != tt.want {
			t.Errorf("CommandText(%q, %q) = %q, want %q", tt.noun, tt.in, got, tt.want)
		}
	}
}
