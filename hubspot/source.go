package hubspot

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

// Name is the source name and the external-id source of HubSpot companies.
const Name = "hubspot"

// searchCap is HubSpot's ceiling on results of one search query; the
// cursor moves to a new query before paging past it. (A variable so tests
// can lower it together with the fake's.)
var searchCap = 10_000

// Phases of a run, in order: a full load lists every company, an
// incremental run searches those modified since the cursor; both then list
// archived companies (deletions) and end idle.
const (
	phaseFull     = "full"
	phaseIncr     = "incremental"
	phaseArchived = "archived"
	phaseIdle     = "idle"
)

// cursor is the stored position (JSON in connector.Cursor).
type cursor struct {
	Phase string `json:"phase"`
	After string `json:"after,omitempty"`
	// Since is the modification time (ms) incremental runs search above;
	// High is the highest seen in this run; Next is what Since becomes
	// when the run ends.
	Since int64 `json:"since,omitempty"`
	High  int64 `json:"high,omitempty"`
	Next  int64 `json:"next,omitempty"`
	// Incremental runs search companies, then deals and contacts (whose
	// changes do not touch the company's modification time) from Base,
	// the run's starting point.
	Object string `json:"object,omitempty"`
	Base   int64  `json:"base,omitempty"`
}

func (c cursor) encode() connector.Cursor {
	b, _ := json.Marshal(c)
	return connector.Cursor(b)
}

// Source is HubSpot as a connector.Source.
type Source struct {
	c      *Client
	mp     mapper
	owners map[string]string
}

// NewSource checks the mapping and returns the source. currency is the
// book's default currency, for deals without one.
func NewSource(c *Client, cfg Config, currency string) (*Source, error) {
	cfg = cfg.withDefaults()
	req, err := cfg.Mapping.requiredFields()
	if err != nil {
		return nil, err
	}
	return &Source{c: c, mp: mapper{m: cfg.Mapping, owned: cfg.Mapping.owned(), required: req, currency: currency, size: cfg.PageSize}}, nil
}

// Name implements connector.Source.
func (s *Source) Name() string { return Name }

// lag is how far before a run's start the next incremental search begins:
// HubSpot's search index can miss writes for a few seconds.
const lag = time.Minute

// Begin implements connector.Source.
func (s *Source) Begin(prev connector.Cursor, full bool, now time.Time) connector.Cursor {
	s.owners = nil // owners change; read them once per run
	var c cursor
	if full || prev == "" || json.Unmarshal([]byte(prev), &c) != nil {
		return cursor{Phase: phaseFull, Next: now.Add(-lag).UnixMilli()}.encode()
	}
	if c.Phase == phaseIdle {
		return cursor{Phase: phaseIncr, Object: "companies", Since: c.Since, High: c.Since, Base: c.Since, Next: now.Add(-lag).UnixMilli()}.encode()
	}
	return prev // resume the interrupted run where it stopped
}

