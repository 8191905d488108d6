// Package storagetest gives tests an in-memory store holding the example
// book from examples/.
package storagetest

import (
	"context"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/accountbot/accountbot/storage"
	"github.com/accountbot/accountbot/storage/importer"
)

// ExamplesDir is the repository's examples/ directory.
func ExamplesDir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "examples")
}

// Open returns an in-memory store with the example book imported; it is
// closed when the test ends.
func Open(t testing.TB) *storage.DB {
	t.Helper()
	ctx := context.Background()
	db, err := storage.Open(ctx, "", storage.Options{InMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	im := importer.New(importer.Options{})
	files, _ := filepath.Glob(filepath.Join(ExamplesDir(), "*"))
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		im.Add(filepath.Base(f), fh)
		fh.Close()
	}
	res := im.Finish(nil)
	if len(res.Errors) > 0 {
		t.Fatal(res.Errors)
	}
	if _, err := db.Apply(ctx, res.Patches); err != nil {
		t.Fatal(err)
	}
	return db
}
