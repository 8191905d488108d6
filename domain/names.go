package domain

import (
	"cmp"
	"slices"
	"strings"
)

// How Resolve ranks what a user typed against account ids, names and
// aliases. A backend looks candidates up in its indexes, in the order
// below, and lets these rules decide; names are always compared in their
// NormalizeName form (the NameKeys of each account):
//
//  1. the query as an account id (NameQuery.ID), when that account exists;
//  2. else every account with a name or alias equal to NameQuery.Norm;
//  3. else the accounts with a name or alias starting with it: the first
//     MaxPrefixMatches distinct ids in (name, id) order (AddMatch);
//  4. else up to three suggestions (Suggester).

// NameQuery is what the user typed, ready for the lookups above.
type NameQuery struct {
	ID   string // the trimmed query when it is a valid account id, else ""
	Norm string // its NormalizeName form; "": match no name
}

// ParseNameQuery prepares a Resolve query.
func ParseNameQuery(query string) NameQuery {
	q := strings.TrimSpace(query)
	nq := NameQuery{Norm: NormalizeName(q)}
	if ValidID(q) {
		nq.ID = q
	}
	return nq
}

// MaxPrefixMatches bounds the accounts a prefix query returns: enough to
// show the user what is ambiguous, not a listing of the book.
const MaxPrefixMatches = 11

// AddMatch adds id to the matches unless it is there already (an account
// matches once, whether by its name or by aliases), and reports whether
// there is room for more.
func AddMatch(ids []string, id string) ([]string, bool) {
	if !slices.Contains(ids, id) {
		ids = append(ids, id)
	}
	return ids, len(ids) < MaxPrefixMatches
}

// Suggester picks the "did you mean" accounts for a query that matched
// nothing: up to three whose name is close by edit distance to the whole
// normalised query ("globx" for "Globex"), or, for queries of three
// letters or more, to the closest part of the name, so that a misspelt
// word of a longer name is found too ("gringots" for "Gringotts Bank").
// Closer names rank first (a part match counts one more than its
// distance, so it ranks after whole-name matches as close), then by name
// and id, whatever order the names were offered in. Distances stop early once past
// their limit, so offering it every name of a large book stays cheap.
type Suggester struct {
	q           []rune
	whole, part int // distance limits; part < 0: no part matches
	ed          editDistance
	hits        []suggestion
}

type suggestion struct {
	name, id string
	dist     int
}

// NewSuggester starts suggestions for a normalised query.
func NewSuggester(norm string) *Suggester {
	q := []rune(norm)
	s := &Suggester{q: q, whole: max(2, len(q)/3), part: -1}
	if len(q) >= 3 {
		s.part = len(q) / 4 // 3 letters: only as they are; 8: two edits
	}
	return s
}

// Offer considers one indexed name (normalised) of account id. The
// arguments are bytes so that a backend can pass its index keys without
// copying; they are copied only when kept.
func (s *Suggester) Offer(name, id []byte) {
	d := s.ed.within(s.q, name, s.whole, false)
	if d > s.whole && s.part >= 0 {
		if pd := s.ed.within(s.q, name, s.part, true); pd <= s.part {
			d = pd + 1
		}
	}
	if d <= s.whole {
		s.hits = append(s.hits, suggestion{string(name), string(id), d})
	}
}

// Suggestions returns the ids of the closest names, at most three.
func (s *Suggester) Suggestions() []string {
	slices.SortFunc(s.hits, func(a, b suggestion) int {
		return cmp.Or(cmp.Compare(a.dist, b.dist), strings.Compare(a.name, b.name), strings.Compare(a.id, b.id))
	})
	var out []string
	for _, h := range s.hits {
		if !slices.Contains(out, h.id) {
			out = append(out, h.id)
		}
		if len(out) == 3 {
			break
		}
	}
	return out
}

// editDistance computes Levenshtein distances by rune, reusing its rows
// between calls.
type editDistance struct {
	b, prev, cur []int
}

// within returns the edit distance between a and b, or limit+1 when it is
// larger than limit. With part, it is the distance between a and the
// closest substring of b (free to start and end anywhere in b).
func (e *editDistance) within(a []rune, b []byte, limit int, part bool) int {
	e.b = e.b[:0]
	for _, r := range string(b) {
		e.b = append(e.b, int(r))
	}
	rb := e.b
	if !part && absInt(len(a)-len(rb)) > limit {
		return limit + 1
	}
	e.prev = slices.Grow(e.prev[:0], len(rb)+1)[:len(rb)+1]
	e.cur = slices.Grow(e.cur[:0], len(rb)+1)[:len(rb)+1]
	prev, cur := e.prev, e.cur
	for j := range prev {
		prev[j] = j
		if part {
			prev[j] = 0
		}
	}
	for i := 1; i <= len(a); i++ {
		cur[0] = i
		rowMin := i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if int(a[i-1]) == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			rowMin = min(rowMin, cur[j])
		}
		if rowMin > limit {
			return limit + 1 // row minima never decrease
		}
		prev, cur = cur, prev
	}
	d := prev[len(rb)]
	if part {
		d = slices.Min(prev)
	}
	return min(d, limit+1)
}

func absInt(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
