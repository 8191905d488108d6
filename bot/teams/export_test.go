package teams

import "testing"

// RequireValidCard lets the external tests check every card they see
// (posted to the fake connector, or rendered) against the official schema.
func RequireValidCard(t *testing.T, name string, card map[string]any) {
	t.Helper()
	requireValid(t, name, Card(card))
}

// SetMember primes the member lookup cache (a guest, a foreign member).
func (a *App) SetMember(id string, m Member) { a.emails.Add(id, m) }
