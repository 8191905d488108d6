// Package hubspottest is a fake HubSpot for tests and benchmarks: an
// httptest server speaking the 2026-03 CRM API's documented request and
// response shapes, loaded from recorded-shape fixtures
// (hubspot/testdata/portal.json and testdata/errors/*.json).
package hubspottest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/accountbot/accountbot/internal/fakeapi"
)

// Object is a CRM record in the API's shape.
type Object struct {
	ID         string            `json:"id"`
	Properties map[string]string `json:"properties"`
	Archived   bool              `json:"archived,omitempty"`
	CreatedAt  string            `json:"createdAt,omitempty"`
	UpdatedAt  string            `json:"updatedAt,omitempty"`
	ArchivedAt string            `json:"archivedAt,omitempty"`
}

// SearchRequest is the body of a CRM search.
type SearchRequest struct {
	FilterGroups []FilterGroup `json:"filterGroups"`
	Sorts        []struct {
		PropertyName string `json:"propertyName"`
		Direction    string `json:"direction"`
	} `json:"sorts"`
	Properties []string `json:"properties"`
	Limit      int      `json:"limit"`
	After      string   `json:"after"`
}

// FilterGroup ANDs its filters.
type FilterGroup struct {
	Filters []struct {
		PropertyName string `json:"propertyName"`
		Operator     string `json:"operator"`
		Value        string `json:"value"`
	} `json:"filters"`
}

// Portal is the fake's data, loaded from testdata/portal.json (the 2026-03
// API's record shapes) or generated for benchmarks.
type Portal struct {
	Owners       []map[string]any               `json:"owners"`
	Companies    []Object                       `json:"companies"`
	Archived     []Object                       `json:"archived_companies"`
	Deals        []Object                       `json:"deals"`
	Contacts     []Object                       `json:"contacts"`
	Associations map[string]map[string][]string `json:"associations"`
}

// fake is an httptest HubSpot speaking the documented request and
// response shapes: list paging with `after`, search with filterGroups,
// sorts and the 10,000-result cap, association and object batch reads,
// notes, batch update, and 401/403/429 error bodies from testdata/errors.
type Fake struct {
	fakeapi.Base // Mu guards the fields below; Requests logs what was asked
	t            testing.TB
	P            Portal
	byID         map[string]map[string]Object // object type → id → record
	Token        string
	Gen          *Generated // when set, companies, deals and contacts come from it
	SearchCap    int        // results one search query can reach (HubSpot: 10,000)
	// Faults.
	MissingScope  string // a path fragment answered 403
	Throttle      int    // the next n requests get 429 with Retry-After: 2
	LoseNoteReply bool   // create the note, then answer 502
	// What was written.
	Notes   []Object
	Updates []map[string]any
}

// LoadPortal reads testdata/portal.json.
func LoadPortal(t testing.TB) Portal {
	b, err := os.ReadFile(filepath.Join(testdata(), "portal.json"))
	if err != nil {
		t.Fatal(err)
	}
	var p Portal
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	return p
}

// New starts a fake serving p with the token "pat-na1-test"; it stops
// when the test ends.
func New(t testing.TB, p Portal) *Fake {
	f := &Fake{t: t, P: p, Token: "pat-na1-test", SearchCap: 10_000}
	f.Index()
	f.Start(http.HandlerFunc(f.serve), func(r *http.Request) bool { return r.Header.Get("Authorization") == "Bearer "+f.Token },
		func(w http.ResponseWriter) { f.fail(w, http.StatusUnauthorized) })
	t.Cleanup(f.Close)
	return f
}

// Index rebuilds the id lookups after a test changed P.
func (f *Fake) Index() {
	f.byID = map[string]map[string]Object{"deals": {}, "contacts": {}, "companies": {}}
	for _, d := range f.P.Deals {
		f.byID["deals"][d.ID] = d
	}
	for _, c := range f.P.Contacts {
		f.byID["contacts"][c.ID] = c
	}
	for _, c := range f.P.Companies {
		f.byID["companies"][c.ID] = c
	}
}

