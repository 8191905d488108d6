package ingest

import (
	"context"
	"crypto/hmac"
	"crypto/sha1"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"github.com/accountbot/accountbot/storage/badger"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage"
	"github.com/accountbot/accountbot/storage/storagetest"
)

var testNow = time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)

const testSecret = "segment-shared-secret"

// seen records every "METHOD path status" a test produced, so TestMain can
// check that each documented status is produced by some test.
var seen = struct {
	sync.Mutex
	m map[string]bool
}{m: map[string]bool{}}

func TestMain(m *testing.M) {
	code := m.Run()
	if code == 0 && flag.Lookup("test.run").Value.String() == "" {
		var missing []string
		for _, k := range documentedStatuses() {
			if !seen.m[k] {
				missing = append(missing, k)
			}
		}
		if len(missing) > 0 {
			fmt.Fprintf(os.Stderr, "documented statuses no test produced:\n  %s\n", strings.Join(missing, "\n  "))
			code = 1
		}
	}
	os.Exit(code)
}

// documentedStatuses lists "METHOD path status" for every response in openapi.json.
func documentedStatuses() []string {
	var doc struct {
		Paths map[string]map[string]struct {
			Responses map[string]any `json:"responses"`
		} `json:"paths"`
	}
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		panic(err)
	}
	var out []string
	for p, ops := range doc.Paths {
		for m, op := range ops {
			for st := range op.Responses {
				out = append(out, strings.ToUpper(m)+" "+p+" "+st)
			}
		}
	}
	sort.Strings(out)
	return out
}

// env is a server over an in-memory store holding the example book.
type env struct {
	t      testing.TB
	db     *badger.DB
	srv    *Server
	h      http.Handler
	tokens map[string]string // scope → secret
}

func newEnv(t testing.TB, mod func(*Options), wrap func(*badger.DB) Store) *env {
	t.Helper()
	db := storagetest.Open(t)
	opt := Options{Config: DefaultConfig(), Segment: DefaultSegmentConfig(), Now: func() time.Time { return testNow }}
	opt.Segment.SharedSecret = testSecret
	if mod != nil {
		mod(&opt)
	}
	var st Store = db
	if wrap != nil {
		st = wrap(db)
	}
	e := &env{t: t, db: db, srv: New(st, opt), tokens: map[string]string{}}
	for _, sc := range Scopes {
		tok, secret, err := NewToken("test "+sc, []string{sc}, testNow)
		if err != nil {
			t.Fatal(err)
		}
		if err := db.PutToken(context.Background(), tok); err != nil {
			t.Fatal(err)
		}
		e.tokens[sc] = secret
	}
	mux := http.NewServeMux()
	e.srv.Routes(mux)
	e.h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rec := &statusRecorder{ResponseWriter: w, status: 200}
		mux.ServeHTTP(rec, r)
		seen.Lock()
		seen.m[r.Method+" "+r.URL.Path+" "+fmt.Sprint(rec.status)] = true
		seen.Unlock()
	})
	return e
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (s *statusRecorder) WriteHeader(c int) { s.status = c; s.ResponseWriter.WriteHeader(c) }

// do sends a request; hdr holds extra headers ("Authorization" is set from
// the scope unless given).
func (e *env) do(method, target, scope, body string, hdr map[string]string) *httptest.ResponseRecorder {
	e.t.Helper()
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	if scope != "" {
		r.Header.Set("Authorization", "Bearer "+e.tokens[scope])
	}
	if body != "" && hdr["Content-Type"] == "" {
		r.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	e.h.ServeHTTP(w, r)
	return w
}

// segment posts a signed Segment body.
func (e *env) segment(body string) *httptest.ResponseRecorder {
	return e.do("POST", "/api/v1/segment", "", body, map[string]string{"X-Signature": sign(testSecret, body)})
}

func sign(secret, body string) string {
	m := hmac.New(sha1.New, []byte(secret))
	io.WriteString(m, body)
	return hex.EncodeToString(m.Sum(nil))
}

func (e *env) account(id string) *domain.Account {
	e.t.Helper()
	a, err := e.db.Account(context.Background(), id)
	if err != nil {
		e.t.Fatal(err)
	}
	return a
}

func decode[T any](t *testing.T, w *httptest.ResponseRecorder) T {
	t.Helper()
	var v T
	if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
		t.Fatalf("answer %d is not JSON: %v\n%s", w.Code, err, w.Body)
	}
	return v
}

// failing is a store whose writes and reads fail, for the 500 answers.
type failing struct{ *badger.DB }

var errDisk = errors.New("disk on fire")

func (failing) Apply(context.Context, []domain.Patch) (domain.ApplyStats, error) {
	return domain.ApplyStats{}, errDisk
}
func (failing) AcceptSegment(context.Context, []storage.SegmentIn) (int, int, error) {
	return 0, 0, errDisk
}
func (failing) Unmatched(context.Context) ([]domain.UnmatchedRecord, error) { return nil, errDisk }
