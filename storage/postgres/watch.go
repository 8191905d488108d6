package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// watchChannel is the NOTIFY channel account writes are announced on; a
// notification is delivered at commit, to every listening replica.
const watchChannel = "accountbot_accounts"

// notifyChanged queues, inside the writing transaction, notifications
// naming the accounts it wrote (ids joined by newlines, under the 8000-byte
// payload limit).
func notifyChanged(b *pgx.Batch, ids []string) {
	var cur strings.Builder
	flush := func() {
		if cur.Len() > 0 {
			b.Queue(`SELECT pg_notify($1, $2)`, watchChannel, cur.String())
			cur.Reset()
		}
	}
	for _, id := range ids {
		if cur.Len()+len(id)+1 > 7000 {
			flush()
		}
		if cur.Len() > 0 {
			cur.WriteByte('\n')
		}
		cur.WriteString(id)
	}
	flush()
}

// WatchAccounts calls fn with the ids of accounts whose record, usage or
// signals were written, by any replica, soon after each commit, until ctx
// ends (LISTEN on a dedicated connection; the evaluator's change feed).
// ready (optional) is called once the LISTEN is in force.
func (s *DB) WatchAccounts(ctx context.Context, fn func(ids []string), ready func()) error {
	conn, err := pgx.Connect(ctx, s.url)
	if err != nil {
		return fmt.Errorf("watching accounts: %w", err)
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := conn.Exec(ctx, "LISTEN "+watchChannel); err != nil {
		return fmt.Errorf("watching accounts: %w", err)
	}
	if ready != nil {
		ready()
	}
	for {
		n, err := conn.WaitForNotification(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("watching accounts: %w", err)
		}
		if n.Payload != "" {
			fn(strings.Split(n.Payload, "\n"))
		}
	}
}
