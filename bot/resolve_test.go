package bot_test

import (
	"context"
	"strings"
	"testing"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage/badger"
)

// countingStore counts the account reads and name resolutions an answer makes.
type countingStore struct {
	*badger.DB
	accounts, resolves int
}

func (s *countingStore) Account(ctx context.Context, id string) (*domain.Account, error) {
	s.accounts++
	return s.DB.Account(ctx, id)
}

func (s *countingStore) Resolve(ctx context.Context, q string) (domain.Resolution, error) {
	s.resolves++
	return s.DB.Resolve(ctx, q)
}

// An account asked for by its id is read once and not resolved by name
// (its key was read to resolve it, then the account to answer); by name
// it is resolved; an id the asker may not read is refused as before (the
// refusal takes the usual path, after one more read).
func TestAnAccountAskedByIDIsReadOnce(t *testing.T) {
	_, db := newEngine(t)
	acme, err := db.Account(context.Background(), "acme")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		text, as           string
		accounts, resolves int
		title              string // the reply's title starts so
	}{
		{"account acme health", "", 1, 0, acme.Name},
		{"account acme health", acme.Owner, 1, 0, acme.Name},
		{"account " + acme.Name + " health", "", 1, 1, acme.Name},
		{"account acme health", "stranger@example.com", 2, 2, "Can't do that"},
	}
	for _, tc := range tests {
		st := &countingStore{DB: db}
		e := bot.NewEngine(st, domain.DefaultConfig(), nil)
		m, _ := ask(t, e, tc.text, tc.as)
		text := bot.RenderText(m)
		if !strings.Contains(text, tc.title) || st.accounts != tc.accounts || st.resolves != tc.resolves {
			t.Errorf("%q as %q: %d account reads, %d resolutions, reply %q; want %d, %d, %q",
				tc.text, tc.as, st.accounts, st.resolves, firstLine(text), tc.accounts, tc.resolves, tc.title)
		}
	}
}

func firstLine(s string) string {
	first, _, _ := strings.Cut(s, "\n")
	return first
}
