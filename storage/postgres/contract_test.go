package postgres_test

import (
	"context"
	"io"
	"testing"

	"github.com/accountbot/accountbot/storage"
	"github.com/accountbot/accountbot/storage/postgres"
	"github.com/accountbot/accountbot/storage/storagetest"
)

var _ storagetest.Store = (*postgres.DB)(nil)

// pgStore adds the backup round trip's restore into a new database.
type pgStore struct{ *postgres.DB }

func (pgStore) Restored(ctx context.Context, t *testing.T, backup io.ReadSeeker) (storagetest.Store, error) {
	db := openPG(t)
	if _, err := db.Restore(ctx, backup, storage.RestoreOptions{}); err != nil {
		return nil, err
	}
	return pgStore{db}, nil
}

// TestContract runs the contract suite every backend passes, each test on
// a database of its own.
func TestContract(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storagetest.Store { return pgStore{openPG(t)} })
}
