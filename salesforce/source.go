package salesforce

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/accountbot/accountbot/connector"
	"github.com/accountbot/accountbot/domain"
)

// Name is the source name and the external-id source of Salesforce accounts.
const Name = "salesforce"

// Phases of a run. A full load starts by counting accounts and reads them
// by REST (rest) or a Bulk API 2.0 query job (bulk); an incremental run
// (incr) reads the accounts changed in its window; every run ends idle.
const (
	phaseStart = "start"
	phaseREST  = "rest"
	phaseBulk  = "bulk"
	phaseIncr  = "incr"
	phaseIdle  = "idle"
)

// updatedWindow is how far back the `updated` and `deleted` resources
// reach; an older cursor makes a full load.
const updatedWindow = 30 * 24 * time.Hour

// deletedWindow is how far back the `deleted` resource is asked.
const deletedWindow = 14 * 24 * time.Hour

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// lag is how far behind now a window ends, so records committed late in
// Salesforce are still inside the next window.
const lag = time.Minute

// cursor is the stored position (JSON in connector.Cursor).
type cursor struct {
	Phase string `json:"phase"`
	// REST full load: the nextRecordsUrl within a run, and the last id
	// applied (a resumed run continues after it: locators expire).
	Next   string `json:"next,omitempty"`
	LastID string `json:"last_id,omitempty"`
	// Bulk: the query job (results are kept 7 days), the chunk's locator
	// and the rows of that chunk already applied.
	Job     string `json:"job,omitempty"`
	Locator string `json:"locator,omitempty"`
	Skip    int    `json:"skip,omitempty"`
	// Incremental: the accounts still to read.
	IDs       []string `json:"ids,omitempty"`
	Collected bool     `json:"collected,omitempty"`
	// The window: Since is where the next incremental run starts (idle)
	// or where this one started; End is where this run's window ends.
	Since time.Time `json:"since,omitzero"`
	End   time.Time `json:"end,omitzero"`
}

func (c cursor) encode() connector.Cursor {
	b, _ := json.Marshal(c)
	return connector.Cursor(b)
}

// Source is Salesforce as a connector.Source.
type Source struct {
	c      *Client
	cfg    Config
	mp     mapper
	owners map[string]string // user id → e-mail, read once per run
	chunk  *chunk            // the Bulk results chunk being applied
	// ChunkSize is how many Bulk result rows one download asks for.
	ChunkSize int
}

// NewSource checks the configuration and returns the source. currency is
// the book's default currency, for amounts without a currency field.
func NewSource(c *Client, cfg Config, currency string) (*Source, error) {
	cfg = cfg.withDefaults()
	req, err := cfg.check()
	if err != nil {
		return nil, err
	}
	m := cfg.Mapping
	return &Source{c: c, cfg: cfg, mp: mapper{m: m, owned: m.owned(), required: req, currency: currency}, ChunkSize: bulkChunk}, nil
}

// Name implements connector.Source.
func (s *Source) Name() string { return Name }

// Begin implements connector.Source.
func (s *Source) Begin(prev connector.Cursor, full bool, now time.Time) connector.Cursor {
	s.owners, s.chunk = map[string]string{}, nil
	end := now.Add(-lag).UTC().Truncate(time.Minute)
	var c cursor
	if full || prev == "" || json.Unmarshal([]byte(prev), &c) != nil {
		return cursor{Phase: phaseStart, End: end}.encode()
	}
	if c.Phase == phaseIdle {
		if now.Sub(c.Since) > updatedWindow-time.Hour {
			return cursor{Phase: phaseStart, End: end}.encode() // beyond what `updated` reaches
		}
		return cursor{Phase: phaseIncr, Since: c.Since, End: end}.encode()
	}
	c.Next = "" // resume the interrupted run; its query locator may have expired
	return c.encode()
}

// Fetch implements connector.Source.
func (s *Source) Fetch(ctx context.Context, cur connector.Cursor) (connector.Page, error) {
	var c cursor
	if err := json.Unmarshal([]byte(cur), &c); err != nil {
		return connector.Page{}, domain.Errorf(domain.EINVALID, "the stored Salesforce cursor is damaged (%v); run `accountbot sync salesforce --full`", err)
	}
	switch c.Phase {
	case phaseStart:
		p, err := s.c.query(ctx, "SELECT COUNT() FROM Account", 200, false)
		if err != nil {
			return connector.Page{}, fmt.Errorf("counting Salesforce accounts: %w", err)
		}
		next := cursor{Phase: phaseREST, End: c.End}
		if p.Total > s.cfg.BulkAbove {
			next.Phase = phaseBulk
		}
		return connector.Page{Next: next.encode()}, nil
	case phaseREST:
		return s.fetchREST(ctx, c)
	case phaseBulk:
		return s.fetchBulk(ctx, c)
	case phaseIncr:
		return s.fetchIncr(ctx, c)
	}
	return connector.Page{Next: cursor{Phase: phaseIdle, Since: c.Since}.encode(), Done: true}, nil
}

