package main

import (
	"context"
	"fmt"
	"net/http"

	"github.com/accountbot/accountbot/connector"
	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/stripe"
	"github.com/accountbot/accountbot/zendesk"
)

// FeedsConfig is the support and billing part of the `sync` section
// (inline: sync.zendesk and sync.stripe).
type FeedsConfig struct {
	Zendesk zendesk.Config `yaml:"zendesk"`
	Stripe  stripe.Config  `yaml:"stripe"`
}

// feedSources are the sources whose records carry AccountBot account ids.
var feedSources = []string{zendesk.Name, stripe.Name}

// syncStore is the store a source's runner uses: feeds match account ids
// directly (connector.AccountIDs), CRMs their links.
func syncStore(name string, db Store) connector.Store {
	for _, f := range feedSources {
		if f == name {
			return connector.AccountIDs{Store: db, Account: db.Account}
		}
	}
	return db
}

// feedSource builds a feed from the configuration and the environment;
// ok is false for a name that is not a feed.
func (m *Main) feedSource(name string) (src connector.Source, ok bool, err error) {
	switch name {
	case zendesk.Name:
		env, err := zendesk.EnvFrom(m.Getenv)
		if err != nil {
			return nil, true, err
		}
		cfg := m.Config.Sync.Zendesk
		per := cfg.PerMinute
		if per <= 0 {
			per = 10
		}
		return zendesk.NewSource(zendesk.NewClient(env.BaseURL, env.Email, env.Token, per, nil, nil), cfg), true, nil
	case stripe.Name:
		env, err := stripe.EnvFrom(m.Getenv)
		if err != nil {
			return nil, true, err
		}
		return stripe.NewSource(stripe.NewAPI(env.Key, env.BaseURL, nil), m.Config.Sync.Stripe, m.Now), true, nil
	}
	return nil, false, nil
}

// stripeWebhook is the handler for POST /api/v1/stripe; serve mounts it
// when STRIPE_WEBHOOK_SECRET is set.
func (m *Main) stripeWebhook(db Store) (http.Handler, error) {
	env, err := stripe.EnvFrom(m.Getenv)
	if err != nil {
		return nil, err
	}
	if env.WebhookSecret == "" {
		return nil, domain.Errorf(domain.EINVALID, "set STRIPE_WEBHOOK_SECRET to the endpoint's signing secret (whsec_…) to receive Stripe webhooks")
	}
	src := stripe.NewSource(stripe.NewAPI(env.Key, env.BaseURL, nil), m.Config.Sync.Stripe, m.Now)
	return &stripe.Handler{Secret: env.WebhookSecret, Source: src, Replays: db, Log: m.log,
		Runner: &connector.Runner{Store: syncStore(stripe.Name, db), Now: m.Now, Log: m.log}}, nil
}

// feedDemo runs a fake Zendesk and a fake Stripe on loopback, fills them
// from the demo book, and syncs both into the store: the cards then show
// tickets, billing ARR beside the book's, payment failures, cancellations
// and upgrades with their motion.
func (m *Main) feedDemo(ctx context.Context, db Store) error {
	var book []*domain.Account
	err := db.ForEach(ctx, func(a *domain.Account) error {
		cp := *a // ForEach reuses a
		cp.Usage, cp.Signals, cp.Stakeholders, cp.ARRHistory = nil, nil, nil, nil
		book = append(book, &cp)
		return nil
	})
	if err != nil {
		return fmt.Errorf("reading the demo book: %w", err)
	}
	today := m.today()
	zd, sp := fakeFeeds(book, today, m.Now())
	defer zd.Close()
	defer sp.Close()

	zsrc := zendesk.NewSource(zendesk.NewClient(zd.URL(), demoZendeskEmail, demoZendeskToken, 0, nil, nil), zendesk.Config{})
	ssrc := stripe.NewSource(stripe.NewAPI(demoStripeKey, sp.URL(), nil), stripe.Config{}, m.Now)
	run := func(src connector.Source) (connector.Report, error) {
		r := &connector.Runner{Store: syncStore(src.Name(), db), Now: m.Now, Log: m.log}
		return r.Run(ctx, src, connector.Options{})
	}
	zr, err := run(zsrc)
	if err != nil {
		return fmt.Errorf("feeding from the fake Zendesk: %w", err)
	}
	sr, err := run(ssrc) // first load: the subscriptions as they stand
	if err != nil {
		return fmt.Errorf("feeding from the fake Stripe: %w", err)
	}
	n := billingChanges(sp, book, m.Now())
	sr2, err := run(ssrc) // then the events since: upgrades, failures, cancellations
	if err != nil {
		return fmt.Errorf("polling the fake Stripe's events: %w", err)
	}
	fmt.Fprintf(m.Stdout, "Fed from fakes on loopback: Zendesk %d organizations read, %d accounts with tickets, %d to review; "+
		"Stripe %d customers read, %d accounts billed, %d to review, then %d billing events (%d accounts changed).\n",
		zr.Status.Read, zr.Status.Changed, zr.Status.Unmatched, sr.Status.Read, sr.Status.Changed, sr.Status.Unmatched, n, sr2.Status.Changed)
	fmt.Fprintln(m.Stdout, "Set rules.billing.arr_source: billing to let billing's ARR win; see README, \"Support and billing\".")
	return m.recordScores(ctx, nil)
}
