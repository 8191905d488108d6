package badger

import (
	"context"
	"testing"

	"github.com/accountbot/accountbot/domain"
)

// TestUserKeyPartsRefuseHiddenCharacters: user e-mails and platform keys
// reach the store from chat platforms, not through account validation, so
// the store itself refuses a NUL (its key separator) or another hidden
// character in them.
func TestUserKeyPartsRefuseHiddenCharacters(t *testing.T) {
	db, _ := openTemp(t)
	ctx := context.Background()
	for name, err := range map[string]error{
		"snooze user":   db.SetSnooze(ctx, "ana\x00x@example.com", "a1", domain.Date(1)),
		"snooze id":     db.SetSnooze(ctx, "ana@example.com", "a\x001", domain.Date(1)),
		"settings user": db.SetSettings(ctx, "ana\u202e@example.com", domain.UserSettings{}),
		"ref key":       db.PutRef(ctx, "teams", "email:ana\x00@example.com", []byte("{}")),
		"ref platform":  db.PutRef(ctx, "tea\x00ms", "email:ana@example.com", []byte("{}")),
	} {
		if domain.ErrorCode(err) != domain.EINVALID {
			t.Errorf("%s: got %v, want EINVALID", name, err)
		}
	}
	if err := db.SetSnooze(ctx, "ana@example.com", "a1", domain.Date(1)); err != nil {
		t.Errorf("clean snooze: %v", err)
	}
}
