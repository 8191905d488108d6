package postgres

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/internal/apijson"
)

// selectBook reads accounts with their usage and signals aggregated into
// arrays: one row per account, one round trip for any number of them.
// Usage and signals are aggregated from their primary-key order (sorted
// subqueries: no sort per array; an ordered aggregate sets up a sort even
// for no rows, and the signals' three took half of an answer's time in
// the database); account() checks the usage's order rather than trust it.
const selectBook = `SELECT a.id, a.record, u.days, u.au, u.us, u.ti, g.days, g.kinds, g.notes ` + bookJoins

// bookJoins are selectBook's tables: the account and its usage and signals.
const bookJoins = `FROM accounts a
LEFT JOIN LATERAL (SELECT array_agg(day) days, array_agg(active_users) au, array_agg(usage) us, array_agg(tickets) ti
	FROM (SELECT day, active_users, usage, tickets FROM usage WHERE usage.id = a.id ORDER BY day) s) u ON true
LEFT JOIN LATERAL (SELECT array_agg(day) days, array_agg(kind) kinds, array_agg(note) notes
	FROM (SELECT day, kind, note FROM signals WHERE signals.id = a.id ORDER BY day, kind, note) s) g ON true`

// bookRow is one row of selectBook.
type bookRow struct {
	id            string
	record        []byte
	uDays, au, ti []int32
	us            []int64
	sDays         []int32
	kinds, notes  []string
}

func scanBook(rows pgx.Rows, r *bookRow) error { return rows.Scan(r.dest()...) }

// dest is where selectBook's columns go, in order.
func (r *bookRow) dest() []any {
	return []any{&r.id, &r.record, &r.uDays, &r.au, &r.us, &r.ti, &r.sDays, &r.kinds, &r.notes}
}

// account decodes a row into a new account.
func (r *bookRow) account() (*domain.Account, error) {
	a := &domain.Account{}
	if err := apijson.Unmarshal(r.record, a); err != nil {
		return nil, fmt.Errorf("decoding account %s: %w", r.id, err)
	}
	a.ID = r.id
	a.Usage, a.Signals = nil, nil
	if len(r.uDays) > 0 {
		a.Usage = make([]domain.Snapshot, 0, len(r.uDays))
	}
	for i, d := range r.uDays {
		a.Usage = append(a.Usage, domain.Snapshot{Date: domain.Date(d), ActiveUsers: int(r.au[i]), Usage: r.us[i], Tickets: int(r.ti[i])})
	}
	if !slices.IsSortedFunc(a.Usage, byDate) {
		slices.SortFunc(a.Usage, byDate)
	}
	for i, d := range r.sDays {
		a.Signals = append(a.Signals, domain.Signal{Date: domain.Date(d), Kind: domain.SignalKind(r.kinds[i]), Note: r.notes[i]})
	}
	return a, nil
}

func byDate(a, b domain.Snapshot) int { return cmp.Compare(a.Date, b.Date) }

// Account returns the full account: record, usage and signals.
func (s *DB) Account(ctx context.Context, id string) (*domain.Account, error) {
	if containsNUL(id) { // no such id can be stored, and text cannot carry it
		return nil, domain.Errorf(domain.ENOTFOUND, "no account with id %q", id)
	}
	sc := scopeOf(ctx)
	if !sc.claim() {
		sc = nil
	}
	r, err := s.readAccount(ctx, sc, id)
	if err != nil {
		sc.release() // no account: the command's next read brings its history instead
		return nil, err
	}
	return r.account()
}

// readAccount reads one account's row; with sc, also its score history in
// sc's window, in the same round trip, and keeps that in sc.
func (s *DB) readAccount(ctx context.Context, sc *readScope, id string) (*bookRow, error) {
	sql, args := selectBook+` WHERE a.id = $1`, []any{id}
	if sc != nil {
		sql, args = selectScoped, []any{id, int32(sc.from), int32(sc.to)}
	}
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("reading account %s: %w", id, err)
	}
	defer rows.Close()
	if !rows.Next() {
		if err := rows.Err(); err != nil {
			return nil, fmt.Errorf("reading account %s: %w", id, err)
		}
		return nil, domain.Errorf(domain.ENOTFOUND, "no account with id %q", id)
	}
	var r bookRow
	var h scopedScores
	dest := r.dest()
	if sc != nil {
		dest = append(dest, &h.days, &h.snaps)
	}
	if err := rows.Scan(dest...); err != nil {
		return nil, fmt.Errorf("reading account %s: %w", id, err)
	}
	if sc != nil {
		sc.put(id, h)
	}
	return &r, nil
}

// ForEach calls fn with every account, fully loaded, in id order, from
// one consistent snapshot (one query).
func (s *DB) ForEach(ctx context.Context, fn func(*domain.Account) error) error {
	return s.scanAll(ctx, func(r *bookRow) error {
		a, err := r.account()
		if err != nil {
			return err
		}
		return fn(a)
	})
}

