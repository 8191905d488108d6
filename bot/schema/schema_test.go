package schema_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/bot/schema"
	"github.com/accountbot/accountbot/domain"
)

// TestCommittedSchemasAreCurrent fails when a result type changed without
// `make schemas`: the committed docs/schemas must match the code.
func TestCommittedSchemasAreCurrent(t *testing.T) {
	files, err := schema.Generate(bot.NewEngine(nil, domain.DefaultConfig(), nil).Registry())
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join("..", "..", "docs", "schemas")
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil || string(got) != string(want) {
			t.Errorf("docs/schemas/%s is stale or missing (run `make schemas`)", name)
		}
	}
	committed, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	for _, f := range committed {
		if _, ok := files[filepath.Base(f)]; !ok {
			t.Errorf("docs/schemas/%s belongs to no command (run `make schemas`)", filepath.Base(f))
		}
	}
	if len(files) < 20 {
		t.Errorf("only %d schemas generated", len(files))
	}
}
