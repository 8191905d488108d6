package bot

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestSanitize(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"plain text unchanged", "Globex — Tier 1 · €18.000", "Globex — Tier 1 · €18.000"},
		{"right-to-left override", "invoice_\u202Egnp.exe", "invoice_gnp.exe"},
		{"every embedding and override", "a\u202Ab\u202Bc\u202Cd\u202De\u202Ef", "abcdef"},
		{"isolates", "\u2066x\u2067y\u2068z\u2069", "xyz"},
		{"marks", "a\u200Eb\u200Fc\u061Cd", "abcd"},
		{"terminal escape", "Acme\x1b[2J\x1b]0;pwned\x07", "Acme\uFFFD[2J\uFFFD]0;pwned\uFFFD"},
		{"C1 control (CSI)", "a\u009B31mb", "a\uFFFD31mb"},
		{"NUL and DEL", "ana\x00x\x7f", "ana\uFFFDx\uFFFD"},
		{"CR LF and lone CR", "one\r\ntwo\rthree", "one\ntwo\nthree"},
		{"tab and newline kept", "a\tb\nc", "a\tb\nc"},
		{"invalid UTF-8", "a\xffb", "a\uFFFDb"},
		{"Arabic and Hebrew text kept", "شركة أكمي · חברה", "شركة أكمي · חברה"},
	}
	for _, tt := range tests {
		if got := Sanitize(tt.in); got != tt.want {
			t.Errorf("%s: Sanitize(%q) = %q, want %q", tt.name, tt.in, got, tt.want)
		}
	}
}

func TestSplitAndCut(t *testing.T) {
	bytes := func(r rune) int { return utf8.RuneLen(r) }
	tests := []struct {
		name      string
		in        string
		budget    int
		maxPieces int
		cost      func(rune) int
		want      []string
	}{
		{"fits", "short", 10, 3, Runes, []string{"short"}},
		{"split at spaces", "alpha beta gamma delta", 12, 5, Runes, []string{"alpha beta", "gamma delta"}},
		{"split mid-word when no space is near", strings.Repeat("x", 25), 10, 5, Runes, []string{strings.Repeat("x", 10), strings.Repeat("x", 10), strings.Repeat("x", 5)}},
		{"cut after the last piece", strings.Repeat("x", 30), 10, 2, Runes, []string{strings.Repeat("x", 10), "xxxxxx" + CutMark}},
		{"cost in bytes keeps runes whole", "ééééé", 9, 1, bytes, []string{"é" + CutMark}},
		{"one piece", "hello world", 8, 1, Runes, []string{"hell" + CutMark}},
	}
	for _, tt := range tests {
		got := Split(tt.in, tt.budget, tt.maxPieces, tt.cost)
		if strings.Join(got, "|") != strings.Join(tt.want, "|") {
			t.Errorf("%s: Split = %q, want %q", tt.name, got, tt.want)
		}
		for _, p := range got {
			if total(p, tt.cost) > tt.budget || !utf8.ValidString(p) {
				t.Errorf("%s: piece %q over budget or not UTF-8", tt.name, p)
			}
		}
	}
	if got := Cut(strings.Repeat("y", 100), 10, Runes); got != "yyyyyy"+CutMark {
		t.Errorf("Cut = %q", got)
	}
}

// TestRenderTextHostile feeds hostile text through every field of a
// message: the terminal output carries no bidi control and no control
// character other than newline, and an empty trend does not panic.
func TestRenderTextHostile(t *testing.T) {
	hostile := []string{
		"invoice_\u202Egnp.exe", "\u2067reversed\u2069", "\x1b[31mred\x1b[0m\x1b]0;title\x07", "a\u009B2Jb",
		"<!channel> <@U123> @everyone <at>everyone</at>", "{{DATE(2017-02-14T06:08:39Z, SHORT)}}",
		"[click](https://evil.example) *bold* <b>html</b>", strings.Repeat("huge ", 20000),
	}
	for _, h := range hostile {
		m := &Message{Title: h, Blocks: []Block{
			Section{Text: h, Fields: []Field{{Label: h, Value: h, Tone: ToneBad}}},
			List{Title: h, Items: []Item{{Text: h, Detail: h}}},
			Actions{Buttons: []Button{{Label: "Open " + h, ActionID: ActionOpenAccount, Value: "x"}}},
			Context{Text: h},
			Trend{Label: h, Points: []Point{{Label: h, Value: 1}, {Label: h, Value: 2}}},
			Trend{Label: h},
		}}
		out := RenderText(m)
		for _, r := range out {
			if isBidiControl(r) || r == '\r' || isControl(r) {
				t.Fatalf("%.40q: output contains %U", h, r)
			}
		}
	}
}

// FuzzSanitizeSplit: for any input, Sanitize leaves no bidi or control
// character and Split never exceeds its budget or piece count.
func FuzzSanitizeSplit(f *testing.F) {
	for _, s := range []string{"", "a b c", "\u202Egnp.exe", "\r\n\x00\x1b[0m", "\xff\xfe", strings.Repeat("é ", 50)} {
		f.Add(s, 12, 3)
	}
	f.Fuzz(func(t *testing.T, s string, budget, maxPieces int) {
		c := Sanitize(s)
		if !utf8.ValidString(c) || Sanitize(c) != c {
			t.Fatalf("Sanitize(%q) = %q: invalid or not idempotent", s, c)
		}
		for _, r := range c {
			if isBidiControl(r) || r == '\r' || isControl(r) {
				t.Fatalf("Sanitize(%q) kept %U", s, r)
			}
		}
		budget = 8 + int(uint(budget)%4000)
		maxPieces = 1 + int(uint(maxPieces)%6)
		pieces := Split(c, budget, maxPieces, Runes)
		if len(pieces) == 0 || len(pieces) > maxPieces {
			t.Fatalf("%d pieces, max %d", len(pieces), maxPieces)
		}
		for _, p := range pieces {
			if utf8.RuneCountInString(p) > budget || !utf8.ValidString(p) {
				t.Fatalf("piece %q over budget %d", p, budget)
			}
		}
	})
}
