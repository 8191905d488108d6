package storage

import (
	"context"
	"testing"
)

func TestOwnsAccounts(t *testing.T) {
	ctx := context.Background()
	db := openMem(t)
	withAccount(t, db, "acme", "ana@example.com")
	for email, want := range map[string]bool{
		"ana@example.com":         true,
		"ANA@example.com ":        true,
		"an@example.com":          false, // a prefix of an owner is not an owner
		"ana@example.co":          false,
		"":                        false,
		"ana@example.com\x00acme": false,
	} {
		if got, err := db.OwnsAccounts(ctx, email); err != nil || got != want {
			t.Errorf("OwnsAccounts(%q) = %v, %v; want %v", email, got, err, want)
		}
	}
}
