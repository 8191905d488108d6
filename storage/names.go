package storage

import (
	"bytes"
	"context"
	"slices"
	"sort"
	"strings"

	"github.com/dgraph-io/badger/v4"

	"github.com/accountbot/accountbot/domain"
)

// Resolve finds accounts by id, name or alias, case- and punctuation-
// insensitively: an exact id wins, then an exact name or alias, then names
// that start with the query. With no match it suggests up to three close
// names by edit distance.
func (s *DB) Resolve(ctx context.Context, query string) (domain.Resolution, error) {
	var res domain.Resolution
	q := strings.TrimSpace(query)
	norm := domain.NormalizeName(q)
	err := s.db.View(func(txn *badger.Txn) error {
		if domain.ValidID(q) {
			if _, err := txn.Get(accountKey(q)); err == nil {
				res.IDs = []string{q}
				return nil
			}
		}
		if norm == "" {
			return nil
		}
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixNameIdx})
		defer it.Close()
		exact := join(prefixNameIdx, []byte(norm), []byte{sep})
		for it.Seek(exact); it.ValidForPrefix(exact); it.Next() {
			res.IDs = appendUnique(res.IDs, string(it.Item().Key()[len(exact):]))
		}
		if len(res.IDs) > 0 {
			return nil
		}
		pre := join(prefixNameIdx, []byte(norm))
		for it.Seek(pre); it.ValidForPrefix(pre); it.Next() {
			res.IDs = appendUnique(res.IDs, idAfterSep(it.Item().Key()))
			if len(res.IDs) > 10 {
				break
			}
		}
		if len(res.IDs) > 0 {
			return nil
		}
		res.Suggestions = suggest(it, norm)
		return nil
	})
	return res, err
}

func appendUnique(ids []string, id string) []string {
	for _, x := range ids {
		if x == id {
			return ids
		}
	}
	return append(ids, id)
}

// suggest scans the name index (keys only) for the three closest names:
// close by edit distance to the whole normalised name ("globx" for
// "Globex"), or, for queries of three letters or more, to the closest part
// of it, so a misspelt word of a longer name is found too ("gringots" for
// "Gringotts Bank"). Whole-name matches rank before part matches at the
// same distance. The distances stop early once past their limit, so the
// scan stays cheap on a large book.
func suggest(it *badger.Iterator, norm string) []string {
	type hit struct {
		id   string
		dist int
	}
	q := []rune(norm)
	whole := max(2, len(q)/3)
	part := -1
	if len(q) >= 3 {
		part = len(q) / 4 // 3 letters: only as they are; 8: two edits
	}
	var ed editDistance
	var hits []hit
	for it.Rewind(); it.Valid(); it.Next() {
		k := it.Item().Key()[len(prefixNameIdx):]
		i := bytes.IndexByte(k, sep)
		if i < 0 {
			continue
		}
		d := ed.within(q, k[:i], whole, false)
		if d > whole && part >= 0 {
			if pd := ed.within(q, k[:i], part, true); pd <= part {
				d = pd + 1
			}
		}
		if d <= whole {
			hits = append(hits, hit{string(k[i+1:]), d})
		}
	}
	sort.SliceStable(hits, func(i, j int) bool { return hits[i].dist < hits[j].dist })
	var out []string
	for _, h := range hits {
		out = appendUnique(out, h.id)
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
	if !part && abs(len(a)-len(rb)) > limit {
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

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}
