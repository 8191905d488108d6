package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/accountbot/accountbot/domain"
)

// RulesVersions returns every rules version, oldest first.
func (s *DB) RulesVersions(ctx context.Context) ([]domain.RulesVersion, error) {
	rows, err := s.pool.Query(ctx, `SELECT entry FROM rules_versions ORDER BY version`)
	if err != nil {
		return nil, fmt.Errorf("reading rules versions: %w", err)
	}
	defer rows.Close()
	var out []domain.RulesVersion
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return nil, fmt.Errorf("reading rules versions: %w", err)
		}
		v := domain.RulesVersion{Rules: domain.DefaultConfig()} // a key added since keeps its default
		if err := decodeJSON("a rules version", b, &v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

func latestRules(ctx context.Context, q querier) (domain.RulesVersion, bool, error) {
	v := domain.RulesVersion{Rules: domain.DefaultConfig()}
	found, err := getJSON(ctx, q, &v, `SELECT entry FROM rules_versions ORDER BY version DESC LIMIT 1`)
	return v, found, err
}

// LatestRules returns the rules version in force, if any was recorded.
func (s *DB) LatestRules(ctx context.Context) (domain.RulesVersion, bool, error) {
	v, found, err := latestRules(ctx, s.pool)
	if err != nil {
		return v, false, fmt.Errorf("reading the current rules version: %w", err)
	}
	return v, found, nil
}

// RulesVersion returns version n.
func (s *DB) RulesVersion(ctx context.Context, n int) (domain.RulesVersion, error) {
	v := domain.RulesVersion{Rules: domain.DefaultConfig()}
	found, err := getJSON(ctx, s.pool, &v, `SELECT entry FROM rules_versions WHERE version = $1`, n)
	if err != nil {
		return v, fmt.Errorf("reading rules v%d: %w", n, err)
	}
	if !found || n < 1 {
		return v, domain.Errorf(domain.ENOTFOUND, "there is no rules version v%d: `accountbot rules history` lists them", n)
	}
	return v, nil
}

// AddRulesVersion records v as the next version, numbered and diffed
// against the version in force in one transaction; two replicas adding at
// once: the primary key refuses the second number and it numbers again.
func (s *DB) AddRulesVersion(ctx context.Context, v domain.RulesVersion, file *domain.Config) (domain.RulesVersion, error) {
	v.Rules.Access = domain.AccessConfig{}
	for range 5 {
		err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
			prev, found, err := latestRules(ctx, tx)
			if err != nil {
				return err
			}
			v.Version, v.Changes = 1, nil
			if found {
				v.Version, v.Changes = prev.Version+1, domain.DiffRules(prev.Rules, v.Rules)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO rules_versions (version, entry) VALUES ($1, $2)`, v.Version, mustJSON(v)); err != nil {
				return err
			}
			if file != nil {
				return setRulesFile(ctx, tx, *file)
			}
			return nil
		})
		var pe *pgconn.PgError
		if errors.As(err, &pe) && pe.Code == "23505" {
			continue // another replica numbered the same version: number again
		}
		if err != nil {
			return v, fmt.Errorf("recording rules version: %w", err)
		}
		return v, nil
	}
	return v, fmt.Errorf("recording rules version: too many concurrent attempts")
}

func setRulesFile(ctx context.Context, q querier, c domain.Config) error {
	c.Access = domain.AccessConfig{}
	_, err := q.Exec(ctx, `INSERT INTO rules_file (one, rules) VALUES (true, $1) ON CONFLICT (one) DO UPDATE SET rules = EXCLUDED.rules`, mustJSON(c))
	return err
}

// RulesFile returns the config file's rules as last seen (over the defaults).
func (s *DB) RulesFile(ctx context.Context) (domain.Config, bool, error) {
	c := domain.DefaultConfig()
	found, err := getJSON(ctx, s.pool, &c, `SELECT rules FROM rules_file`)
	if err != nil {
		return c, false, fmt.Errorf("reading the config file's rules as last seen: %w", err)
	}
	return c, found, nil
}

// SetRulesFile remembers the config file's rules as seen, without recording a version.
func (s *DB) SetRulesFile(ctx context.Context, c domain.Config) error {
	if err := setRulesFile(ctx, s.pool, c); err != nil {
		return fmt.Errorf("recording the config file's rules: %w", err)
	}
	return nil
}
