package postgres

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"io"
	"slices"

	"github.com/jackc/pgx/v5"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage"
)

// A PostgreSQL backup is our own logical export, one JSON value a line:
//
//	ACCOUNTBOT-PG-BACKUP 1                              header line
//	{"t":"<table>","r":{<column>: <value>, …}}           one line a row, table by table (row_to_json)
//	{"end":true,"rows":N,"sha256":"<hex>"}               trailer: row count and SHA-256 of every byte before it
//
// It is taken in one REPEATABLE READ transaction, so it is consistent while
// every replica keeps serving. Restore reads the whole file and checks the
// trailer before it changes anything, then loads it in one transaction.
// (pg_dump works too, for a whole-database copy; this format is what
// `accountbot backup` and `restore` write and read.)
const backupHeader = "ACCOUNTBOT-PG-BACKUP 1\n"

// backupTables is every table, parents before children (foreign keys).
var backupTables = []string{
	"accounts", "account_names", "usage", "signals", "external_ids", "unmatched", "ledger", "outcomes",
	"audit", "tokens", "idempotency", "write_ids", "events", "legacy_refs", "channel_refs", "person_refs",
	"person_emails", "sync_state", "sync_marks", "outbox", "delivered_notes", "written", "segment_inbox",
	"segment_msgs", "segment_users", "segment_active", "scores", "settings", "snoozes", "installations", "field_history", "evaluations", "rules_versions", "rules_file",
}

// serialTables have a bigserial seq whose sequence a restore moves on.
var serialTables = []string{"outcomes", "audit", "segment_inbox"}

type backupLine struct {
	Table  string          `json:"t,omitempty"`
	Row    json.RawMessage `json:"r,omitempty"`
	End    bool            `json:"end,omitempty"`
	Rows   int64           `json:"rows,omitempty"`
	SHA256 string          `json:"sha256,omitempty"`
}

