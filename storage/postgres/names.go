package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage"
)

// Resolve finds accounts by id, name or alias, as the Badger store does:
// an exact id wins, then an exact name or alias, then names that start
// with the query; with no match, up to three close names (ranked by
// storage.Suggest, the one ranking both backends share).
func (s *DB) Resolve(ctx context.Context, query string) (domain.Resolution, error) {
	var res domain.Resolution
	q := strings.TrimSpace(query)
	norm := domain.NormalizeName(q)
	if domain.ValidID(q) {
		var ok bool
		if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM accounts WHERE id = $1)`, q).Scan(&ok); err != nil {
			return res, fmt.Errorf("looking up %q: %w", q, err)
		}
		if ok {
			res.IDs = []string{q}
			return res, nil
		}
	}
	if norm == "" {
		return res, nil
	}
	ids, err := s.strings(ctx, "names", `SELECT id FROM account_names WHERE norm = $1 ORDER BY id COLLATE "C"`, norm)
	if err != nil || len(ids) > 0 {
		res.IDs = ids
		return res, err
	}
	// Prefix: the range [norm, norm+U+10FFFF) under the C collation.
	pre, err := s.strings(ctx, "names", `SELECT id FROM account_names WHERE norm >= $1 AND norm < $1 || chr(1114111)
		ORDER BY norm, id COLLATE "C" LIMIT 64`, norm)
	if err != nil {
		return res, err
	}
	for _, id := range pre {
		if !contains(res.IDs, id) {
			res.IDs = append(res.IDs, id)
		}
		if len(res.IDs) > 10 {
			break
		}
	}
	if len(res.IDs) > 0 {
		return res, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT norm, id FROM account_names ORDER BY norm, id COLLATE "C"`)
	if err != nil {
		return res, fmt.Errorf("reading names: %w", err)
	}
	defer rows.Close()
	var scanErr error
	res.Suggestions = storage.Suggest(norm, func(yield func(name []byte, id string) bool) {
		var name []byte
		var id string
		for rows.Next() {
			if scanErr = rows.Scan(&name, &id); scanErr != nil || !yield(name, id) {
				return
			}
		}
	})
	if scanErr == nil {
		scanErr = rows.Err()
	}
	if scanErr != nil {
		return res, fmt.Errorf("reading names: %w", scanErr)
	}
	return res, nil
}

func contains(ids []string, id string) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}
