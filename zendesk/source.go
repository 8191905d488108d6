package zendesk

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/accountbot/accountbot/connector"
	"github.com/accountbot/accountbot/domain"
)

// Name is the source's name in `sync` and its review list.
const Name = "zendesk"

// Config is the `sync.zendesk` section of the configuration file; the
// credentials come from the environment.
type Config struct {
	// OrgField names an organization field holding the AccountBot account
	// id; empty (the default) reads the organization's external_id.
	OrgField     string `yaml:"organization_field,omitempty"`
	BackfillDays int    `yaml:"backfill_days,omitempty"`   // the first load's reach back, default 180
	PerMinute    int    `yaml:"rate_per_minute,omitempty"` // default 10, Zendesk's limit for the export
}

// Env is the connection read from the environment.
type Env struct {
	BaseURL, Email, Token string
}

// EnvFrom reads ZENDESK_SUBDOMAIN (or ZENDESK_API_URL), ZENDESK_EMAIL and
// ZENDESK_API_TOKEN, saying which is missing.
func EnvFrom(getenv func(string) string) (Env, error) {
	e := Env{BaseURL: strings.TrimSpace(getenv("ZENDESK_API_URL")), Email: strings.TrimSpace(getenv("ZENDESK_EMAIL")),
		Token: strings.TrimSpace(getenv("ZENDESK_API_TOKEN"))}
	if e.BaseURL == "" {
		sub := strings.TrimSpace(getenv("ZENDESK_SUBDOMAIN"))
		if sub == "" {
			return e, domain.Errorf(domain.EINVALID, "Zendesk is not configured: set ZENDESK_SUBDOMAIN (the \"acme\" of acme.zendesk.com) or ZENDESK_API_URL")
		}
		if strings.ContainsAny(sub, "./: ") {
			return e, domain.Errorf(domain.EINVALID, "ZENDESK_SUBDOMAIN %q must be the subdomain alone (\"acme\" for acme.zendesk.com)", sub)
		}
		e.BaseURL = "https://" + sub + ".zendesk.com"
	}
	if e.Email == "" || e.Token == "" {
		return e, domain.Errorf(domain.EINVALID, "Zendesk needs ZENDESK_EMAIL (an admin's e-mail) and ZENDESK_API_TOKEN (Admin Center → Apps and integrations → Zendesk API)")
	}
	return e, nil
}

// Source is the Zendesk ticket feed. Its records are one per organization
// and page; it never creates accounts.
type Source struct {
	client *Client
	cfg    Config
	orgs   map[int64]Organization // cache across pages of a process
}

// NewSource returns the source over c.
func NewSource(c *Client, cfg Config) *Source {
	return &Source{client: c, cfg: cfg, orgs: map[int64]Organization{}}
}

// Name implements connector.Source.
func (s *Source) Name() string { return Name }

// cursor is the stored position: the export's after_cursor, or the start
// time of a first load that has not fetched a page yet.
type cursor struct {
	Start  int64  `json:"start_time,omitempty"`
	Cursor string `json:"cursor,omitempty"`
}

// Begin implements connector.Source: a full load starts backfill_days back.
func (s *Source) Begin(prev connector.Cursor, full bool, now time.Time) connector.Cursor {
	if prev != "" && !full {
		return prev
	}
	days := s.cfg.BackfillDays
	if days <= 0 {
		days = 180
	}
	b, _ := json.Marshal(cursor{Start: now.AddDate(0, 0, -days).Unix()})
	return connector.Cursor(b)
}

// Fetch implements connector.Source.
func (s *Source) Fetch(ctx context.Context, cur connector.Cursor) (connector.Page, error) {
	var c cursor
	if err := json.Unmarshal([]byte(cur), &c); err != nil || (c.Cursor == "" && c.Start == 0) {
		return connector.Page{}, domain.Errorf(domain.EINVALID, "the stored Zendesk cursor %q is unreadable; run `accountbot sync zendesk --full`", string(cur))
	}
	p, err := s.client.Export(ctx, c.Cursor, time.Unix(c.Start, 0))
	if err != nil {
		return connector.Page{}, fmt.Errorf("exporting Zendesk tickets: %w", err)
	}
	next := cur
	if p.AfterCursor != "" {
		b, _ := json.Marshal(cursor{Cursor: p.AfterCursor})
		next = connector.Cursor(b)
	}
	recs, err := s.records(ctx, p.Tickets)
	if err != nil {
		return connector.Page{}, err
	}
	return connector.Page{Records: recs, Next: next, Done: p.EndOfStream}, nil
}