// Fetch implements connector.Source.
func (s *Source) Fetch(ctx context.Context, cur connector.Cursor) (connector.Page, error) {
	var c cursor
	if err := json.Unmarshal([]byte(cur), &c); err != nil {
		return connector.Page{}, domain.Errorf(domain.EINVALID, "the stored HubSpot cursor is damaged (%v); run `accountbot sync hubspot --full`", err)
	}
	if s.owners == nil && c.Phase != phaseArchived {
		o, err := s.c.Owners(ctx)
		if err != nil {
			return connector.Page{}, err
		}
		s.owners = o
	}
	switch c.Phase {
	case phaseFull:
		resp, err := s.c.List(ctx, "companies", c.After, s.pageSize(), s.mp.companyProps(), false)
		if err != nil {
			return connector.Page{}, fmt.Errorf("listing HubSpot companies: %w", err)
		}
		recs, err := s.records(ctx, resp.Results)
		if err != nil {
			return connector.Page{}, err
		}
		next := cursor{Phase: phaseFull, After: resp.next(), Next: c.Next}
		if next.After == "" {
			next = cursor{Phase: phaseArchived, Next: c.Next}
		}
		return connector.Page{Records: recs, Next: next.encode()}, nil
	case phaseIncr:
		return s.incremental(ctx, c)
	case phaseArchived:
		resp, err := s.c.List(ctx, "companies", c.After, s.pageSize(), []string{"name"}, true)
		if err != nil {
			return connector.Page{}, fmt.Errorf("listing archived HubSpot companies: %w", err)
		}
		recs := make([]connector.Record, 0, len(resp.Results))
		for _, co := range resp.Results {
			recs = append(recs, connector.Record{ExternalID: co.ID, Deleted: true, Sample: sample(co)})
		}
		if after := resp.next(); after != "" {
			return connector.Page{Records: recs, Next: cursor{Phase: phaseArchived, After: after, Next: c.Next}.encode()}, nil
		}
		return connector.Page{Records: recs, Next: cursor{Phase: phaseIdle, Since: c.Next}.encode(), Done: true}, nil
	}
	return connector.Page{Records: nil, Next: cursor{Phase: phaseIdle, Since: c.Since}.encode(), Done: true}, nil
}

func (s *Source) pageSize() int { return s.mp.pageSize() }

// incremental searches one object type (companies, then deals, then
// contacts) for records modified at or after Since, oldest first, and
// returns the companies they belong to. Before paging would pass the
// 10,000-result cap, the next query starts at the highest modification
// time seen (records at that instant are read again and change nothing).
func (s *Source) incremental(ctx context.Context, c cursor) (connector.Page, error) {
	obj := c.Object
	if obj == "" {
		obj = "companies" // a cursor stored before deals and contacts were searched
	}
	props := []string{"hs_lastmodifieddate"}
	if obj == "companies" {
		props = s.mp.companyProps()
	}
	req := SearchRequest{
		FilterGroups: []FilterGroup{{Filters: []Filter{{PropertyName: "hs_lastmodifieddate", Operator: "GTE", Value: strconv.FormatInt(c.Since, 10)}}}},
		Sorts:        []Sort{{PropertyName: "hs_lastmodifieddate", Direction: "ASCENDING"}},
		Properties:   props,
		Limit:        s.pageSize(),
		After:        c.After,
	}
	resp, err := s.c.Search(ctx, obj, req)
	if err != nil {
		return connector.Page{}, fmt.Errorf("searching HubSpot %s modified since %s: %w", obj, time.UnixMilli(c.Since).UTC().Format(time.RFC3339), err)
	}
	for _, o := range resp.Results {
		if t, ok := modified(o); ok && t > c.High {
			c.High = t
		}
	}
	cos := resp.Results
	if obj != "companies" {
		if cos, err = s.companiesOf(ctx, obj, resp.Results); err != nil {
			return connector.Page{}, err
		}
	}
	recs, err := s.records(ctx, cos)
	if err != nil {
		return connector.Page{}, err
	}
	after := resp.next()
	if after == "" {
		return connector.Page{Records: recs, Next: s.afterSearch(c, obj).encode()}, nil
	}
	if n, err := strconv.Atoi(after); err == nil && n+s.pageSize() > searchCap {
		if c.High <= c.Since {
			return connector.Page{}, domain.Errorf(domain.EINVALID, "more than %d HubSpot %s share the modification time %d; run `accountbot sync hubspot --full`", searchCap, obj, c.Since)
		}
		c.Since, c.After = c.High, ""
		return connector.Page{Records: recs, Next: c.encode()}, nil
	}
	c.After = after
	return connector.Page{Records: recs, Next: c.encode()}, nil
}

// afterSearch is the cursor once obj's search is done: the next object's
// search from the run's base, or the archived listing.
func (s *Source) afterSearch(c cursor, obj string) cursor {
	order := []string{"companies"}
	if s.mp.m.ARRFrom == "deal" {
		order = append(order, "deals")
	}
	if *s.mp.m.Stakeholders {
		order = append(order, "contacts")
	}
	if i := slices.Index(order, obj); i >= 0 && i+1 < len(order) {
		return cursor{Phase: phaseIncr, Object: order[i+1], Since: c.Base, High: c.Base, Base: c.Base, Next: c.Next}
	}
	return cursor{Phase: phaseArchived, Next: max(c.Base, c.Next)}
}

