package storage

import (
	"context"
	"fmt"
	"slices"
	"testing"

	"github.com/accountbot/accountbot/domain"
)

// TestSuggestionsForEveryUnknownName: a name that matches nothing gets up
// to three close names, whether the typo is in a one-word query against a
// longer name or across the whole name.
func TestSuggestionsForEveryUnknownName(t *testing.T) {
	ctx := context.Background()
	db, _ := openTemp(t)
	names := map[string]string{"gb": "Gringotts Bank", "gh": "Gringotts Holdings", "gv": "Gringotts Ventures", "gt": "Gringotts Trust",
		"sh": "Sterling Health", "g1": "Globex", "hs": "Hooli Systems", "ac": "Acme"}
	var ps []domain.Patch
	for id, n := range names {
		ps = append(ps, domain.Patch{ID: id, Core: acct(id, n, "ana@example.com")})
	}
	if _, err := db.Apply(ctx, ps); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		q    string
		want []string // suggestions that must be there (in any order); nil: none at all
		n    int      // how many suggestions
	}{
		{"gringots", []string{}, 3},          // one letter short of four names: three of them
		{"gringots bank", []string{"gb"}, 1}, // the whole name, one letter short
		{"holdngs", []string{"gh"}, 1},       // a misspelt second word
		{"sterlng", []string{"sh"}, 1},       // a misspelt first word
		{"helth", []string{"sh"}, 1},         // a misspelt last word
		{"globx", []string{"g1"}, 1},         // as before: the whole name
		{"hooly", []string{"hs"}, 1},         // a typo in the first word of two
		{"acne", []string{"ac"}, 1},          // a short name with one typo
		{"zzzzzz", nil, 0},                   // nothing close
		{"bank of nowhere at all", nil, 0},   // sharing a word is not close enough
		{"xyz", nil, 0},                      // short queries must match closely
	}
	for _, tt := range tests {
		r, err := db.Resolve(ctx, tt.q)
		if err != nil || len(r.IDs) != 0 {
			t.Fatalf("Resolve(%q) = %+v, %v; want no match", tt.q, r, err)
		}
		ok := len(r.Suggestions) == tt.n
		for _, id := range tt.want {
			ok = ok && slices.Contains(r.Suggestions, id)
		}
		if !ok {
			t.Errorf("Resolve(%q) suggests %v; want %d including %v", tt.q, r.Suggestions, tt.n, tt.want)
		}
	}
	if r, _ := db.Resolve(ctx, "gringots"); len(r.Suggestions) == 3 {
		for _, id := range r.Suggestions {
			if id[0] != 'g' || id == "g1" {
				t.Errorf("gringots suggests %v", r.Suggestions)
			}
		}
	}
}

// BenchmarkResolveUnknown100K measures the worst case of Resolve on a
// 100K-account book: nothing matches, so every indexed name is compared.
func BenchmarkResolveUnknown100K(b *testing.B) {
	ctx := context.Background()
	db, err := Open(ctx, b.TempDir(), Options{})
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	words := []string{"Acme", "Globex", "Initech", "Umbrella", "Hooli", "Stark", "Wayne", "Wonka", "Gringotts", "Sterling"}
	kinds := []string{"Health", "Systems", "Holdings", "Bank", "Labs", "Logistics", "Foods", "Energy", "Media", "Retail"}
	ps := make([]domain.Patch, 0, 100_000)
	for i := range 100_000 {
		id := fmt.Sprintf("acct-%06d", i)
		name := fmt.Sprintf("%s %s %d", words[i%10], kinds[(i/10)%10], i)
		ps = append(ps, domain.Patch{ID: id, Core: &domain.Account{ID: id, Name: name, ARR: 1, Currency: "USD"}})
	}
	if _, err := db.Apply(ctx, ps); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := db.Resolve(ctx, "gringots"); err != nil {
			b.Fatal(err)
		}
	}
}
