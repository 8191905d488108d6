package badger

import (
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"

	"github.com/accountbot/accountbot/domain"
)

// stampTime is when a write happened (domain.StampTime): the writer's
// time, or the store's clock when it gave none.
func stampTime(at time.Time) time.Time { return domain.StampTime(at, time.Now()) }

// stampAccounts stamps the accounts in ids as changed at by source inside
// txn, for writes that go around domain.MergePatch (Segment usage).
func stampAccounts(txn *badger.Txn, ids map[string]bool, source string, at time.Time) error {
	for id := range ids {
		a, err := getRecord(txn, id)
		if domain.ErrorCode(err) == domain.ENOTFOUND {
			continue
		} else if err != nil {
			return err
		}
		a.DataChangedAt, a.DataSource = stampTime(at), source
		if err := txn.Set(accountKey(id), mustJSON(a)); err != nil {
			return fmt.Errorf("stamping account %s: %w", id, err)
		}
	}
	return nil
}
