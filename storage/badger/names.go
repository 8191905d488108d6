package badger

import (
	"bytes"
	"context"

	"github.com/dgraph-io/badger/v4"

	"github.com/accountbot/accountbot/domain"
)

// Resolve finds accounts by id, name or alias, ranked by domain's name
// rules (see domain.ParseNameQuery): this reads the name index in the
// order they ask for.
func (s *DB) Resolve(ctx context.Context, query string) (domain.Resolution, error) {
	var res domain.Resolution
	q := domain.ParseNameQuery(query)
	err := s.db.View(func(txn *badger.Txn) error {
		if q.ID != "" {
			if _, err := txn.Get(accountKey(q.ID)); err == nil {
				res.IDs = []string{q.ID}
				return nil
			}
		}
		if q.Norm == "" {
			return nil
		}
		it := txn.NewIterator(badger.IteratorOptions{Prefix: prefixNameIdx})
		defer it.Close()
		exact := join(prefixNameIdx, []byte(q.Norm), []byte{sep})
		for it.Seek(exact); it.ValidForPrefix(exact); it.Next() {
			res.IDs, _ = domain.AddMatch(res.IDs, string(it.Item().Key()[len(exact):]))
		}
		if len(res.IDs) > 0 {
			return nil
		}
		pre := join(prefixNameIdx, []byte(q.Norm))
		for it.Seek(pre); it.ValidForPrefix(pre); it.Next() {
			var more bool
			if res.IDs, more = domain.AddMatch(res.IDs, idAfterSep(it.Item().Key())); !more {
				break
			}
		}
		if len(res.IDs) > 0 {
			return nil
		}
		sg := domain.NewSuggester(q.Norm)
		for it.Rewind(); it.Valid(); it.Next() {
			k := it.Item().Key()[len(prefixNameIdx):]
			if i := bytes.IndexByte(k, sep); i >= 0 {
				sg.Offer(k[:i], k[i+1:])
			}
		}
		res.Suggestions = sg.Suggestions()
		return nil
	})
	return res, err
}