// companiesOf returns the companies that deals or contacts belong to, with
// the company properties the mapping reads.
func (s *Source) companiesOf(ctx context.Context, obj string, objs []Object) ([]Object, error) {
	ids := make([]string, len(objs))
	for i, o := range objs {
		ids[i] = o.ID
	}
	assoc, err := s.c.Associations(ctx, obj, "companies", ids)
	if err != nil {
		return nil, fmt.Errorf("reading HubSpot %s→company associations: %w", obj, err)
	}
	var cids []string
	for _, id := range ids {
		cids = append(cids, assoc[id]...)
	}
	slices.Sort(cids)
	cids = slices.Compact(cids)
	var out []Object
	for len(cids) > 0 {
		n := min(100, len(cids))
		cos, err := s.c.BatchRead(ctx, "companies", cids[:n], s.mp.companyProps())
		if err != nil {
			return nil, fmt.Errorf("reading HubSpot companies of changed %s: %w", obj, err)
		}
		out = append(out, cos...)
		cids = cids[n:]
	}
	return out, nil
}

// modified reads a company's hs_lastmodifieddate as epoch ms.
func modified(co Object) (int64, bool) {
	v := co.Properties["hs_lastmodifieddate"]
	if v == "" {
		v = co.UpdatedAt
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t.UnixMilli(), true
	}
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
		return ms, true
	}
	return 0, false
}

// records reads the page's deals and contacts and maps every company,
// adding a merge record for each id merged into a company.
func (s *Source) records(ctx context.Context, cos []Object) ([]connector.Record, error) {
	ids := make([]string, len(cos))
	for i, co := range cos {
		ids[i] = co.ID
	}
	var deals, contacts map[string][]Object
	var err error
	if s.mp.m.ARRFrom == "deal" {
		if deals, err = s.associated(ctx, "deals", ids, s.mp.dealProps()); err != nil {
			return nil, err
		}
	}
	if *s.mp.m.Stakeholders {
		if contacts, err = s.associated(ctx, "contacts", ids, s.mp.contactProps()); err != nil {
			return nil, err
		}
	}
	out := make([]connector.Record, 0, len(cos))
	for _, co := range cos {
		out = append(out, s.mp.record(co, deals[co.ID], contacts[co.ID], s.owners))
		for _, m := range strings.Split(co.Properties["hs_merged_object_ids"], ";") {
			if m = strings.TrimSpace(m); m != "" && m != co.ID {
				out = append(out, connector.Record{ExternalID: m, MergedInto: co.ID})
			}
		}
	}
	return out, nil
}

// associated returns each company's associated records of one type, with
// props, reading them in batches of 100.
func (s *Source) associated(ctx context.Context, object string, ids, props []string) (map[string][]Object, error) {
	assoc, err := s.c.Associations(ctx, "companies", object, ids)
	if err != nil {
		return nil, fmt.Errorf("reading HubSpot company→%s associations: %w", object, err)
	}
	var all []string
	for _, id := range ids {
		all = append(all, assoc[id]...)
	}
	slices.Sort(all)
	all = slices.Compact(all)
	byID := make(map[string]Object, len(all))
	for len(all) > 0 {
		n := min(100, len(all))
		objs, err := s.c.BatchRead(ctx, object, all[:n], props)
		if err != nil {
			return nil, fmt.Errorf("reading HubSpot %s: %w", object, err)
		}
		for _, o := range objs {
			byID[o.ID] = o
		}
		all = all[n:]
	}
	out := make(map[string][]Object, len(ids))
	for _, id := range ids {
		for _, t := range assoc[id] {
			if o, ok := byID[t]; ok {
				out[id] = append(out[id], o)
			}
		}
	}
	return out, nil
}
