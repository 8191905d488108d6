package domain

import (
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

// The byte-by-byte checks must accept exactly what the patterns they
// replaced accepted: the table holds the edges, then random strings over
// an alphabet of the characters that matter are compared with the pattern.
func TestValidatorsMatchTheirPatterns(t *testing.T) {
	checks := []struct {
		name    string
		pattern string
		fn      func(string) bool
		edges   []string
	}{
		{"ValidID", `^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$`, ValidID,
			[]string{"", "a", "9", "acme-1", "hubspot-10000000", "a.b_c:d-e", "-a", ".a", "a b", "a\x00", "é", "a/b",
				string(make([]byte, 128)), "a" + strings.Repeat("b", 127), "a" + strings.Repeat("b", 128)}},
		{"validEmail", `^[^@\s]+@[^@\s]+\.[^@\s]+$`, validEmail,
			[]string{"", "a@b.c", "ana@example.com", "@b.c", "a@.c", "a@b.", "a@bc", "a@@b.c", "a@b@c.d", "a b@c.d", "a@b.c\n",
				"a\t@b.c", "a@b\f.c", "a@b\r.c", "a@b\v.c", "é@ü.de", "a@b..c", "a@..", "a@x.", "\xff@b.c"}},
		{"validCurrency", `^[A-Z]{3}$`, validCurrency, []string{"", "USD", "usd", "US", "USDX", "U$D", "ÉUR"}},
		{"ValidSource", `^[a-z][a-z0-9_-]{0,31}$`, ValidSource,
			[]string{"", "crm", "hubspot", "a_b-1", "1a", "Crm", "a" + strings.Repeat("b", 31), "a" + strings.Repeat("b", 32), "a b"}},
	}
	alphabet := []string{"a", "Z", "0", "9", ".", "_", ":", "-", "@", " ", "\t", "\n", "\v", "\f", "\r", "é", "\xff", "/", "\x00"}
	rng := rand.New(rand.NewPCG(1, 2))
	for _, c := range checks {
		re := regexp.MustCompile(c.pattern)
		for _, s := range c.edges {
			if got, want := c.fn(s), re.MatchString(s); got != want {
				t.Errorf("%s(%q) = %v; the pattern says %v", c.name, s, got, want)
			}
		}
		for range 20000 {
			s := ""
			for n := rng.IntN(9); n > 0; n-- {
				s += alphabet[rng.IntN(len(alphabet))]
			}
			if got, want := c.fn(s), re.MatchString(s); got != want {
				t.Fatalf("%s(%q) = %v; the pattern says %v", c.name, s, got, want)
			}
		}
	}
}

// A clean account is valid, and each list element with a hidden character
// is named by its index (the names are built only for a problem).
func TestValidateNamesListElements(t *testing.T) {
	a := Account{ID: "hubspot-1", Name: "Acme", Owner: "ana@example.com", Currency: "USD", Aliases: []string{"A", "B"},
		Stakeholders: []Stakeholder{{Name: "Ann Lee", Function: "finance"}, {Name: "Bo"}}, ExternalIDs: ExternalIDs{"hubspot": "1"}}
	a.Normalize()
	if errs := a.Validate(); errs != nil {
		t.Fatalf("Validate = %v; want none", errs)
	}
	a.Stakeholders[1].Name = "B\u200bo"
	a.Aliases[1] = "B\x7f"
	got := map[string]bool{}
	for _, e := range a.Validate() {
		got[e.Field] = true
	}
	if !got["stakeholders[1].name"] || !got["aliases[1]"] || len(got) != 2 {
		t.Errorf("Validate named %v; want stakeholders[1].name and aliases[1]", got)
	}
}

func BenchmarkValidate(b *testing.B) {
	a := Account{ID: "hubspot-10000001", Name: "Company 10000001", Owner: "csm@example.com", Currency: "USD", ARR: 100000,
		Stakeholders: []Stakeholder{{Name: "Person 1", Role: "CFO", Function: "finance"}, {Name: "Person 2", Role: "Head of Operations", Function: "operations"}},
		ExternalIDs:  ExternalIDs{"hubspot": "10000001"}}
	for b.Loop() {
		if a.Validate() != nil {
			b.Fatal("invalid")
		}
	}
}
