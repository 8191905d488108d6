// Package connectortest holds an in-memory connector store for tests of
// the runner and of sources: the same contract as the Badger store
// (storage/badger/sync.go), with a hook to fail a commit, which is how tests
// simulate a crash between pages.
package connectortest

import (
	"context"
	"errors"
	"maps"
	"sort"
	"sync"
	"time"

	"github.com/accountbot/accountbot/connector"
	"github.com/accountbot/accountbot/domain"
)

// Mem is an in-memory connector.Store and connector.OutboxStore.
type Mem struct {
	mu        sync.Mutex
	Accounts  map[string]*domain.Account // by id
	Links     map[string]string          // source|external id → account id
	Cursors   map[string]connector.Cursor
	Statuses  map[string]connector.Status
	Marks     map[string]connector.Mark // by account id
	Unmatched map[string]connector.Unmatched
	Outbox    map[string]connector.Write
	Remote    map[string]string            // delivered write id → remote id
	Props     map[string]map[string]string // source|account → properties delivered
	Commits   int
	// FailCommit, when set, is called before each commit; an error aborts
	// the commit (nothing of the page is applied).
	FailCommit func(n int) error
}

// New returns an empty store.
func New() *Mem {
	return &Mem{Accounts: map[string]*domain.Account{}, Links: map[string]string{}, Cursors: map[string]connector.Cursor{},
		Statuses: map[string]connector.Status{}, Marks: map[string]connector.Mark{}, Unmatched: map[string]connector.Unmatched{},
		Outbox: map[string]connector.Write{}, Remote: map[string]string{}, Props: map[string]map[string]string{}}
}

// Link matches an existing account to a source's external id.
func (m *Mem) Link(source, ext, id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.Links[source+"|"+ext] = id
}

// SyncState implements connector.Store.
func (m *Mem) SyncState(ctx context.Context, source string) (connector.Cursor, connector.Status, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.Cursors[source], m.Statuses[source], nil
}

// SaveStatus implements connector.Store.
func (m *Mem) SaveStatus(ctx context.Context, source string, st connector.Status) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.Statuses[source] = st
	return nil
}

// Match implements connector.Store: by link, else by the id a created
// account gets ("<source>-<external id>").
func (m *Mem) Match(ctx context.Context, source string, ext []string) (map[string]*domain.Account, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := map[string]*domain.Account{}
	for _, e := range ext {
		id, ok := m.Links[source+"|"+e]
		if !ok {
			id = source + "-" + e
		}
		if a, ok := m.Accounts[id]; ok {
			c := *a
			c.Usage, c.Signals = nil, nil
			out[e] = &c
		}
	}
	return out, nil
}

// CommitPage implements connector.Store.
func (m *Mem) CommitPage(ctx context.Context, source string, c connector.Commit) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.FailCommit != nil {
		if err := m.FailCommit(m.Commits); err != nil {
			return err
		}
	}
	m.Commits++
	for _, l := range c.Accounts {
		a := *l.Account
		if old, ok := m.Accounts[a.ID]; ok { // the store keeps usage and signals
			a.Usage, a.Signals = old.Usage, old.Signals
		}
		m.Accounts[a.ID] = &a
		m.Links[source+"|"+l.ExternalID] = a.ID
		delete(m.Marks, a.ID)
		delete(m.Unmatched, source+"|"+l.ExternalID)
	}
	for _, id := range c.Alive {
		delete(m.Marks, id)
	}
	for _, mk := range c.Marks {
		m.Marks[mk.AccountID] = mk
	}
	for _, u := range c.Unmatched {
		m.Unmatched[source+"|"+u.ExternalID] = u
	}
	m.Cursors[source] = c.Cursor
	return nil
}

// Enqueue implements connector.OutboxStore.
func (m *Mem) Enqueue(ctx context.Context, w connector.Write) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if w.Kind == connector.WriteNote {
		if _, ok := m.Remote[w.ID]; ok {
			return nil
		}
		if _, ok := m.Outbox[w.ID]; ok {
			return nil
		}
	}
	m.Outbox[w.ID] = w
	return nil
}

// Due implements connector.OutboxStore.
func (m *Mem) Due(ctx context.Context, source string, now time.Time, limit int) ([]connector.Write, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []connector.Write
	for _, w := range m.Outbox {
		if w.Source == source && !w.Failed && !w.NextAttempt.After(now) {
			out = append(out, w)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// Delivered implements connector.OutboxStore.
func (m *Mem) Delivered(ctx context.Context, w connector.Write, remote string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	delete(m.Outbox, w.ID)
	if w.Kind == connector.WriteNote {
		m.Remote[w.ID] = remote
	} else {
		m.Props[w.Source+"|"+w.AccountID] = maps.Clone(w.Properties)
	}
	return nil
}

// Reschedule implements connector.OutboxStore.
func (m *Mem) Reschedule(ctx context.Context, w connector.Write) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if _, ok := m.Outbox[w.ID]; !ok {
		return errors.New("no such write")
	}
	m.Outbox[w.ID] = w
	return nil
}

// Written implements connector.OutboxStore.
func (m *Mem) Written(ctx context.Context, source, id string) (map[string]string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return maps.Clone(m.Props[source+"|"+id]), nil
}

// Pending implements connector.OutboxStore.
func (m *Mem) Pending(ctx context.Context, source string) (int, int, string, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	p, f, last := 0, 0, ""
	var lastAt time.Time
	for _, w := range m.Outbox {
		if w.Source != source {
			continue
		}
		if w.Failed {
			f++
		} else {
			p++
		}
		if w.LastError != "" && !w.NextAttempt.Before(lastAt) {
			last, lastAt = w.LastError, w.NextAttempt
		}
	}
	return p, f, last, nil
}
