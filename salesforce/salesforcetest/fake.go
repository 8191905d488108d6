package salesforcetest

import (
	"crypto/rsa"
	"embed"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Org is the Fake's data in the REST API's record shapes, loaded from
// testdata/org.json or generated for benchmarks.
type Org struct {
	Fields  map[string][]string `json:"fields"`  // object → its fields (describe)
	Objects map[string][]Rec    `json:"objects"` // object → records, deleted ones with IsDeleted
}

// Fake is an httptest Salesforce speaking the documented shapes: the OAuth
// token endpoint for the JWT bearer grant (the assertion must be signed by
// the app's certificate key with iss, sub and aud right), REST SOQL with
// nextRecordsUrl paging and Sforce-Query-Options, queryAll, the updated
// and deleted resources, Bulk API 2.0 query and ingest jobs, sObject
// create, Sforce-Limit-Info on every answer and the error bodies of
// testdata/errors.json (INVALID_SESSION_ID, REQUEST_LIMIT_EXCEEDED, …).
type Fake struct {
	t        testing.TB
	Mu       sync.Mutex
	O        Org
	ByID     map[string]Rec
	byAcct   map[string]map[string][]Rec // object → AccountId → records
	errs     map[string]json.RawMessage
	key      *rsa.PublicKey
	clientID string
	user     string
	Now      time.Time
	tokens   map[string]bool
	issued   int
	cursors  map[string][]Rec // query locator → remaining rows
	cfields  map[string][]string
	jobs     map[string]*fakeJob
	// Limits: used / max daily requests, reported in Sforce-Limit-Info.
	Used, Max int
	// Faults.
	Deny         string // an object the user may not read (INVALID_TYPE)
	LoseTaskPost bool   // create the Task, then answer 502
	IDLimit      int    // the updated resource's id limit (600,000 in Salesforce)
	GatewayError bool   // every API call answers a proxy's 502 page
	// What was asked.
	Logins   int
	Requests []string
	Quiet    bool                   // do not log requests (benchmarks)
	stamps   map[string][]time.Time // after Freeze: object → SystemModstamp of O.Objects[object][i]
	seq      int
	Tasks    []Rec
	Srv      *httptest.Server
}

type fakeJob struct {
	kind, object, state string
	polls               int
	rows                []Rec
	fields              []string
	upload              string
	failed              [][]string
	processed           int
	errorMessage        string
}

// Today is the fake's date: the `updated` resource reaches 30 days before it.
var Today = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

// The External Client App and user the fake accepts in a JWT assertion.
const (
	ClientID = "3MVG9TestExternalClientApp"
	Username = "accountbot@acme.example"
)

//go:embed testdata/org.json testdata/errors.json
var fixtures embed.FS

// ReadOrg returns the fixture org (testdata/org.json).
func ReadOrg() (Org, error) {
	var o Org
	b, err := fixtures.ReadFile("testdata/org.json")
	if err == nil {
		err = json.Unmarshal(b, &o)
	}
	return o, err
}

// LoadOrg returns the fixture org or fails t.
func LoadOrg(t testing.TB) Org {
	o, err := ReadOrg()
	if err != nil {
		t.Fatal(err)
	}
	return o
}

// New serves o until t ends; assertions must be signed by key's private key.
func New(t testing.TB, o Org, key *rsa.PublicKey) *Fake {
	f, err := Start(o, key)
	if err != nil {
		t.Fatal(err)
	}
	f.t = t
	t.Cleanup(f.Srv.Close)
	return f
}

// Start serves o; the benchmark runs it in a child process.
func Start(o Org, key *rsa.PublicKey) (*Fake, error) {
	f := &Fake{O: o, key: key, clientID: ClientID, user: Username, Now: Today, tokens: map[string]bool{},
		cursors: map[string][]Rec{}, cfields: map[string][]string{}, jobs: map[string]*fakeJob{}, Max: 1_000_000}
	b, err := fixtures.ReadFile("testdata/errors.json")
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &f.errs); err != nil {
		return nil, err
	}
	f.Index()
	f.Srv = httptest.NewServer(http.HandlerFunc(f.serve))
	return f, nil
}

