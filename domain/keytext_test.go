package domain

import "testing"

func TestHiddenRune(t *testing.T) {
	tests := []struct {
		in   string
		want rune
		at   int
		bad  bool
	}{
		{"ana@example.com", 0, 0, false},
		{"Zürich Café 東京 👍", 0, 0, false},
		{"ana\x00x@example.com", 0, 3, true},
		{"tab\there", '\t', 3, true},
		{"del\x7f", 0x7f, 3, true},
		{"c1\u0085", 0x85, 2, true},
		{"gnp\u202eexe", 0x202e, 3, true},
		{"iso\u2066late", 0x2066, 3, true},
		{"zero\u200bwidth", 0x200b, 4, true},
		{"\ufeffbom", 0xfeff, 0, true},
		{"line\u2028sep", 0x2028, 4, true},
		{"bad\xffutf8", 0xfffd, 3, true},
		{"real \ufffd replacement", 0, 0, false}, // a visible character, correctly encoded
	}
	for _, tt := range tests {
		r, at, bad := HiddenRune(tt.in)
		if bad != tt.bad || bad && (r != tt.want || at != tt.at) {
			t.Errorf("HiddenRune(%q) = %U, %d, %v; want %U, %d, %v", tt.in, r, at, bad, tt.want, tt.at, tt.bad)
		}
	}
}

func TestValidateRefusesHiddenCharactersInKeyParts(t *testing.T) {
	a := Account{ID: "a1", Name: "Acme\u202e", Aliases: []string{"ok", "b\x00d"}, Owner: "ana\x00x@example.com", Currency: "USD",
		Stakeholders: []Stakeholder{{Name: "Bo\u200d"}}}
	a.Normalize()
	got := map[string]bool{}
	for _, e := range a.Validate() {
		got[e.Field] = true
	}
	for _, f := range []string{"name", "aliases[1]", "owner", "stakeholders[0].name"} {
		if !got[f] {
			t.Errorf("Validate did not refuse %s; got %v", f, a.Validate())
		}
	}
	if got["aliases[0]"] {
		t.Error("a clean alias was refused")
	}
}
