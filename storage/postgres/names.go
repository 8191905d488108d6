package postgres

import (
	"context"
	"fmt"

	"github.com/accountbot/accountbot/domain"
)

// Resolve finds accounts by id, name or alias: it looks candidates up in
// the order domain's name rules give (see domain.ParseNameQuery) and lets
// them rank: the id, then exact names, then prefixes, then suggestions.
func (s *DB) Resolve(ctx context.Context, query string) (domain.Resolution, error) {
	var res domain.Resolution
	q := domain.ParseNameQuery(query)
	if q.ID != "" {
		var ok bool
		if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM accounts WHERE id = $1)`, q.ID).Scan(&ok); err != nil {
			return res, fmt.Errorf("looking up %q: %w", q.ID, err)
		}
		if ok {
			res.IDs = []string{q.ID}
			return res, nil
		}
	}
	if q.Norm == "" {
		return res, nil
	}
	exact, err := s.strings(ctx, "names", `SELECT id FROM account_names WHERE norm = $1 ORDER BY id COLLATE "C"`, q.Norm)
	if err != nil {
		return res, err
	}
	for _, id := range exact {
		res.IDs, _ = domain.AddMatch(res.IDs, id)
	}
	if len(res.IDs) > 0 {
		return res, nil
	}
	// Prefix: the range [norm, norm+U+10FFFF) under the C collation, in
	// (name, id) order; an account may appear under several names.
	pre, err := s.strings(ctx, "names", `SELECT id FROM account_names WHERE norm >= $1 AND norm < $1 || chr(1114111)
		ORDER BY norm, id COLLATE "C" LIMIT $2`, q.Norm, 8*domain.MaxPrefixMatches)
	if err != nil {
		return res, err
	}
	for _, id := range pre {
		var more bool
		if res.IDs, more = domain.AddMatch(res.IDs, id); !more {
			break
		}
	}
	if len(res.IDs) > 0 {
		return res, nil
	}
	rows, err := s.pool.Query(ctx, `SELECT norm, id FROM account_names`)
	if err != nil {
		return res, fmt.Errorf("reading names: %w", err)
	}
	defer rows.Close()
	sg := domain.NewSuggester(q.Norm)
	var name, id []byte
	for rows.Next() {
		if err := rows.Scan(&name, &id); err != nil {
			return res, fmt.Errorf("reading names: %w", err)
		}
		sg.Offer(name, id)
	}
	if err := rows.Err(); err != nil {
		return res, fmt.Errorf("reading names: %w", err)
	}
	res.Suggestions = sg.Suggestions()
	return res, nil
}
