package storage_test

import (
	"context"
	"io"
	"testing"

	"github.com/accountbot/accountbot/storage"
	"github.com/accountbot/accountbot/storage/storagetest"
)

var _ storagetest.Store = (*storage.DB)(nil)

// badgerStore adds to the Badger store what the suite's backup round trip
// needs: restoring into a new directory and opening it.
type badgerStore struct{ *storage.DB }

func (badgerStore) Restored(ctx context.Context, t *testing.T, backup io.ReadSeeker) (storagetest.Store, error) {
	dir := t.TempDir()
	if _, err := storage.Restore(ctx, dir, backup, storage.RestoreOptions{}); err != nil {
		return nil, err
	}
	db, err := storage.Open(ctx, dir, storage.Options{})
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
		db, err := storage.Open(context.Background(), "", storage.Options{InMemory: true})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		return badgerStore{db}
	})
}
