package main

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/stripe"
)

// serveSync is serve's part of the sync: it mounts the Stripe webhook
// (POST /api/v1/stripe) when STRIPE_WEBHOOK_SECRET is set, and runs every
// configured source on sync.every in the background until ctx ends (serve
// waits for wg before it closes the store).
func (m *Main) serveSync(ctx context.Context, wg *sync.WaitGroup, mux *http.ServeMux) error {
	db, err := m.open(ctx)
	if err != nil {
		return err
	}
	if m.stripeWebhooks() {
		h, err := m.stripeWebhook(db)
		if err != nil {
			return err
		}
		mux.Handle("POST /api/v1/stripe", h)
		fmt.Fprintln(m.Stderr, "Stripe webhooks at POST /api/v1/stripe.")
	}
	var configured []string
	for _, name := range m.scheduledSources() {
		if _, _, _, err := m.syncSource(name); err == nil {
			configured = append(configured, name)
		}
	}
	if len(configured) > 0 {
		fmt.Fprintf(m.Stderr, "Syncing %s every %s.\n", strings.Join(configured, ", "), m.syncEvery())
	}
	wg.Go(func() { m.elector().Do(ctx, func(ctx context.Context) { m.syncLoop(ctx, db) }) }) // leader only
	return nil
}

// stripeWebhooks reports whether Stripe's events come by webhook
// (STRIPE_WEBHOOK_SECRET set); serve then does not also poll them.
func (m *Main) stripeWebhooks() bool {
	return strings.TrimSpace(m.Getenv("STRIPE_WEBHOOK_SECRET")) != ""
}

// scheduledSources are the sources serve's schedule runs (those not
// configured are skipped when run): all but Stripe when its events come
// by webhook, so no event is applied both ways.
func (m *Main) scheduledSources() []string {
	if !m.stripeWebhooks() {
		return syncSources
	}
	return slices.DeleteFunc(slices.Clone(syncSources), func(s string) bool { return s == stripe.Name })
}

// configError handles a source serve's schedule cannot build: one that
// is not configured at all is skipped quietly; one configured wrongly (a
// token but a mapping that leaves a required field unfilled, an unreadable
// key file) has its error put in status once per schedule, where `sync
// status` and `portfolio sync` show it.
func (m *Main) configError(ctx context.Context, db Store, name string, err error, next map[string]time.Time) {
	if strings.Contains(domain.ErrorMessage(err), "is not configured") || m.Now().Before(next[name]) {
		return
	}
	next[name] = m.Now().Add(m.syncEvery())
	m.log.Warn("sync", "source", name, "err", err)
	m.recordSyncError(ctx, db, name, err)
}

// statusSources are the names `sync status` and `portfolio sync` show: the
// sources, and the Stripe webhook, whose events are recorded as runs of
// their own.
var statusSources = append(append([]string{}, syncSources...), stripe.WebhookName)

// syncStatusReader gives the engine's `portfolio sync` the statuses
// `sync status` prints.
type syncStatusReader struct{ db Store }

func (s syncStatusReader) SyncSources(ctx context.Context) ([]bot.SyncSource, error) {
	all, err := syncStatuses(ctx, s.db)
	if err != nil {
		return nil, err
	}
	out := make([]bot.SyncSource, len(all))
	for i, st := range all {
		out[i] = bot.SyncSource{Source: st.Source, LastRun: st.LastRun, NextRun: st.NextRun, Read: st.Read, Changed: st.Changed,
			Refused: st.Refused, Cursor: string(st.Cursor), LastError: st.LastError, WritesPending: st.WritesPending, WritesFailed: st.WritesFailed}
		if st.LastError == "" {
			out[i].LastError = st.LastWriteErr
		}
	}
	return out, nil
}