// records groups a page's tickets by organization: one record each, so
// the runner writes each account once per page.
func (s *Source) records(ctx context.Context, tickets []Ticket) ([]connector.Record, error) {
	var missing []int64
	byOrg := map[int64][]Ticket{}
	var order []int64
	for _, t := range tickets {
		if t.OrganizationID == nil {
			continue // a ticket from no organization belongs to no account
		}
		id := *t.OrganizationID
		if _, ok := byOrg[id]; !ok {
			order = append(order, id)
			if _, ok := s.orgs[id]; !ok {
				missing = append(missing, id)
			}
		}
		byOrg[id] = append(byOrg[id], t)
	}
	if len(missing) > 0 {
		orgs, err := s.client.Organizations(ctx, missing)
		if err != nil {
			return nil, fmt.Errorf("reading Zendesk organizations: %w", err)
		}
		for _, o := range orgs {
			s.orgs[o.ID] = o
		}
	}
	recs := make([]connector.Record, 0, len(order))
	for _, id := range order {
		recs = append(recs, s.record(id, byOrg[id]))
	}
	return connector.Combine(recs), nil
}

func (s *Source) record(orgID int64, tickets []Ticket) connector.Record {
	o, ok := s.orgs[orgID]
	if !ok {
		return connector.Record{ExternalID: "org-" + strconv.FormatInt(orgID, 10),
			Sample: fmt.Sprintf("Zendesk organization %d (not readable: deleted?)", orgID)}
	}
	acct, field := s.accountID(o)
	sample := fmt.Sprintf("Zendesk organization %q (id %d), %d ticket(s)", o.Name, o.ID, len(tickets))
	if acct == "" {
		return connector.Record{ExternalID: "org-" + strconv.FormatInt(orgID, 10), Sample: sample + ": set its " + field + " to the AccountBot account id"}
	}
	ts := make([]domain.Ticket, len(tickets))
	for i, t := range tickets {
		ts[i] = toTicket(t)
	}
	rec := connector.Record{ExternalID: acct, Sample: sample}
	if !domain.ValidID(acct) {
		rec.Err = domain.Errorf(domain.EINVALID, "%s %q of organization %q is not an account id", field, acct, o.Name)
		return rec
	}
	today := domain.DateOf(s.client.clock.Now())
	rec.Contribute = func(a *domain.Account) []string { return contribute(a, ts, today) }
	return rec
}

// accountID returns the account id an organization names and the field read.
func (s *Source) accountID(o Organization) (string, string) {
	if s.cfg.OrgField != "" {
		field := "organization field " + s.cfg.OrgField
		switch v := o.Fields[s.cfg.OrgField].(type) {
		case string:
			return strings.TrimSpace(v), field
		case float64:
			return strconv.FormatFloat(v, 'f', -1, 64), field
		}
		return "", field
	}
	if o.ExternalID == nil {
		return "", "external_id"
	}
	return strings.TrimSpace(*o.ExternalID), "external_id"
}

func toTicket(t Ticket) domain.Ticket {
	p := ""
	if t.Priority != nil {
		p = strings.ToLower(*t.Priority)
	}
	return domain.Ticket{ID: strconv.FormatInt(t.ID, 10), Opened: domain.DateOf(t.CreatedAt.UTC()), Priority: p,
		Status: strings.ToLower(t.Status), Subject: cut(t.Subject, 120)}
}

func cut(s string, n int) string {
	r := []rune(strings.TrimSpace(s))
	if len(r) <= n {
		return string(r)
	}
	return string(r[:n-1]) + "…"
}

// contribute stores a page's tickets on an account, each by id: a ticket
// exported again (it changed) replaces its earlier state.
func contribute(a *domain.Account, ts []domain.Ticket, today domain.Date) []string {
	if a.Support == nil {
		a.Support = &domain.Support{Source: Name}
	} else {
		a.Support = &domain.Support{Source: a.Support.Source, Tickets: slices.Clone(a.Support.Tickets)}
	}
	var diff []string
	for _, t := range ts {
		if a.Support.Upsert(t) {
			diff = append(diff, fmt.Sprintf("ticket #%s %s %s, opened %s", t.ID, orNone(t.Priority), t.Status, t.Opened))
		}
	}
	n := len(a.Support.Tickets)
	a.Support.Prune(today)
	if d := n - len(a.Support.Tickets); d > 0 {
		diff = append(diff, fmt.Sprintf("%d closed ticket(s) older than %d days dropped", d, domain.SupportKeepDays))
	}
	return diff
}

func orNone(p string) string {
	if p == "" {
		return "no-priority"
	}
	return p
}
