package badger_test

import (
	"context"
	"github.com/accountbot/accountbot/storage/badger"
	"io"
	"testing"

	"github.com/accountbot/accountbot/storage"
	"github.com/accountbot/accountbot/storage/storagetest"
)

var _ storagetest.Store = (*badger.DB)(nil)

// badgerStore adds to the Badger store what the suite's backup round trip
// needs: restoring into a new directory and opening it.
type badgerStore struct{ *badger.DB }

func (badgerStore) Restored(ctx context.Context, t *testing.T, backup io.ReadSeeker) (storagetest.Store, error) {
	dir := t.TempDir()
	if _, err := badger.Restore(ctx, dir, backup, storage.RestoreOptions{}); err != nil {
		return nil, err
	}
	db, err := badger.Open(ctx, dir, badger.Options{})
	if err != nil {
		return nil, err
	}
	t.Cleanup(func() { db.Close() })
	return badgerStore{db}, nil
}

// TestContract runs the contract suite every backend passes on Badger, in
// memory.
func TestContract(t *testing.T) {
	storagetest.Run(t, func(t *testing.T) storagetest.Store {
		db, err := badger.Open(context.Background(), "", badger.Options{InMemory: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return badgerStore{db}
	})
}
