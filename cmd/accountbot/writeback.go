package main

import (
	"context"
	"log/slog"
	"time"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/connector"
	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/hubspot"
	"github.com/accountbot/accountbot/salesforce"
)

// botStore is the store the chat engine uses: with HubSpot note or
// Salesforce Task write-back on, outcomes and notes logged in chat are
// also queued for the CRM. Queueing is a local write; the outbox worker in
// `serve` delivers it later, so a chat reply never waits on the CRM.
func (m *Main) botStore(db Store) bot.Store {
	var sources []string
	if m.Config.Sync.HubSpot.WriteBack.Notes {
		if _, err := m.Config.Sync.HubSpot.Token(m.Getenv); err == nil {
			sources = append(sources, hubspot.Name)
		}
	}
	if m.Config.Sync.Salesforce.WriteBack.Tasks {
		if _, err := m.Config.Sync.Salesforce.Creds(m.Getenv); err == nil {
			sources = append(sources, salesforce.Name)
		}
	}
	if len(sources) == 0 {
		return db
	}
	wb := writeBackStore{Store: db, sources: sources, now: m.Now, log: m.log}
	if r, ok := db.(readScoper); ok { // PostgreSQL: keep the one-round-trip answers
		return scopedWriteBack{wb, r}
	}
	return wb
}

// readScoper is the store's per-command read scope (bot's readScoper),
// which the write-back wrapper would otherwise hide from the engine.
type readScoper interface {
	ReadScope(ctx context.Context, today domain.Date) context.Context
}

type scopedWriteBack struct {
	writeBackStore
	readScoper
}

type writeBackStore struct {
	Store
	sources []string
	now     func() time.Time
	log     *slog.Logger
}

// AddOutcome stores the outcome, then queues it as a CRM note.
func (s writeBackStore) AddOutcome(ctx context.Context, o domain.Outcome) error {
	if err := s.Store.AddOutcome(ctx, o); err != nil {
		return err
	}
	s.queue(ctx, o)
	return nil
}

// AddOutcomeOnce is AddOutcome under a write id: a replay queues nothing.
func (s writeBackStore) AddOutcomeOnce(ctx context.Context, id string, o domain.Outcome) (bool, error) {
	seen, err := s.Store.AddOutcomeOnce(ctx, id, o)
	if err == nil && !seen {
		s.queue(ctx, o)
	}
	return seen, err
}

// ApplyOnce is Apply under a write id: a replay queues nothing.
func (s writeBackStore) ApplyOnce(ctx context.Context, id string, patches []domain.Patch) (domain.ApplyStats, bool, error) {
	st, seen, err := s.Store.ApplyOnce(ctx, id, patches)
	if err == nil && !seen {
		s.queueNotes(ctx, patches)
	}
	return st, seen, err
}

// Apply stores the patches, then queues each note signal logged on an
// existing account (a chat `note`) as a CRM note.
func (s writeBackStore) Apply(ctx context.Context, patches []domain.Patch) (domain.ApplyStats, error) {
	st, err := s.Store.Apply(ctx, patches)
	if err != nil {
		return st, err
	}
	s.queueNotes(ctx, patches)
	return st, nil
}

func (s writeBackStore) queueNotes(ctx context.Context, patches []domain.Patch) {
	for _, p := range patches {
		if p.Core != nil {
			continue // an import, not a chat note
		}
		for _, sg := range p.Signals {
			if sg.Kind == domain.SignalNote {
				s.queue(ctx, domain.Outcome{AccountID: p.ID, Date: sg.Date, Note: sg.Note})
			}
		}
	}
}

// queue enqueues the note for each CRM the account is linked to; a
// failure is logged (the chat write itself has succeeded and is not undone).
func (s writeBackStore) queue(ctx context.Context, o domain.Outcome) {
	now := s.now()
	for _, source := range s.sources {
		ext, err := s.Store.ExternalID(ctx, source, o.AccountID)
		if err != nil || ext == "" {
			continue // not an account of this CRM
		}
		if err := s.Store.Enqueue(ctx, connector.NoteWrite(source, ext, o, now)); err != nil && s.log != nil {
			s.log.Error("queueing CRM note", "source", source, "account", o.AccountID, "err", err)
		}
	}
}

// enqueueScores queues a score write for every CRM-linked account whose
// health, tier, priority or readiness changed since last delivered.
func (m *Main) enqueueScores(ctx context.Context, db Store, source string, fields connector.ScoreFields) (int, error) {
	if fields == (connector.ScoreFields{}) {
		return 0, nil
	}
	now := m.Now()
	today := domain.DateOf(now.UTC())
	rules, _ := m.scoringRules()
	n := 0
	err := db.ForEach(ctx, func(a *domain.Account) error {
		ext, err := db.ExternalID(ctx, source, a.ID)
		if err != nil || ext == "" {
			return err
		}
		ev := domain.Evaluate(a, today, rules)
		ok, err := connector.EnqueueScores(ctx, db, source, a.ID, ext, fields.ScoreValues(ev), now)
		if ok {
			n++
		}
		return err
	})
	return n, err
}