func errorBody(t testing.TB, code int) []byte {
	b, err := os.ReadFile(filepath.Join(testdata(), "errors", fmt.Sprintf("%d.json", code)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// headers are the ones HubSpot sends on every answer.
func headers(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json;charset=utf-8")
	w.Header().Set("X-HubSpot-RateLimit-Max", "190")
	w.Header().Set("X-HubSpot-RateLimit-Interval-Milliseconds", "10000")
	w.Header().Set("X-HubSpot-RateLimit-Remaining", "150")
}

// fail answers code with HubSpot's error body (testdata/errors).
func (f *Fake) fail(w http.ResponseWriter, code int) {
	headers(w)
	w.WriteHeader(code)
	w.Write(errorBody(f.t, code))
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	headers(w)
	fail := func(code int) { f.fail(w, code) }
	if f.MissingScope != "" && strings.Contains(r.URL.Path, f.MissingScope) {
		fail(403)
		return
	}
	if f.Throttle > 0 {
		f.Throttle--
		w.Header().Set("Retry-After", "2")
		w.Header().Set("X-HubSpot-RateLimit-Remaining", "0")
		fail(429)
		return
	}
	var body map[string]json.RawMessage
	if r.Method == http.MethodPost {
		if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
			w.WriteHeader(400)
			fmt.Fprintf(w, `{"status":"error","message":"Invalid input JSON","category":"VALIDATION_ERROR"}`)
			return
		}
	}
	if f.Gen != nil && f.Gen.serve(f, w, r, body) {
		return
	}
	p := r.URL.Path
	switch {
	case r.Method == "GET" && p == "/crm/owners/2026-03":
		f.writeJSON(w, map[string]any{"results": f.P.Owners})
	case r.Method == "GET" && p == "/crm/objects/2026-03/companies":
		list := f.P.Companies
		if r.URL.Query().Get("archived") == "true" {
			list = f.P.Archived
		}
		f.page(w, list, r.URL.Query().Get("after"), r.URL.Query().Get("limit"), strings.Split(r.URL.Query().Get("properties"), ","), false)
	case r.Method == "POST" && p == "/crm/objects/2026-03/companies/search":
		f.search(w, f.P.Companies, body)
	case r.Method == "POST" && p == "/crm/objects/2026-03/deals/search":
		f.search(w, f.P.Deals, body)
	case r.Method == "POST" && p == "/crm/objects/2026-03/contacts/search":
		f.search(w, f.P.Contacts, body)
	case r.Method == "POST" && strings.HasSuffix(p, "/companies/batch/read") && strings.HasPrefix(p, "/crm/associations/2026-03/"):
		f.reverseAssoc(w, strings.Split(p, "/")[4], body)
	case r.Method == "POST" && strings.HasPrefix(p, "/crm/associations/2026-03/companies/"):
		f.assoc(w, strings.TrimSuffix(strings.TrimPrefix(p, "/crm/associations/2026-03/companies/"), "/batch/read"), body)
	case r.Method == "POST" && p == "/crm/objects/2026-03/notes":
		f.createNote(w, body)
	case r.Method == "POST" && p == "/crm/objects/2026-03/notes/search":
		f.searchNotes(w, body)
	case r.Method == "POST" && p == "/crm/objects/2026-03/companies/batch/update":
		var in struct {
			Inputs []map[string]any `json:"inputs"`
		}
		json.Unmarshal(body["inputs"], &in.Inputs)
		f.Updates = append(f.Updates, in.Inputs...)
		f.writeJSON(w, map[string]any{"status": "COMPLETE", "results": in.Inputs})
	case r.Method == "POST" && strings.HasSuffix(p, "/batch/read"):
		f.batchRead(w, strings.TrimSuffix(strings.TrimPrefix(p, "/crm/objects/2026-03/"), "/batch/read"), body)
	default:
		w.WriteHeader(404)
		fmt.Fprintf(w, `{"status":"error","message":"Unable to route %s %s","category":"OBJECT_NOT_FOUND"}`, r.Method, p)
	}
}

func (f *Fake) writeJSON(w http.ResponseWriter, v any) {
	if err := json.NewEncoder(w).Encode(v); err != nil {
		f.t.Error(err)
	}
}

// page serves list[after:after+limit] with only the asked properties;
// `after` is an offset, opaque to the client as HubSpot's is.
func (f *Fake) page(w http.ResponseWriter, list []Object, after, limit string, props []string, search bool) {
	off, _ := strconv.Atoi(after)
	n, _ := strconv.Atoi(limit)
	if n <= 0 || n > 100 {
		n = 10
	}
	end := min(off+n, len(list))
	res := make([]Object, 0, max(end-off, 0))
	for _, o := range list[min(off, len(list)):end] {
		res = append(res, project(o, props))
	}
	out := map[string]any{"results": res}
	if search {
		out["total"] = len(list)
	}
	if end < len(list) {
		out["paging"] = map[string]any{"next": map[string]string{"after": strconv.Itoa(end), "link": "?after=" + strconv.Itoa(end)}}
	}
	f.writeJSON(w, out)
}

func project(o Object, props []string) Object {
	c := o
	c.Properties = map[string]string{"hs_object_id": o.ID}
	for _, p := range props {
		if v, ok := o.Properties[p]; ok {
			c.Properties[p] = v
		}
	}
	return c
}

func (f *Fake) search(w http.ResponseWriter, list []Object, body map[string]json.RawMessage) {
	var req SearchRequest
	b, _ := json.Marshal(body)
	json.Unmarshal(b, &req)
	if off, _ := strconv.Atoi(req.After); off >= f.SearchCap {
		w.WriteHeader(400)
		fmt.Fprint(w, `{"status":"error","message":"Search results are limited to 10,000 records","category":"VALIDATION_ERROR"}`)
		return
	}
	var hits []Object
	for _, c := range list {
		if matches(c, req.FilterGroups) {
			hits = append(hits, c)
		}
	}
	if len(req.Sorts) == 1 && req.Sorts[0].PropertyName == "hs_lastmodifieddate" && req.Sorts[0].Direction == "ASCENDING" {
		sort.SliceStable(hits, func(i, j int) bool { return ms(hits[i]) < ms(hits[j]) })
	}
	f.page(w, hits, req.After, strconv.Itoa(req.Limit), req.Properties, true)
}

func ms(o Object) int64 {
	t, err := time.Parse(time.RFC3339Nano, o.Properties["hs_lastmodifieddate"])
	if err != nil {
		return 0
	}
	return t.UnixMilli()
}

// testdata is hubspot/testdata, wherever the test runs from.
func testdata() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata")
}

// Client is an HTTP client for the fake.
func (f *Fake) Client() *http.Client { return f.Server.Client() }

// Lock and Unlock guard the fake's fields while a test changes them.
func (f *Fake) Lock()   { f.Mu.Lock() }
func (f *Fake) Unlock() { f.Mu.Unlock() }

func matches(o Object, groups []FilterGroup) bool {
	if len(groups) == 0 {
		return true
	}
	for _, g := range groups {
		ok := true
		for _, fl := range g.Filters {
			v, _ := strconv.ParseInt(fl.Value, 10, 64)
			got := ms(o)
			switch fl.Operator {
			case "GTE":
				ok = ok && got >= v
			case "GT":
				ok = ok && got > v
			default:
				ok = false
			}
		}
		if ok {
			return true
		}
	}
	return false
}

func (f *Fake) assoc(w http.ResponseWriter, to string, body map[string]json.RawMessage) {
	var inputs []struct{ ID, After string }
	json.Unmarshal(body["inputs"], &inputs)
	var res []map[string]any
	for _, in := range inputs {
		ids := f.P.Associations[to][in.ID]
		if len(ids) == 0 {
			continue
		}
		var tos []map[string]any
		for _, id := range ids {
			n, _ := strconv.ParseInt(id, 10, 64)
			tos = append(tos, map[string]any{"toObjectId": n, "associationTypes": []map[string]any{{"category": "HUBSPOT_DEFINED", "typeId": 6, "label": nil}}})
		}
		res = append(res, map[string]any{"from": map[string]string{"id": in.ID}, "to": tos})
	}
	f.writeJSON(w, map[string]any{"status": "COMPLETE", "results": res, "startedAt": "2026-11-23T10:00:00Z", "completedAt": "2026-11-23T10:00:01Z"})
}

// reverseAssoc answers {deals|contacts} → companies from the
// company → {deals|contacts} associations of the portal.
func (f *Fake) reverseAssoc(w http.ResponseWriter, from string, body map[string]json.RawMessage) {
	var inputs []struct{ ID string }
	json.Unmarshal(body["inputs"], &inputs)
	var res []map[string]any
	for _, in := range inputs {
		var tos []map[string]any
		for co, ids := range f.P.Associations[from] {
			if slices.Contains(ids, in.ID) {
				n, _ := strconv.ParseInt(co, 10, 64)
				tos = append(tos, map[string]any{"toObjectId": n, "associationTypes": []map[string]any{{"category": "HUBSPOT_DEFINED", "typeId": 5}}})
			}
		}
		if len(tos) > 0 {
			res = append(res, map[string]any{"from": map[string]string{"id": in.ID}, "to": tos})
		}
	}
	f.writeJSON(w, map[string]any{"status": "COMPLETE", "results": res})
}

func (f *Fake) batchRead(w http.ResponseWriter, object string, body map[string]json.RawMessage) {
	var in struct {
		Properties []string
		Inputs     []struct{ ID string }
	}
	b, _ := json.Marshal(body)
	json.Unmarshal(b, &in)
	if len(in.Inputs) > 100 {
		w.WriteHeader(400)
		fmt.Fprint(w, `{"status":"error","message":"Batch size exceeds 100","category":"VALIDATION_ERROR"}`)
		return
	}
	res := []Object{}
	for _, i := range in.Inputs {
		if o, ok := f.byID[object][i.ID]; ok {
			res = append(res, project(o, in.Properties))
		}
	}
	f.writeJSON(w, map[string]any{"status": "COMPLETE", "results": res})
}

func (f *Fake) createNote(w http.ResponseWriter, body map[string]json.RawMessage) {
	var props map[string]string
	json.Unmarshal(body["properties"], &props)
	var assoc []struct {
		To struct{ ID string }
	}
	json.Unmarshal(body["associations"], &assoc)
	if props["hs_timestamp"] == "" || len(assoc) == 0 {
		w.WriteHeader(400)
		fmt.Fprint(w, `{"status":"error","message":"hs_timestamp is required","category":"VALIDATION_ERROR"}`)
		return
	}
	props["_company"] = assoc[0].To.ID
	n := Object{ID: strconv.Itoa(9000 + len(f.Notes)), Properties: props, CreatedAt: time.Now().UTC().Format(time.RFC3339)}
	f.Notes = append(f.Notes, n)
	if f.LoseNoteReply {
		f.LoseNoteReply = false
		w.WriteHeader(502)
		return
	}
	w.WriteHeader(201)
	f.writeJSON(w, n)
}

func (f *Fake) searchNotes(w http.ResponseWriter, body map[string]json.RawMessage) {
	var groups []FilterGroup
	json.Unmarshal(body["filterGroups"], &groups)
	var hits []Object
	for _, n := range f.Notes {
		ok := true
		for _, fl := range groups[0].Filters {
			switch fl.PropertyName {
			case "hs_timestamp":
				ok = ok && n.Properties["hs_timestamp"] == fl.Value
			case "associations.company":
				ok = ok && n.Properties["_company"] == fl.Value
			}
		}
		if ok {
			hits = append(hits, n)
		}
	}
	f.writeJSON(w, map[string]any{"total": len(hits), "results": hits})
}
