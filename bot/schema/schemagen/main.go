// Command schemagen writes the JSON Schema of every command's result to a
// directory (make schemas, or go generate ./bot/schema).
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/bot/schema"
	"github.com/accountbot/accountbot/domain"
)

func main() {
	out := flag.String("out", "docs/schemas", "directory to write the schemas to")
	flag.Parse()
	files, err := schema.Generate(bot.NewEngine(nil, domain.DefaultConfig(), nil).Registry())
	if err == nil {
		err = write(*out, files)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "schemagen:", err)
		os.Exit(1)
	}
}

// write replaces the directory's schemas with files.
func write(dir string, files map[string][]byte) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	old, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	for _, f := range old {
		if _, keep := files[filepath.Base(f)]; !keep {
			if err := os.Remove(f); err != nil {
				return err
			}
		}
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