// Freeze says the records' SystemModstamp values will not change
// (benchmarks): scans on it then read a column of the parsed values, made
// here, as Salesforce answers from its SystemModstamp index, instead of
// every record's map.
func (f *Fake) Freeze() {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	f.stamps = map[string][]time.Time{}
	for obj, recs := range f.O.Objects {
		col := make([]time.Time, len(recs))
		for i, r := range recs {
			col[i], _ = parseSFTime(str(r["SystemModstamp"]))
		}
		f.stamps[obj] = col
	}
}

// byStamp returns the records of all (O.Objects[obj] itself) that may
// meet conds, the AND-ed SystemModstamp comparisons of a query: after
// Freeze, those whose parsed SystemModstamp does not are left out; a
// record whose value does not parse stays (the full match decides).
// Otherwise all as it is.
func (f *Fake) byStamp(obj string, all []Rec, conds []cond) []Rec {
	whole, col := f.O.Objects[obj], f.stamps[obj]
	if len(conds) == 0 || len(col) != len(whole) || len(all) != len(whole) || len(all) == 0 || &all[0] != &whole[0] {
		return all
	}
	var out []Rec
	for i, t := range col {
		if t.IsZero() || stampMeets(t, conds) {
			out = append(out, whole[i])
		}
	}
	return out
}

// Index rebuilds the lookups after a test edits O.
func (f *Fake) Index() {
	f.ByID, f.byAcct = map[string]Rec{}, map[string]map[string][]Rec{}
	for obj, rs := range f.O.Objects {
		slices.SortFunc(rs, func(a, b Rec) int { return strings.Compare(str(a["Id"]), str(b["Id"])) })
		f.byAcct[obj] = map[string][]Rec{}
		for _, r := range rs {
			f.ByID[str(r["Id"])] = r
			if a := str(r["AccountId"]); a != "" {
				f.byAcct[obj][a] = append(f.byAcct[obj][a], r)
			}
		}
	}
}

// Expire invalidates every access token (a session timeout).
func (f *Fake) Expire() {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	f.tokens = map[string]bool{}
}

