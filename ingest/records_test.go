package ingest

import (
	"context"
	"fmt"
	"github.com/accountbot/accountbot/storage/badger"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/accountbot/accountbot/domain"
)

func TestRecordsAreStored(t *testing.T) {
	e := newEnv(t, nil, nil)
	d := domain.MustDate("2026-11-20")
	tests := []struct {
		name, path, ctype, body string
		check                   func(t *testing.T)
	}{
		{"accounts array with external ids", "/api/v1/accounts", "application/json",
			`[{"id":"wonka","name":"Wonka Industries","arr":"50,000","owner":"ana@example.com","external_ids":{"crm":"0015g00000WonkaAB","segment":"grp_wonka"}}]`,
			func(t *testing.T) {
				a := e.account("wonka")
				if a.ARR != 50_000_00 || a.ExternalIDs["crm"] != "0015g00000WonkaAB" {
					t.Errorf("wonka = %+v", a)
				}
				if id, err := e.db.ResolveAccount(context.Background(), "segment", "grp_wonka"); id != "wonka" || err != nil {
					t.Errorf("resolve = %q, %v", id, err)
				}
			}},
		{"usage ndjson", "/api/v1/usage", "application/x-ndjson",
			"{\"account_id\":\"acme\",\"date\":\"2026-11-20\",\"active_users\":42,\"usage\":\"1,800\",\"tickets\":1}\n\n{\"account_id\":\"hooli\",\"date\":\"2026-11-20\",\"active_users\":7}\n",
			func(t *testing.T) {
				if s, _ := e.account("acme").SnapshotAt(d); s.Date != d || s.ActiveUsers != 42 || s.Usage != 1800 || s.Tickets != 1 {
					t.Errorf("acme snapshot = %+v", s)
				}
			}},
		{"signals sniffed without content type", "/api/v1/signals", "",
			`[{"account_id":"acme","date":"2026-11-20","kind":"Competitor","note":"Globex pitch"}]`,
			func(t *testing.T) {
				sg := e.account("acme").Signals
				if last := sg[len(sg)-1]; last.Kind != domain.SignalCompetitor || last.Note != "Globex pitch" {
					t.Errorf("signals = %+v", sg)
				}
			}},
		{"stakeholders replace per account", "/api/v1/stakeholders", "application/json",
			`[{"account_id":"acme","name":"Dana Reyes","champion":true,"function":"operations"},{"account_id":"acme","name":"Lee Park","executive":"yes"}]`,
			func(t *testing.T) {
				st := e.account("acme").Stakeholders
				if len(st) != 2 || !st[0].Champion || st[0].Function != domain.FunctionOperations || !st[1].Executive {
					t.Errorf("stakeholders = %+v", st)
				}
			}},
		{"arr point becomes the ARR", "/api/v1/arr", "application/json",
			`[{"account_id":"soylent","date":"2026-11-01","arr":"33,000.50","motion":"seats"}]`,
			func(t *testing.T) {
				a := e.account("soylent")
				if a.ARR != 33_000_50 || a.ARRHistory[len(a.ARRHistory)-1].Motion != domain.MotionSeats {
					t.Errorf("soylent arr = %d %+v", a.ARR, a.ARRHistory)
				}
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := e.do("POST", tt.path, ScopeIngest, tt.body, map[string]string{"Content-Type": tt.ctype})
			if w.Code != http.StatusOK {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			if a := decode[Answer](t, w); a.Rejected != 0 || a.Applied != a.Received {
				t.Errorf("answer = %+v", a)
			}
			tt.check(t)
		})
	}
}

func TestBadRecordsStoreNothingAndNameEveryProblem(t *testing.T) {
	tests := []struct {
		name, path, body string
		want             []RecordError
	}{
		{"usage", "/api/v1/usage", `[{"account_id":"acme","date":"2026-11-20","active_users":3},{"account_id":"acme","date":"2026-02-30","active_users":"many"},{"account_id":"ghost","date":"2026-11-20"},{"account_id":"acme","date":"2026-11-21","colour":"red"},{"account_id":"acme","date":"2026-11-21","usage":[1]}]`,
			[]RecordError{{Index: 1, Field: "date"}, {Index: 1, Field: "active_users"}, {Index: 2, Field: "account_id"}, {Index: 3, Field: "colour"}, {Index: 4, Field: "usage"}}},
		{"accounts", "/api/v1/accounts", `[{"id":"ok","name":"Fine","arr":10},{"id":"bad one","name":"","arr":"12a"},{"id":"x","name":"X","arr":1,"external_ids":{"CRM!":"1"}},{"id":"y","name":"Y","arr":1,"external_ids":"crm"}]`,
			[]RecordError{{Index: 1, Field: "id"}, {Index: 1, Field: "name"}, {Index: 1, Field: "arr"}, {Index: 2, Field: "external_ids.CRM!"}, {Index: 3, Field: "external_ids"}}},
		{"signals", "/api/v1/signals", `[{"account_id":"acme","date":"2026-11-20","kind":"gossip"}, 7]`,
			[]RecordError{{Index: 0, Field: "kind"}, {Index: 1, Field: ""}}},
		{"stakeholders", "/api/v1/stakeholders", `[{"account_id":"acme","function":"legal"}]`,
			[]RecordError{{Index: 0, Field: "name"}, {Index: 0, Field: "function"}}},
		{"arr", "/api/v1/arr", `[{"account_id":"acme","date":"2026-11-01","arr":"1.234"},{"account_id":"acme","arr":5,"motion":"bribe"},{"account_id":"acme","date":"2026-11-01","arr":1,"when":"now"}]`,
			[]RecordError{{Index: 0, Field: "arr"}, {Index: 1, Field: "date"}, {Index: 1, Field: "motion"}, {Index: 2, Field: ""}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, nil, nil)
			before := e.account("acme")
			w := e.do("POST", tt.path, ScopeIngest, tt.body, nil)
			if w.Code != http.StatusUnprocessableEntity {
				t.Fatalf("status %d: %s", w.Code, w.Body)
			}
			got := decode[ErrorBody](t, w).Error
			if got.Code != "invalid_records" {
				t.Errorf("code = %q", got.Code)
			}
			for _, want := range tt.want {
				found := false
				for _, g := range got.Errors {
					found = found || g.Index == want.Index && g.Field == want.Field && g.Reason != ""
				}
				if !found {
					t.Errorf("missing {%d %q} in %+v", want.Index, want.Field, got.Errors)
				}
			}
			if after := e.account("acme"); fmt.Sprint(after) != fmt.Sprint(before) {
				t.Errorf("acme changed:\n%+v\n%+v", before, after)
			}
			if _, err := e.db.Account(context.Background(), "ok"); err == nil {
				t.Error("the good account of a refused request was stored")
			}
		})
	}
}