func (s *DB) scanAll(ctx context.Context, fn func(r *bookRow) error) error {
	rows, err := s.pool.Query(ctx, selectBook+` ORDER BY a.id COLLATE "C"`)
	if err != nil {
		return fmt.Errorf("reading the book: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var r bookRow
		if err := scanBook(rows, &r); err != nil {
			return fmt.Errorf("reading the book: %w", err)
		}
		if err := fn(&r); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("reading the book: %w", err)
	}
	return nil
}

// ForEachConcurrent calls fn with every account on `workers` goroutines
// (fn's first argument says which); decoding runs in the workers.
func (s *DB) ForEachConcurrent(ctx context.Context, workers int, fn func(worker int, a *domain.Account) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	jobs := make(chan *bookRow, 512)
	errs := make(chan error, workers+1)
	var wg sync.WaitGroup
	for w := range max(workers, 1) {
		wg.Go(func() {
			for r := range jobs {
				a, err := r.account()
				if err == nil {
					err = fn(w, a)
				}
				if err != nil {
					errs <- err
					cancel()
					return
				}
			}
		})
	}
	scanErr := s.scanAll(ctx, func(r *bookRow) error {
		select {
		case jobs <- r:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	})
	close(jobs)
	wg.Wait()
	close(errs)
	if err, ok := <-errs; ok {
		return err
	}
	return scanErr
}

func (s *DB) strings(ctx context.Context, what, sql string, args ...any) ([]string, error) {
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", what, err)
	}
	out, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", what, err)
	}
	return out, nil
}

// IDsByOwner returns the ids of the accounts owned by the e-mail.
func (s *DB) IDsByOwner(ctx context.Context, owner string) ([]string, error) {
	if owner == "" || containsNUL(owner) {
		return nil, nil
	}
	return s.strings(ctx, "the accounts of "+owner,
		`SELECT id FROM accounts WHERE owner = $1 ORDER BY id COLLATE "C"`, owner)
}

// Owners returns every owner e-mail with its account count, in order.
func (s *DB) Owners(ctx context.Context) ([]domain.OwnerCount, error) {
	rows, err := s.pool.Query(ctx, `SELECT owner, count(*) FROM accounts WHERE owner <> '' GROUP BY owner ORDER BY owner COLLATE "C"`)
	if err != nil {
		return nil, fmt.Errorf("reading owners: %w", err)
	}
	out, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (domain.OwnerCount, error) {
		var o domain.OwnerCount
		var n int64
		err := r.Scan(&o.Owner, &n)
		o.Accounts = int(n)
		return o, err
	})
	if err != nil {
		return nil, fmt.Errorf("reading owners: %w", err)
	}
	return out, nil
}

// IDsRenewingBetween returns the ids of accounts renewing in [from, to], by date.
func (s *DB) IDsRenewingBetween(ctx context.Context, from, to domain.Date) ([]string, error) {
	return s.strings(ctx, "renewals", `SELECT id FROM accounts WHERE renewal <> 0 AND renewal BETWEEN $1 AND $2
		ORDER BY renewal, id COLLATE "C"`, int32(from), int32(to))
}

// OwnsAccounts reports whether the e-mail owns at least one account.
func (s *DB) OwnsAccounts(ctx context.Context, email string) (bool, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" || containsNUL(email) {
		return false, nil
	}
	var ok bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM accounts WHERE owner = $1)`, email).Scan(&ok); err != nil {
		return false, fmt.Errorf("looking up the accounts of %s: %w", email, err)
	}
	return ok, nil
}

// ResolveAccount returns the id of the account that ref names for source:
// the account whose id is ref, else the one whose external id for source
// is ref. Nothing matched is ENOTFOUND; names are never consulted.
func (s *DB) ResolveAccount(ctx context.Context, source, ref string) (string, error) {
	return resolveAccount(ctx, s.pool, source, ref)
}

func resolveAccount(ctx context.Context, q querier, source, ref string) (string, error) {
	if containsNUL(source + ref) {
		return "", domain.Errorf(domain.ENOTFOUND, "no account has id or %s external id %q", source, ref)
	}
	var id string
	err := q.QueryRow(ctx, `SELECT id FROM accounts WHERE id = $1
		UNION ALL SELECT id FROM external_ids WHERE source = $2 AND ext = $1 LIMIT 1`, ref, source).Scan(&id)
	if errors.Is(err, pgx.ErrNoRows) {
		return "", domain.Errorf(domain.ENOTFOUND, "no account has id or %s external id %q", source, ref)
	} else if err != nil {
		return "", fmt.Errorf("looking up %s: %w", ref, err)
	}
	return id, nil
}

// HasAccount reports whether an account with this id exists.
func (s *DB) HasAccount(ctx context.Context, id string) (bool, error) {
	if containsNUL(id) {
		return false, nil
	}
	var ok bool
	if err := s.pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM accounts WHERE id = $1)`, id).Scan(&ok); err != nil {
		return false, fmt.Errorf("looking up account %s: %w", id, err)
	}
	return ok, nil
}