func (f *Fake) fail(w http.ResponseWriter, status int, name string) {
	body, ok := f.errs[name]
	if !ok && f.t != nil {
		f.t.Errorf("fake: no error fixture %q", name)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

func (f *Fake) failMsg(w http.ResponseWriter, status int, code, msg string) {
	b, _ := json.Marshal([]map[string]string{{"message": msg, "errorCode": code}})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

func (f *Fake) json(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (f *Fake) serve(w http.ResponseWriter, r *http.Request) {
	f.Mu.Lock()
	defer f.Mu.Unlock()
	if r.URL.Path == "/services/oauth2/token" {
		f.token(w, r)
		return
	}
	prefix := "/services/data/v63.0/"
	if !strings.HasPrefix(r.URL.Path, prefix) {
		http.NotFound(w, r)
		return
	}
	if !f.tokens[strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")] {
		f.fail(w, 401, "INVALID_SESSION_ID")
		return
	}
	if !f.Quiet {
		f.Requests = append(f.Requests, strings.TrimSpace(r.Method+" "+strings.TrimPrefix(r.URL.Path, prefix)+" "+r.URL.Query().Get("q")))
	}
	if f.Used >= f.Max {
		w.Header().Set("Sforce-Limit-Info", fmt.Sprintf("api-usage=%d/%d", f.Used, f.Max))
		f.fail(w, 403, "REQUEST_LIMIT_EXCEEDED")
		return
	}
	if f.GatewayError {
		w.WriteHeader(http.StatusBadGateway)
		w.Write([]byte("<html><body>502 Bad Gateway</body></html>"))
		return
	}
	f.Used++
	w.Header().Set("Sforce-Limit-Info", fmt.Sprintf("api-usage=%d/%d", f.Used, f.Max))
	path := strings.TrimPrefix(r.URL.Path, prefix)
	parts := strings.Split(strings.TrimSuffix(path, "/"), "/")
	switch {
	case parts[0] == "query" || parts[0] == "queryAll":
		f.query(w, r, parts)
	case parts[0] == "sobjects" && len(parts) == 3 && (parts[2] == "updated" || parts[2] == "deleted"):
		f.replication(w, r, parts[1], parts[2])
	case parts[0] == "sobjects" && len(parts) == 2 && r.Method == http.MethodPost:
		f.create(w, r, parts[1])
	case parts[0] == "jobs":
		f.bulk(w, r, parts[1:])
	default:
		f.fail(w, 404, "NOT_FOUND")
	}
}

// known reports whether obj has field (relationship paths are not used).
func (f *Fake) known(obj, field string) bool {
	return slices.ContainsFunc(f.O.Fields[obj], func(x string) bool { return strings.EqualFold(x, field) })
}

func (f *Fake) checkFields(w http.ResponseWriter, obj string, fields []string) bool {
	if _, ok := f.O.Fields[obj]; !ok || obj == f.Deny {
		f.failMsg(w, 400, "INVALID_TYPE", fmt.Sprintf("\nSELECT Id FROM %s\n               ^\nERROR at Row:1:Column:16\nsObject type '%s' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.", obj, obj))
		return false
	}
	for _, fl := range fields {
		if !f.known(obj, fl) {
			f.failMsg(w, 400, "INVALID_FIELD", fmt.Sprintf("\nSELECT Id, %s FROM %s\n           ^\nERROR at Row:1:Column:12\nNo such column '%s' on entity '%s'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.", fl, obj, fl, obj))
			return false
		}
	}
	return true
}

// run evaluates a statement (all: include deleted records).
func (f *Fake) run(st soqlStmt, all bool) []Rec {
	var cand []Rec
	if c, ok := st.indexed(); ok {
		for _, v := range c.vals {
			if c.field == "Id" {
				if r, ok := f.ByID[v]; ok && objectOf(r) == st.object {
					cand = append(cand, r)
				}
			} else {
				cand = append(cand, f.byAcct[st.object][v]...)
			}
		}
	} else {
		cand = f.O.Objects[st.object]
	}
	if _, ok := st.indexed(); !ok {
		cand = f.byStamp(st.object, cand, st.stampConds())
	}
	var out []Rec
	for _, r := range cand {
		if (all || r["IsDeleted"] != true) && st.match(r) {
			out = append(out, r)
		}
	}
	st.sort(out)
	if st.limit > 0 && len(out) > st.limit {
		out = out[:st.limit]
	}
	return out
}

func (f *Fake) query(w http.ResponseWriter, r *http.Request, parts []string) {
	batch := 2000
	if v, ok := strings.CutPrefix(r.Header.Get("Sforce-Query-Options"), "batchSize="); ok {
		if n, err := strconv.Atoi(v); err == nil && n >= 200 && n <= 2000 {
			batch = n
		}
	}
	var rows []Rec
	var fields []string
	if len(parts) == 2 { // a nextRecordsUrl
		loc := parts[1]
		var ok bool
		if rows, ok = f.cursors[loc]; !ok {
			f.failMsg(w, 400, "INVALID_QUERY_LOCATOR", "invalid query locator")
			return
		}
		fields = f.cfields[loc]
		delete(f.cursors, loc)
	} else {
		st, err := parseSOQL(r.URL.Query().Get("q"))
		if err != nil {
			f.failMsg(w, 400, "MALFORMED_QUERY", err.Error())
			return
		}
		if !f.checkFields(w, st.object, st.usedFields()) {
			return
		}
		rows = f.run(st, parts[0] == "queryAll")
		if st.count {
			f.json(w, 200, map[string]any{"totalSize": len(rows), "done": true, "records": []any{}})
			return
		}
		fields = st.fields
	}
	out := map[string]any{"totalSize": len(rows), "done": true}
	page := rows
	if len(rows) > batch {
		page = rows[:batch]
		f.seq++
		loc := fmt.Sprintf("01gD000000%05d-%d", f.seq, batch)
		f.cursors[loc], f.cfields[loc] = rows[batch:], fields
		out["done"], out["nextRecordsUrl"] = false, "/services/data/v63.0/query/"+loc
	}
	recs := make([]map[string]any, len(page))
	for i, x := range page {
		m := map[string]any{"attributes": map[string]string{"type": objectOf(x), "url": "/services/data/v63.0/sobjects/" + objectOf(x) + "/" + str(x["Id"])}}
		for _, fl := range fields {
			m[fl] = x[fl]
		}
		recs[i] = m
	}
	out["records"] = recs
	f.json(w, 200, out)
}

func objectOf(r Rec) string {
	if t, ok := r["attributes"].(map[string]any); ok {
		return str(t["type"])
	}
	return str(r["_type"])
}

// replication answers /sobjects/{obj}/updated|deleted/?start&end.
func (f *Fake) replication(w http.ResponseWriter, r *http.Request, obj, kind string) {
	start, err1 := time.Parse(time.RFC3339, r.URL.Query().Get("start"))
	end, err2 := time.Parse(time.RFC3339, r.URL.Query().Get("end"))
	if err1 != nil || err2 != nil || !end.After(start) {
		f.failMsg(w, 400, "INVALID_REPLICATION_DATE", "start and end must be dates with start before end")
		return
	}
	if kind == "deleted" && f.Now.Sub(start) > 15*24*time.Hour {
		f.failMsg(w, 400, "INVALID_REPLICATION_DATE", "startDate is before earliestDateAvailable")
		return
	}
	if f.Now.Sub(start) > 30*24*time.Hour {
		f.failMsg(w, 400, "INVALID_REPLICATION_DATE", "startDate cannot be more than 30 days ago")
		return
	}
	in := func(s string) bool {
		t, ok := parseSFTime(s)
		return ok && t.After(start) && !t.After(end)
	}
	covered := end.UTC().Format("2006-01-02T15:04:05.000+0000")
	recs := f.byStamp(obj, f.O.Objects[obj], []cond{{field: "SystemModstamp", op: ">", t: start, isTime: true}, {field: "SystemModstamp", op: "<=", t: end, isTime: true}})
	if kind == "updated" {
		ids := []string{}
		for _, x := range recs {
			if x["IsDeleted"] != true && in(str(x["SystemModstamp"])) {
				ids = append(ids, str(x["Id"]))
			}
		}
		if f.IDLimit > 0 && len(ids) > f.IDLimit {
			f.failMsg(w, 400, "EXCEEDED_ID_LIMIT", "too many ids were requested")
			return
		}
		f.json(w, 200, map[string]any{"ids": ids, "latestDateCovered": covered})
		return
	}
	dels := []map[string]string{}
	for _, x := range recs {
		if x["IsDeleted"] == true && in(str(x["SystemModstamp"])) {
			dels = append(dels, map[string]string{"id": str(x["Id"]), "deletedDate": str(x["SystemModstamp"])})
		}
	}
	f.json(w, 200, map[string]any{"deletedRecords": dels, "earliestDateAvailable": "2026-10-01T00:00:00.000+0000", "latestDateCovered": covered})
}

// create answers POST /sobjects/{obj}/ (Tasks).
func (f *Fake) create(w http.ResponseWriter, r *http.Request, obj string) {
	var in map[string]any
	if err := json.NewDecoder(r.Body).Decode(&in); err != nil {
		f.failMsg(w, 400, "JSON_PARSER_ERROR", err.Error())
		return
	}
	for k := range in {
		if !f.known(obj, k) {
			f.failMsg(w, 400, "INVALID_FIELD", fmt.Sprintf("No such column '%s' on sobject of type %s", k, obj))
			return
		}
	}
	if what := str(in["WhatId"]); what != "" {
		if a, ok := f.ByID[what]; !ok || a["IsDeleted"] == true {
			f.failMsg(w, 400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
			return
		}
	}
	id := fmt.Sprintf("00T%015d", len(f.Tasks)+1)
	in["Id"], in["_type"] = id, obj
	f.Tasks = append(f.Tasks, in)
	f.O.Objects[obj] = append(f.O.Objects[obj], in)
	f.ByID[id] = in
	if f.LoseTaskPost {
		f.LoseTaskPost = false
		w.WriteHeader(http.StatusBadGateway)
		w.Write([]byte("<html>502 Bad Gateway</html>"))
		return
	}
	f.json(w, 201, map[string]any{"id": id, "success": true, "errors": []any{}})
}

// URL is the fake's address (SALESFORCE_LOGIN_URL).
func (f *Fake) URL() string { return f.Srv.URL }