func TestPartialKeepsTheGoodRecords(t *testing.T) {
	e := newEnv(t, nil, nil)
	w := e.do("POST", "/api/v1/usage?partial=true", ScopeIngest, `[{"account_id":"acme","date":"2026-11-20","active_users":3},{"account_id":"acme","date":"nope"}]`, nil)
	a := decode[Answer](t, w)
	if w.Code != 200 || a.Received != 2 || a.Applied != 1 || a.Rejected != 1 || a.Errors[0].Index != 1 || a.Errors[0].Field != "date" {
		t.Fatalf("%d %+v", w.Code, a)
	}
	if s, _ := e.account("acme").SnapshotAt(domain.MustDate("2026-11-20")); s.ActiveUsers != 3 {
		t.Errorf("snapshot = %+v", s)
	}
}

func TestIdempotencyKey(t *testing.T) {
	e := newEnv(t, nil, nil)
	key := map[string]string{"Idempotency-Key": "3f1c9a52-retry"}
	body := `[{"account_id":"acme","date":"2026-11-20","active_users":3}]`
	first := e.do("POST", "/api/v1/usage", ScopeIngest, body, key)
	if first.Code != 200 {
		t.Fatalf("first: %d %s", first.Code, first.Body)
	}
	// Newer data arrives without a key; a late retry must not undo it.
	e.do("POST", "/api/v1/usage", ScopeIngest, `[{"account_id":"acme","date":"2026-11-20","active_users":9}]`, nil)
	retry := e.do("POST", "/api/v1/usage", ScopeIngest, body, key)
	if retry.Code != 200 || retry.Body.String() != first.Body.String() || retry.Header().Get("Idempotent-Replayed") != "true" {
		t.Errorf("retry: %d %q %s", retry.Code, retry.Header().Get("Idempotent-Replayed"), retry.Body)
	}
	if s, _ := e.account("acme").SnapshotAt(domain.MustDate("2026-11-20")); s.ActiveUsers != 9 {
		t.Errorf("the retry changed data: %+v", s)
	}
	other := e.do("POST", "/api/v1/usage", ScopeIngest, `[{"account_id":"acme","date":"2026-11-21"}]`, key)
	if other.Code != 422 || decode[ErrorBody](t, other).Error.Code != "idempotency_key_reused" {
		t.Errorf("reused key: %d %s", other.Code, other.Body)
	}
	if w := e.do("POST", "/api/v1/usage", ScopeIngest, body, map[string]string{"Idempotency-Key": "has space"}); w.Code != 400 {
		t.Errorf("bad key: %d", w.Code)
	}
	// Another token's same key is another request.
	if w := e.do("POST", "/api/v1/usage", ScopeAdmin, `[{"account_id":"acme","date":"2026-11-21"}]`, key); w.Code != 200 {
		t.Errorf("other token: %d %s", w.Code, w.Body)
	}
}

