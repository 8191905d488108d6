package storage

import (
	"bytes"
	"context"
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

// suggest scans the name index (keys only) for the three closest names.
func suggest(it *badger.Iterator, norm string) []string {
	type hit struct {
		id   string
		dist int
	}
	limit := max(2, len([]rune(norm))/3)
	var hits []hit
	for it.Rewind(); it.Valid(); it.Next() {
		k := it.Item().Key()[len(prefixNameIdx):]
		i := bytes.IndexByte(k, sep)
		name := string(k[:i])
		d := distance(norm, name)
		if strings.Contains(name, norm) && len(norm) >= 3 {
			d = min(d, 1)
		}
		if d <= limit {
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

// distance is the Levenshtein distance between a and b, by rune.
func distance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	cur := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev, cur = cur, prev
	}
	return prev[len(rb)]
}