func idle(since time.Time) connector.Cursor { return cursor{Phase: phaseIdle, Since: since}.encode() }

// fetchREST reads a page of the full load by SOQL, in Id order.
func (s *Source) fetchREST(ctx context.Context, c cursor) (connector.Page, error) {
	var p queryPage
	var err error
	if c.Next != "" {
		p, err = s.c.page(ctx, c.Next, s.cfg.PageSize)
	} else {
		where := ""
		if c.LastID != "" {
			where = "Id > " + quote(c.LastID)
		}
		p, err = s.c.query(ctx, s.mp.accountSOQL(where)+" ORDER BY Id", s.cfg.PageSize, false)
	}
	if err != nil {
		return connector.Page{}, fmt.Errorf("reading Salesforce accounts: %w", err)
	}
	recs, err := s.records(ctx, p.Rows)
	if err != nil {
		return connector.Page{}, err
	}
	if p.Next == "" {
		return connector.Page{Records: recs, Next: idle(c.End), Done: true}, nil
	}
	c.Next = p.Next
	if n := len(p.Rows); n > 0 {
		c.LastID = p.Rows[n-1]["Id"]
	}
	return connector.Page{Records: recs, Next: c.encode()}, nil
}

// bulkChunk is how many result rows one Bulk download asks for.
const bulkChunk = 10_000

// fetchBulk reads a page of the full load from a Bulk API 2.0 query job,
// creating the job first.
func (s *Source) fetchBulk(ctx context.Context, c cursor) (connector.Page, error) {
	if c.Job == "" {
		id, err := s.c.startQuery(ctx, s.mp.accountSOQL(""))
		if err != nil {
			return connector.Page{}, fmt.Errorf("querying Salesforce accounts with Bulk API 2.0: %w", err)
		}
		c.Job, c.Locator, c.Skip = id, "", 0
	}
	if s.chunk == nil || s.chunk.Job != c.Job || s.chunk.Locator != c.Locator {
		ch, err := s.c.results(ctx, c.Job, c.Locator, s.ChunkSize)
		if err != nil {
			return connector.Page{}, err
		}
		s.chunk = &ch
	}
	ch := s.chunk
	lo := min(c.Skip, len(ch.Rows))
	hi := min(lo+s.cfg.PageSize, len(ch.Rows))
	recs, err := s.records(ctx, ch.Rows[lo:hi])
	if err != nil {
		return connector.Page{}, err
	}
	switch {
	case hi < len(ch.Rows):
		c.Skip = hi
	case ch.Next != "":
		c.Locator, c.Skip = ch.Next, 0
	default:
		s.chunk = nil
		return connector.Page{Records: recs, Next: idle(c.End), Done: true}, nil
	}
	return connector.Page{Records: recs, Next: c.encode()}, nil
}

// fetchIncr reads the accounts changed in the window, a page at a time;
// the first page also collects the changed ids and carries the deletions.
func (s *Source) fetchIncr(ctx context.Context, c cursor) (connector.Page, error) {
	var marks []connector.Record
	if !c.Collected {
		if !c.End.After(c.Since) {
			return connector.Page{Next: idle(c.Since), Done: true}, nil
		}
		ids, dels, err := s.collect(ctx, c.Since, c.End)
		var ae *APIError
		if errors.As(err, &ae) && ae.Code == "EXCEEDED_ID_LIMIT" {
			// More than 600,000 changes: a full load reads them anyway.
			return connector.Page{Next: cursor{Phase: phaseStart, End: c.End}.encode()}, nil
		}
		if err != nil {
			return connector.Page{}, err
		}
		if len(ids) > s.cfg.MaxIncremental {
			// A full load (Bulk above bulk_above) is cheaper than reading
			// so many accounts by id.
			return connector.Page{Records: dels, Next: cursor{Phase: phaseStart, End: c.End}.encode()}, nil
		}
		c.IDs, c.Collected, marks = ids, true, dels
	}
	n := min(len(c.IDs), s.cfg.PageSize)
	page := c.IDs[:n]
	var rows []row
	if n > 0 {
		p, err := s.c.query(ctx, s.mp.accountSOQL("Id IN "+inList(page)), 2000, false)
		if err != nil {
			return connector.Page{}, fmt.Errorf("reading changed Salesforce accounts: %w", err)
		}
		rows = p.Rows
	}
	recs, err := s.records(ctx, rows)
	if err != nil {
		return connector.Page{}, err
	}
	recs = append(marks, recs...)
	c.IDs = c.IDs[n:]
	if len(c.IDs) == 0 {
		return connector.Page{Records: recs, Next: idle(c.End), Done: true}, nil
	}
	return connector.Page{Records: recs, Next: c.encode()}, nil
}