// blocking holds Apply until released, to catch a concurrent retry.
type blocking struct {
	*badger.DB
	entered, release chan struct{}
}

func (b blocking) Apply(ctx context.Context, p []domain.Patch) (domain.ApplyStats, error) {
	b.entered <- struct{}{}
	<-b.release
	return b.DB.Apply(ctx, p)
}

func TestEveryRecordsEndpointAnswersItsErrors(t *testing.T) {
	for _, kind := range []string{"accounts", "usage", "signals", "stakeholders", "arr"} {
		t.Run(kind, func(t *testing.T) {
			p := "/api/v1/" + kind
			e := newEnv(t, func(o *Options) { o.Config.MaxBodyBytes = 1024; o.Config.Burst = 3; o.Config.RatePerSecond = 0.01 }, nil)
			check := func(what string, w interface{ Result() *http.Response }, status int, code string) {
				t.Helper()
				res := w.Result()
				if res.StatusCode != status {
					t.Errorf("%s: status %d, want %d", what, res.StatusCode, status)
				}
			}
			check("no token", e.do("POST", p, "", "[]", nil), 401, "unauthorized")
			w := e.do("POST", p, "", "[]", map[string]string{"Authorization": "Bearer abt_000000000000_" + strings.Repeat("0", 64)})
			check("unknown token", w, 401, "")
			if w.Header().Get("WWW-Authenticate") == "" {
				t.Error("401 without WWW-Authenticate")
			}
			check("read scope", e.do("POST", p, ScopeRead, "[]", nil), 403, "")
			w413 := e.do("POST", p, ScopeIngest, "["+strings.Repeat(" ", 2000)+"]", nil)
			check("too large", w413, 413, "")
			if !strings.Contains(w413.Body.String(), "the 1024 bytes limit") {
				t.Errorf("413 does not say the limit: %s", w413.Body)
			}
			check("csv", e.do("POST", p, ScopeIngest, "id,name\n", map[string]string{"Content-Type": "text/csv"}), 415, "")
			w = e.do("POST", p, ScopeIngest, "[{", nil)
			check("broken", w, 400, "")
			if w := e.do("POST", p, ScopeIngest, "[]", nil); w.Code != 429 || w.Header().Get("Retry-After") == "" {
				t.Errorf("rate limit: %d, Retry-After %q", w.Code, w.Header().Get("Retry-After"))
			}
			if w := e.do("POST", p, ScopeAdmin, "[1]", nil); w.Code != 422 {
				t.Errorf("admin with a bad record: %d %s", w.Code, w.Body)
			}

			f := newEnv(t, nil, func(db *badger.DB) Store { return failing{db} })
			check("store fails", f.do("POST", p, ScopeIngest, "[]", nil), 500, "")

			b := blocking{entered: make(chan struct{}), release: make(chan struct{})}
			g := newEnv(t, nil, func(db *badger.DB) Store { b.DB = db; return b })
			key := map[string]string{"Idempotency-Key": "k1"}
			var wg sync.WaitGroup
			wg.Go(func() { g.do("POST", p, ScopeIngest, "[]", key) })
			<-b.entered
			w = g.do("POST", p, ScopeIngest, "[]", key)
			close(b.release)
			wg.Wait()
			check("concurrent retry", w, 409, "")
			if w.Header().Get("Retry-After") == "" {
				t.Error("409 without Retry-After")
			}
		})
	}
}

