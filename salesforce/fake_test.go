package salesforce

import (
	"crypto/rsa"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// org is the fake's data in the REST API's record shapes, loaded from
// testdata/org.json or generated for benchmarks.
type org struct {
	Fields  map[string][]string `json:"fields"`  // object → its fields (describe)
	Objects map[string][]rec    `json:"objects"` // object → records, deleted ones with IsDeleted
}

// fake is an httptest Salesforce speaking the documented shapes: the OAuth
// token endpoint for the JWT bearer grant (the assertion must be signed by
// the app's certificate key with iss, sub and aud right), REST SOQL with
// nextRecordsUrl paging and Sforce-Query-Options, queryAll, the updated
// and deleted resources, Bulk API 2.0 query and ingest jobs, sObject
// create, Sforce-Limit-Info on every answer and the error bodies of
// testdata/errors.json (INVALID_SESSION_ID, REQUEST_LIMIT_EXCEEDED, …).
type fake struct {
	t        testing.TB
	mu       sync.Mutex
	o        org
	byID     map[string]rec
	byAcct   map[string]map[string][]rec // object → AccountId → records
	errs     map[string]json.RawMessage
	key      *rsa.PublicKey
	clientID string
	user     string
	now      time.Time
	tokens   map[string]bool
	issued   int
	cursors  map[string][]rec // query locator → remaining rows
	cfields  map[string][]string
	jobs     map[string]*fakeJob
	// Limits: used / max daily requests, reported in Sforce-Limit-Info.
	used, max int
	// Faults.
	deny         string // an object the user may not read (INVALID_TYPE)
	loseTaskPost bool   // create the Task, then answer 502
	idLimit      int    // the updated resource's id limit (600,000 in Salesforce)
	// What was asked.
	logins   int
	requests []string
	quiet    bool // do not log requests (benchmarks)
	seq      int
	tasks    []rec
	srv      *httptest.Server
}

type fakeJob struct {
	kind, object, state string
	polls               int
	rows                []rec
	fields              []string
	upload              string
	failed              [][]string
	processed           int
}

func readOrg() (org, error) {
	var o org
	b, err := os.ReadFile("testdata/org.json")
	if err == nil {
		err = json.Unmarshal(b, &o)
	}
	return o, err
}

func loadOrg(t testing.TB) org {
	o, err := readOrg()
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func newFake(t testing.TB, o org, key *rsa.PublicKey) *fake {
	f, err := startFake(o, key)
	if err != nil {
		t.Fatal(err)
	}
	f.t = t
	t.Cleanup(f.srv.Close)
	return f
}

// startFake serves o; the benchmark runs it in a child process.
func startFake(o org, key *rsa.PublicKey) (*fake, error) {
	f := &fake{o: o, key: key, clientID: testClientID, user: testUser, now: testNow, tokens: map[string]bool{},
		cursors: map[string][]rec{}, cfields: map[string][]string{}, jobs: map[string]*fakeJob{}, max: 1_000_000}
	b, err := os.ReadFile("testdata/errors.json")
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(b, &f.errs); err != nil {
		return nil, err
	}
	f.index()
	f.srv = httptest.NewServer(http.HandlerFunc(f.serve))
	return f, nil
}

func (f *fake) index() {
	f.byID, f.byAcct = map[string]rec{}, map[string]map[string][]rec{}
	for obj, rs := range f.o.Objects {
		slices.SortFunc(rs, func(a, b rec) int { return strings.Compare(str(a["Id"]), str(b["Id"])) })
		f.byAcct[obj] = map[string][]rec{}
		for _, r := range rs {
			f.byID[str(r["Id"])] = r
			if a := str(r["AccountId"]); a != "" {
				f.byAcct[obj][a] = append(f.byAcct[obj][a], r)
			}
		}
	}
}

// expire invalidates every access token (a session timeout).
func (f *fake) expire() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tokens = map[string]bool{}
}

func (f *fake) fail(w http.ResponseWriter, status int, name string) {
	body, ok := f.errs[name]
	if !ok && f.t != nil {
		f.t.Errorf("fake: no error fixture %q", name)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(body)
}

func (f *fake) failMsg(w http.ResponseWriter, status int, code, msg string) {
	b, _ := json.Marshal([]map[string]string{{"message": msg, "errorCode": code}})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

func (f *fake) json(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

func (f *fake) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
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
	if !f.quiet {
		f.requests = append(f.requests, strings.TrimSpace(r.Method+" "+strings.TrimPrefix(r.URL.Path, prefix)+" "+r.URL.Query().Get("q")))
	}
	if f.used >= f.max {
		w.Header().Set("Sforce-Limit-Info", fmt.Sprintf("api-usage=%d/%d", f.used, f.max))
		f.fail(w, 403, "REQUEST_LIMIT_EXCEEDED")
		return
	}
	f.used++
	w.Header().Set("Sforce-Limit-Info", fmt.Sprintf("api-usage=%d/%d", f.used, f.max))
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

// token answers the JWT bearer grant.
func (f *fake) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		f.json(w, 400, map[string]string{"error": "unsupported_grant_type", "error_description": "grant type not supported"})
		return
	}
	bad := func(desc string) {
		f.json(w, 400, map[string]string{"error": "invalid_grant", "error_description": desc})
	}
	claims := jwt.MapClaims{}
	// The library sends exp as a string; Salesforce accepts it, so the
	// fake checks it by hand rather than with jwt's typed validation.
	_, err := jwt.ParseWithClaims(r.PostForm.Get("assertion"), claims, func(t *jwt.Token) (any, error) { return f.key, nil },
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithoutClaimsValidation())
	if err != nil {
		bad("invalid assertion")
		return
	}
	exp, _ := strconv.ParseInt(fmt.Sprint(claims["exp"]), 10, 64)
	switch {
	case claims["iss"] != f.clientID:
		bad("invalid client credentials")
	case claims["aud"] != "https://login.salesforce.com":
		bad("audience is invalid")
	case exp < time.Now().Unix():
		bad("expired authorization code")
	case claims["sub"] != f.user:
		bad("user hasn't approved this consumer")
	default:
		f.logins++
		f.issued++
		tok := fmt.Sprintf("00D000000000001!tok%d", f.issued)
		f.tokens[tok] = true
		f.json(w, 200, map[string]string{"access_token": tok, "scope": "api", "instance_url": f.srv.URL,
			"id": f.srv.URL + "/id/00D000000000001EAA/005000000000001AAA", "token_type": "Bearer"})
	}
}

// known reports whether obj has field (relationship paths are not used).
func (f *fake) known(obj, field string) bool {
	return slices.ContainsFunc(f.o.Fields[obj], func(x string) bool { return strings.EqualFold(x, field) })
}

func (f *fake) checkFields(w http.ResponseWriter, obj string, fields []string) bool {
	if _, ok := f.o.Fields[obj]; !ok || obj == f.deny {
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
func (f *fake) run(st soqlStmt, all bool) []rec {
	var cand []rec
	if c, ok := st.indexed(); ok {
		for _, v := range c.vals {
			if c.field == "Id" {
				if r, ok := f.byID[v]; ok && objectOf(r) == st.object {
					cand = append(cand, r)
				}
			} else {
				cand = append(cand, f.byAcct[st.object][v]...)
			}
		}
	} else {
		cand = f.o.Objects[st.object]
	}
	var out []rec
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

func (f *fake) query(w http.ResponseWriter, r *http.Request, parts []string) {
	batch := 2000
	if v, ok := strings.CutPrefix(r.Header.Get("Sforce-Query-Options"), "batchSize="); ok {
		if n, err := strconv.Atoi(v); err == nil && n >= 200 && n <= 2000 {
			batch = n
		}
	}
	var rows []rec
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

func objectOf(r rec) string {
	if t, ok := r["attributes"].(map[string]any); ok {
		return str(t["type"])
	}
	return str(r["_type"])
}

// replication answers /sobjects/{obj}/updated|deleted/?start&end.
func (f *fake) replication(w http.ResponseWriter, r *http.Request, obj, kind string) {
	start, err1 := time.Parse(time.RFC3339, r.URL.Query().Get("start"))
	end, err2 := time.Parse(time.RFC3339, r.URL.Query().Get("end"))
	if err1 != nil || err2 != nil || !end.After(start) {
		f.failMsg(w, 400, "INVALID_REPLICATION_DATE", "start and end must be dates with start before end")
		return
	}
	if kind == "deleted" && f.now.Sub(start) > 15*24*time.Hour {
		f.failMsg(w, 400, "INVALID_REPLICATION_DATE", "startDate is before earliestDateAvailable")
		return
	}
	if f.now.Sub(start) > 30*24*time.Hour {
		f.failMsg(w, 400, "INVALID_REPLICATION_DATE", "startDate cannot be more than 30 days ago")
		return
	}
	in := func(s string) bool {
		t, ok := parseSFTime(s)
		return ok && t.After(start) && !t.After(end)
	}
	covered := end.UTC().Format("2006-01-02T15:04:05.000+0000")
	if kind == "updated" {
		ids := []string{}
		for _, x := range f.o.Objects[obj] {
			if x["IsDeleted"] != true && in(str(x["SystemModstamp"])) {
				ids = append(ids, str(x["Id"]))
			}
		}
		if f.idLimit > 0 && len(ids) > f.idLimit {
			f.failMsg(w, 400, "EXCEEDED_ID_LIMIT", "too many ids were requested")
			return
		}
		f.json(w, 200, map[string]any{"ids": ids, "latestDateCovered": covered})
		return
	}
	dels := []map[string]string{}
	for _, x := range f.o.Objects[obj] {
		if x["IsDeleted"] == true && in(str(x["SystemModstamp"])) {
			dels = append(dels, map[string]string{"id": str(x["Id"]), "deletedDate": str(x["SystemModstamp"])})
		}
	}
	f.json(w, 200, map[string]any{"deletedRecords": dels, "earliestDateAvailable": "2026-10-01T00:00:00.000+0000", "latestDateCovered": covered})
}

// create answers POST /sobjects/{obj}/ (Tasks).
func (f *fake) create(w http.ResponseWriter, r *http.Request, obj string) {
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
		if a, ok := f.byID[what]; !ok || a["IsDeleted"] == true {
			f.failMsg(w, 400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
			return
		}
	}
	id := fmt.Sprintf("00T%015d", len(f.tasks)+1)
	in["Id"], in["_type"] = id, obj
	f.tasks = append(f.tasks, in)
	f.o.Objects[obj] = append(f.o.Objects[obj], in)
	f.byID[id] = in
	if f.loseTaskPost {
		f.loseTaskPost = false
		w.WriteHeader(http.StatusBadGateway)
		w.Write([]byte("<html>502 Bad Gateway</html>"))
		return
	}
	f.json(w, 201, map[string]any{"id": id, "success": true, "errors": []any{}})
}
