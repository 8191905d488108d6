package main

import (
	"context"
	"testing"

	"github.com/accountbot/accountbot/domain"
)

// scopedStore is a store with a per-command read scope (as PostgreSQL's).
type scopedStore struct{ Store }

func (scopedStore) ReadScope(ctx context.Context, _ domain.Date) context.Context { return ctx }

// TestWriteBackKeepsReadScope: wrapping the store for CRM write-back must
// not hide its read scope from the engine (PostgreSQL answers would take
// an extra round trip and the engine would cache trends other replicas
// change), nor give one to a store without it.
func TestWriteBackKeepsReadScope(t *testing.T) {
	m := &Main{Getenv: func(k string) string { return map[string]string{"HUBSPOT_TOKEN": "pat-test"}[k] }}
	m.Config.Sync.HubSpot.WriteBack.Notes = true
	for _, tc := range []struct {
		name string
		db   Store
		want bool
	}{{"with a scope", scopedStore{}, true}, {"without", struct{ Store }{}, false}} {
		s := m.botStore(tc.db)
		wb, ok := s.(writeBackStore)
		if sw, scoped := s.(scopedWriteBack); scoped {
			wb, ok = sw.writeBackStore, true
		}
		if !ok || len(wb.sources) == 0 {
			t.Errorf("%s: the store is %T, want write-back", tc.name, s)
		}
		if _, ok := s.(readScoper); ok != tc.want {
			t.Errorf("%s: %T has a read scope: %v, want %v", tc.name, s, ok, tc.want)
		}
	}
}
