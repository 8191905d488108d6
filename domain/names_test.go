package domain

import (
	"fmt"
	"testing"
)

func TestParseNameQuery(t *testing.T) {
	tests := []struct{ in, id, norm string }{
		{"  acme-01 ", "acme-01", "acme01"},
		{"Acme Corp", "", "acmecorp"},
		{"...", "", ""},
	}
	for _, tt := range tests {
		if q := ParseNameQuery(tt.in); q.ID != tt.id || q.Norm != tt.norm {
			t.Errorf("ParseNameQuery(%q) = %+v", tt.in, q)
		}
	}
}

func TestAddMatchIsUniqueAndBounded(t *testing.T) {
	var ids []string
	more := true
	for i := 0; more; i++ {
		ids, _ = AddMatch(ids, fmt.Sprint(i)) // a second name of the same account
		ids, more = AddMatch(ids, fmt.Sprint(i))
	}
	if len(ids) != MaxPrefixMatches || ids[0] != "0" {
		t.Errorf("matches = %v", ids)
	}
}

// suggest offers every name in index order, as a backend does.
func suggest(q string, names [][2]string) []string {
	s := NewSuggester(NormalizeName(q))
	for _, n := range names {
		s.Offer([]byte(NormalizeName(n[0])), []byte(n[1]))
	}
	return s.Suggestions()
}

func TestSuggester(t *testing.T) {
	book := [][2]string{{"Gringotts Bank", "gb"}, {"Gringotts Holdings", "gh"}, {"Gringotts Ventures", "gv"}, {"Gringotts Trust", "gt"},
		{"Sterling Health", "sh"}, {"Globex", "g1"}, {"Hooli Systems", "hs"}, {"Acme", "ac"}}
	tests := []struct{ q, want string }{
		{"gringots", "[gb gh gt]"}, // four at the same distance: by name, three of them
		{"gringots bank", "[gb]"},  // the whole name, one letter short
		{"holdngs", "[gh]"},        // a misspelt second word
		{"sterlng", "[sh]"},        // a misspelt first word
		{"helth", "[sh]"},
		{"globx", "[g1]"},
		{"hooly", "[hs]"},
		{"acne", "[ac]"},
		{"zzzzzz", "[]"},
		{"bank of nowhere at all", "[]"}, // sharing a word is not close enough
		{"xyz", "[]"},                    // short queries must match closely
	}
	for _, tt := range tests {
		if got := fmt.Sprint(suggest(tt.q, book)); got != tt.want {
			t.Errorf("suggestions for %q = %s, want %s", tt.q, got, tt.want)
		}
	}
}

// Ties rank by distance (a part match counts one more than its own),
// then name, then id, in whatever order a backend offers the names.
func TestSuggesterTies(t *testing.T) {
	names := [][2]string{{"Globez", "z2"}, {"Globex", "z1"}, {"Globex", "a9"}, {"Globe", "m1"}, {"Globex Holdings", "h1"}}
	reversed := [][2]string{names[4], names[3], names[2], names[1], names[0]}
	tests := []struct{ q, want string }{
		{"globe", "[m1 a9 z1]"},   // exact first, then distance 1 by name: globex (by id), globexholdings (a part), globez
		{"globx", "[m1 a9 z1]"},   // globe and globex at distance 1, by name then id
		{"holdings", "[h1]"},      // only as a part
		{"globexholdngs", "[h1]"}, // a part is of the name, not of the query
	}
	for _, tt := range tests {
		a, b := fmt.Sprint(suggest(tt.q, names)), fmt.Sprint(suggest(tt.q, reversed))
		if a != tt.want || b != tt.want {
			t.Errorf("suggestions for %q = %s (reversed offers: %s), want %s", tt.q, a, b, tt.want)
		}
	}
}