func TestRevokedTokenStopsAtOnce(t *testing.T) {
	e := newEnv(t, nil, nil)
	toks, _ := e.db.Tokens(context.Background())
	for _, tk := range toks {
		if err := e.db.RevokeToken(context.Background(), tk.ID); err != nil {
			t.Fatal(err)
		}
	}
	if w := e.do("POST", "/api/v1/usage", ScopeIngest, "[]", nil); w.Code != 401 {
		t.Errorf("revoked: %d", w.Code)
	}
	// A secret with the right id but a wrong key is refused too.
	tok, secret, _ := NewToken("", []string{ScopeIngest}, testNow)
	e.db.PutToken(context.Background(), tok)
	forged := secret[:len(secret)-1] + "x"
	if w := e.do("POST", "/api/v1/usage", "", "[]", map[string]string{"Authorization": "Bearer " + forged}); w.Code != 401 {
		t.Errorf("forged: %d", w.Code)
	}
	if w := e.do("POST", "/api/v1/usage", "", "[]", map[string]string{"Authorization": "Bearer " + secret}); w.Code != 200 {
		t.Errorf("good: %d %s", w.Code, w.Body)
	}
}

func TestUnmatchedEndpoint(t *testing.T) {
	e := newEnv(t, nil, nil)
	if w := e.do("GET", "/api/v1/unmatched", ScopeIngest, "", nil); w.Code != 403 {
		t.Errorf("ingest scope: %d", w.Code)
	}
	if w := e.do("GET", "/api/v1/unmatched", "", "", nil); w.Code != 401 {
		t.Errorf("no token: %d", w.Code)
	}
	w := e.do("GET", "/api/v1/unmatched", ScopeRead, "", nil)
	if w.Code != 200 || strings.TrimSpace(w.Body.String()) != `{"unmatched":[]}` {
		t.Errorf("%d %s", w.Code, w.Body)
	}
	l := newEnv(t, func(o *Options) { o.Config.Burst = 1; o.Config.RatePerSecond = 0.01 }, nil)
	l.do("GET", "/api/v1/unmatched", ScopeRead, "", nil)
	if w := l.do("GET", "/api/v1/unmatched", ScopeRead, "", nil); w.Code != 429 {
		t.Errorf("rate: %d", w.Code)
	}
	f := newEnv(t, nil, func(db *badger.DB) Store { return failing{db} })
	if w := f.do("GET", "/api/v1/unmatched", ScopeAdmin, "", nil); w.Code != 500 || strings.Contains(w.Body.String(), "fire") {
		t.Errorf("failing: %d %s", w.Code, w.Body)
	}
}

func TestUnknownEndpointsAnswerTypedJSON(t *testing.T) {
	e := newEnv(t, nil, nil)
	w := e.do("GET", "/api/v1/usage", ScopeIngest, "", nil)
	if w.Code != 405 || w.Header().Get("Allow") != "POST" || decode[ErrorBody](t, w).Error.Code != "method_not_allowed" {
		t.Errorf("GET usage: %d %q %s", w.Code, w.Header().Get("Allow"), w.Body)
	}
	w = e.do("POST", "/api/v1/widgets", ScopeIngest, "[]", nil)
	if w.Code != 404 || decode[ErrorBody](t, w).Error.Code != "not_found" {
		t.Errorf("widgets: %d %s", w.Code, w.Body)
	}
}
