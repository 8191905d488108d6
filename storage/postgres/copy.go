package postgres

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// usageCopy encodes usage rows in COPY's binary format (PostgreSQL
// documentation, "COPY", "Binary Format"): a header, then per row the
// field count and each field's length and bytes (text as UTF-8, integers
// big-endian), then a -1 trailer. pgx's CopyFrom looks up an encoder for
// every value and asks the server for the columns' types first; writing
// the five known columns directly took the larger part of an import's
// client CPU out.
type usageCopy struct{ buf []byte }

// copySignature opens every binary COPY stream.
var copySignature = []byte("PGCOPY\n\xff\r\n\x00")

func newUsageCopy(rows int) *usageCopy {
	c := &usageCopy{buf: make([]byte, 0, 19+rows*56)}
	c.buf = append(c.buf, copySignature...)
	c.buf = binary.BigEndian.AppendUint32(c.buf, 0) // flags
	c.buf = binary.BigEndian.AppendUint32(c.buf, 0) // header extension length
	return c
}

func (c *usageCopy) row(id string, day, active int32, usage int64, tickets int32) {
	b := binary.BigEndian.AppendUint16(c.buf, 5)
	b = binary.BigEndian.AppendUint32(b, uint32(len(id)))
	b = append(b, id...)
	b = binary.BigEndian.AppendUint32(b, 4)
	b = binary.BigEndian.AppendUint32(b, uint32(day))
	b = binary.BigEndian.AppendUint32(b, 4)
	b = binary.BigEndian.AppendUint32(b, uint32(active))
	b = binary.BigEndian.AppendUint32(b, 8)
	b = binary.BigEndian.AppendUint64(b, uint64(usage))
	b = binary.BigEndian.AppendUint32(b, 4)
	c.buf = binary.BigEndian.AppendUint32(b, uint32(tickets))
}

// send ends the stream and copies it into usage inside tx. A row whose key
// is taken (another writer created the same account meanwhile) fails the
// COPY, and the whole Apply runs again, reading it.
func (c *usageCopy) send(ctx context.Context, tx pgx.Tx) error {
	c.buf = binary.BigEndian.AppendUint16(c.buf, 0xffff) // trailer: -1
	_, err := tx.Conn().PgConn().CopyFrom(ctx, bytes.NewReader(c.buf),
		`COPY usage (id, day, active_users, usage, tickets) FROM STDIN (FORMAT binary)`)
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" {
		return errRetry
	} else if err != nil {
		return fmt.Errorf("writing usage: %w", err)
	}
	return nil
}