// collect returns the ids of accounts changed in (since, end] — the
// account itself (the `updated` resource) or one of its opportunities or
// contacts (SystemModstamp) — and records for accounts deleted or merged.
func (s *Source) collect(ctx context.Context, since, end time.Time) ([]string, []connector.Record, error) {
	up, err := s.c.updatedIDs(ctx, "Account", since, end)
	if err != nil {
		return nil, nil, err
	}
	ids := up.IDs
	window := "SystemModstamp > " + soqlTime(since) + " AND SystemModstamp <= " + soqlTime(end) + " AND AccountId != null"
	children := []string{}
	if s.mp.m.ARRFrom == "opportunity" {
		children = append(children, "Opportunity")
	}
	if *s.mp.m.Stakeholders {
		children = append(children, "Contact")
	}
	for _, obj := range children {
		err := s.c.queryEach(ctx, "SELECT AccountId FROM "+obj+" WHERE "+window, func(r row) { ids = append(ids, r["AccountId"]) })
		if err != nil {
			return nil, nil, fmt.Errorf("listing Salesforce %s records changed since %s: %w", obj, since.Format(time.RFC3339), err)
		}
	}
	// Deleted records stay listed for about 15 days (the recycle bin);
	// asking for older ones is an error, and they are gone anyway.
	gone, err := s.c.deletedIDs(ctx, "Account", maxTime(since, end.Add(-deletedWindow)), end)
	if err != nil {
		return nil, nil, err
	}
	var dels []connector.Record
	for len(gone) > 0 {
		n := min(200, len(gone))
		q := "SELECT Id, MasterRecordId FROM Account WHERE Id IN " + inList(gone[:n])
		p, err := s.c.query(ctx, q, 2000, true)
		if err != nil {
			return nil, nil, fmt.Errorf("reading deleted Salesforce accounts: %w", err)
		}
		seen := map[string]bool{}
		for _, r := range p.Rows {
			dels = append(dels, connector.Record{ExternalID: r["Id"], Deleted: r["MasterRecordId"] == "", MergedInto: r["MasterRecordId"]})
			seen[r["Id"]] = true
		}
		for _, id := range gone[:n] {
			if !seen[id] { // emptied from the recycle bin: still deleted
				dels = append(dels, connector.Record{ExternalID: id, Deleted: true})
			}
		}
		gone = gone[n:]
	}
	ids = slices.DeleteFunc(ids, func(id string) bool { return !validID(id) })
	slices.Sort(ids)
	ids = slices.Compact(ids)
	for _, d := range dels {
		if i, ok := slices.BinarySearch(ids, d.ExternalID); ok {
			ids = slices.Delete(ids, i, i+1)
		}
	}
	return ids, dels, nil
}

// records reads the owners, renewal opportunities and contacts of a page
// of accounts and maps each account.
func (s *Source) records(ctx context.Context, rows []row) ([]connector.Record, error) {
	ids := make([]string, 0, len(rows))
	var owners []string
	for _, r := range rows {
		if validID(r["Id"]) {
			ids = append(ids, r["Id"])
		}
		if o := r["OwnerId"]; validID(o) {
			if _, ok := s.owners[o]; !ok {
				owners = append(owners, o)
				s.owners[o] = ""
			}
		}
	}
	if len(owners) > 0 {
		err := s.c.queryEach(ctx, "SELECT Id, Email FROM User WHERE Id IN "+inList(owners), func(r row) { s.owners[r["Id"]] = r["Email"] })
		if err != nil {
			return nil, fmt.Errorf("reading Salesforce account owners (User): %w", err)
		}
	}
	opps, contacts := map[string][]row{}, map[string][]row{}
	if len(ids) > 0 && s.mp.m.ARRFrom == "opportunity" {
		if err := s.c.queryEach(ctx, s.mp.oppSOQL(ids), func(r row) { opps[r["AccountId"]] = append(opps[r["AccountId"]], r) }); err != nil {
			return nil, fmt.Errorf("reading Salesforce opportunities: %w", err)
		}
	}
	if len(ids) > 0 && *s.mp.m.Stakeholders {
		if err := s.c.queryEach(ctx, s.mp.contactSOQL(ids), func(r row) { contacts[r["AccountId"]] = append(contacts[r["AccountId"]], r) }); err != nil {
			return nil, fmt.Errorf("reading Salesforce contacts: %w", err)
		}
	}
	out := make([]connector.Record, 0, len(rows))
	for _, r := range rows {
		out = append(out, s.mp.record(r, opps[r["Id"]], contacts[r["Id"]], s.owners))
	}
	return out, nil
}