// Backup writes a consistent logical export of the database to w.
func (s *DB) Backup(ctx context.Context, w io.Writer) error {
	h := sha256.New()
	bw := bufio.NewWriter(io.MultiWriter(w, h))
	var n int64
	err := pgx.BeginTxFunc(ctx, s.pool, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}, func(tx pgx.Tx) error {
		if _, err := bw.WriteString(backupHeader); err != nil {
			return err
		}
		for _, t := range backupTables {
			rows, err := tx.Query(ctx, `SELECT row_to_json(t)::text FROM `+t+` t`)
			if err != nil {
				return err
			}
			for rows.Next() {
				var row string
				if err := rows.Scan(&row); err != nil {
					rows.Close()
					return err
				}
				if _, err := bw.Write(append(mustJSON(backupLine{Table: t, Row: json.RawMessage(row)}), '\n')); err != nil {
					rows.Close()
					return err
				}
				n++
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		return bw.Flush()
	})
	if err != nil {
		return fmt.Errorf("writing backup: %w", err)
	}
	trailer := backupLine{End: true, Rows: n, SHA256: hex.EncodeToString(h.Sum(nil))}
	if _, err := w.Write(append(mustJSON(trailer), '\n')); err != nil {
		return fmt.Errorf("writing backup trailer: %w", err)
	}
	return nil
}

// verify reads the whole backup and checks its header, lines and trailer.
func verify(r io.Reader) (rows int64, err error) {
	h := sha256.New()
	br := bufio.NewReaderSize(r, 1<<20)
	err = eachLine(br, h, func(l backupLine, raw []byte) error {
		if l.End {
			if l.Rows != rows || l.SHA256 != hex.EncodeToString(h.Sum(nil)) {
				return domain.Errorf(domain.EINVALID, "the backup's checksum or row count does not match its contents: it is damaged; take a new backup")
			}
			return errEnd
		}
		h.Write(raw)
		rows++
		return nil
	})
	return rows, err
}

var errEnd = fmt.Errorf("end of backup")

// eachLine checks the header, then calls fn with every line until fn
// returns errEnd (the trailer); a file without a trailer is cut short.
func eachLine(br *bufio.Reader, h hash.Hash, fn func(l backupLine, raw []byte) error) error {
	head, err := br.ReadString('\n')
	if err != nil || head != backupHeader {
		if bytes.HasPrefix([]byte(head), []byte("ACCOUNTBOT-BACKUP ")) {
			return domain.Errorf(domain.EINVALID, "it is a backup of the embedded (Badger) store; restore it without database_url, or import an export instead")
		}
		return domain.Errorf(domain.EINVALID, "it is not an AccountBot PostgreSQL backup (no %q header)", backupHeader[:len(backupHeader)-1])
	}
	if h != nil {
		h.Write([]byte(head))
	}
	for {
		raw, err := br.ReadBytes('\n')
		if err == io.EOF && len(raw) == 0 {
			return domain.Errorf(domain.EINVALID, "the backup ends before its trailer: it was cut short; take a new backup")
		} else if err != nil && err != io.EOF {
			return fmt.Errorf("reading backup: %w", err)
		}
		var l backupLine
		if err := json.Unmarshal(raw, &l); err != nil || (!l.End && !slices.Contains(backupTables, l.Table)) {
			return domain.Errorf(domain.EINVALID, "the backup has a damaged line; take a new backup")
		}
		if err := fn(l, raw); err == errEnd {
			return nil
		} else if err != nil {
			return err
		}
	}
}

// Restore replaces the database's contents with the backup in r. The whole
// file is verified first; then every table is emptied and loaded in one
// transaction, so a failure leaves the database as it was. A database that
// holds accounts is replaced only with opt.Replace.
func (s *DB) Restore(ctx context.Context, r io.ReadSeeker, opt storage.RestoreOptions) (storage.RestoreResult, error) {
	var res storage.RestoreResult
	scopeOf(ctx).forget() // the restored scores replace what the command read
	rows, err := verify(r)
	if err != nil {
		return res, err
	}
	if _, err := r.Seek(0, io.SeekStart); err != nil {
		return res, fmt.Errorf("rereading backup: %w", err)
	}
	res.Records, res.Verified = rows, true
	err = s.tx(ctx, func(tx pgx.Tx) error {
		if !opt.Replace {
			var any bool
			if err := tx.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM accounts)`).Scan(&any); err != nil {
				return err
			}
			if any {
				return domain.Errorf(domain.ECONFLICT, "the database already holds accounts; pass --replace to replace them")
			}
		}
		return load(ctx, tx, r, &res)
	})
	return res, err
}

func load(ctx context.Context, tx pgx.Tx, r io.Reader, res *storage.RestoreResult) error {
	if _, err := tx.Exec(ctx, `TRUNCATE `+joinTables()); err != nil {
		return fmt.Errorf("emptying the database: %w", err)
	}
	res.Accounts = 0
	b := &pgx.Batch{}
	flush := func() error {
		err := tx.SendBatch(ctx, b).Close()
		b = &pgx.Batch{}
		return err
	}
	err := eachLine(bufio.NewReaderSize(r, 1<<20), nil, func(l backupLine, _ []byte) error {
		if l.End {
			return errEnd
		}
		if l.Table == "accounts" {
			res.Accounts++
		}
		b.Queue(`INSERT INTO `+l.Table+` SELECT * FROM json_populate_record(NULL::`+l.Table+`, $1::json)`, string(l.Row))
		if b.Len() >= 1000 {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return fmt.Errorf("loading the backup: %w", err)
	}
	for _, t := range serialTables {
		if _, err := tx.Exec(ctx, `SELECT setval(pg_get_serial_sequence('`+t+`', 'seq'), coalesce((SELECT max(seq) FROM `+t+`), 0) + 1, false)`); err != nil {
			return fmt.Errorf("moving the %s sequence on: %w", t, err)
		}
	}
	return nil
}

func joinTables() string {
	var b bytes.Buffer
	for i, t := range backupTables {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(t)
	}
	return b.String()
}
