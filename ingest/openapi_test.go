package ingest

import (
	"encoding/json"
	"net/http"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/pb33f/libopenapi"
)

// openAPIDoc is the part of the document the tests read.
type openAPIDoc struct {
	OpenAPI string `json:"openapi"`
	Paths   map[string]map[string]struct {
		Security    []map[string][]string `json:"security"`
		RequestBody *struct {
			Content map[string]struct {
				Example  any `json:"example"`
				Examples map[string]struct {
					Value any `json:"value"`
				} `json:"examples"`
			} `json:"content"`
		} `json:"requestBody"`
		Responses map[string]any `json:"responses"`
	} `json:"paths"`
}

func TestOpenAPIDocumentParsesAsOpenAPI31(t *testing.T) {
	doc, err := libopenapi.NewDocument(openAPI)
	if err != nil {
		t.Fatal(err)
	}
	if v := doc.GetVersion(); !strings.HasPrefix(v, "3.1") {
		t.Fatalf("version %q, want 3.1.x", v)
	}
	m, err := doc.BuildV3Model()
	if err != nil {
		t.Fatalf("building the model: %v", err)
	}
	if m.Model.Info == nil || m.Model.Info.Title == "" || m.Model.Info.Version == "" || m.Model.Paths == nil || m.Model.Paths.PathItems.Len() == 0 {
		t.Fatal("info.title, info.version and paths are required")
	}
	// Every operation has responses; every $ref resolved (BuildV3Model
	// reports unresolvable ones, and the index must have found none).
	if errs := m.Index.GetReferenceIndexErrors(); len(errs) > 0 {
		t.Errorf("reference errors: %v", errs)
	}
}

func TestOpenAPIDocumentsEveryRouteAndNothingElse(t *testing.T) {
	var doc openAPIDoc
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatal(err)
	}
	s := New(nil, Options{Config: DefaultConfig(), Segment: DefaultSegmentConfig()})
	var routes, documented []string
	for _, r := range s.routes() {
		routes = append(routes, r.method+" "+r.path)
		op, ok := doc.Paths[r.path][strings.ToLower(r.method)]
		if !ok {
			continue
		}
		var scopes []string
		for _, sec := range op.Security {
			scopes = append(scopes, sec["bearer"]...)
		}
		if r.scope != "" && !slices.Equal(scopes, []string{r.scope}) {
			t.Errorf("%s %s: documented scopes %v, route needs %q", r.method, r.path, scopes, r.scope)
		}
	}
	for p, ops := range doc.Paths {
		for m := range ops {
			documented = append(documented, strings.ToUpper(m)+" "+p)
		}
	}
	sort.Strings(routes)
	sort.Strings(documented)
	if !slices.Equal(routes, documented) {
		t.Errorf("routes %v\ndocumented %v", routes, documented)
	}
}

func TestOpenAPIExamplesAreAccepted(t *testing.T) {
	var doc openAPIDoc
	if err := json.Unmarshal(openAPI, &doc); err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, nil, nil)
	e.withSegmentID()
	// Accounts first: the other examples name accounts it creates.
	paths := make([]string, 0, len(doc.Paths))
	for p := range doc.Paths {
		paths = append(paths, p)
	}
	sort.Slice(paths, func(i, j int) bool {
		return (paths[i] == "/api/v1/accounts") != (paths[j] == "/api/v1/accounts") && paths[i] == "/api/v1/accounts" || paths[i] < paths[j] && (paths[i] == "/api/v1/accounts") == (paths[j] == "/api/v1/accounts")
	})
	n := 0
	for _, p := range paths {
		for m, op := range doc.Paths[p] {
			if op.RequestBody == nil {
				continue
			}
			for ctype, c := range op.RequestBody.Content {
				var bodies []string
				enc := func(v any) string {
					if s, ok := v.(string); ok && ctype != "application/json" {
						return s
					}
					b, _ := json.Marshal(v)
					return string(b)
				}
				if c.Example != nil {
					bodies = append(bodies, enc(c.Example))
				}
				for _, ex := range c.Examples {
					bodies = append(bodies, enc(ex.Value))
				}
				if len(bodies) == 0 {
					t.Errorf("%s %s %s has no example", m, p, ctype)
				}
				for _, body := range bodies {
					hdr := map[string]string{"Content-Type": ctype}
					scope := ScopeAdmin
					if p == "/api/v1/segment" {
						scope, hdr["X-Signature"] = "", sign(testSecret, body)
					}
					w := e.do(strings.ToUpper(m), p, scope, body, hdr)
					if w.Code != http.StatusOK {
						t.Errorf("example for %s %s (%s) refused: %d %s", m, p, ctype, w.Code, w.Body)
					}
					n++
				}
			}
		}
	}
	if n < 11 {
		t.Errorf("only %d examples tried", n)
	}
	e.drain()
	if rev, _ := e.db.Unmatched(t.Context()); len(rev) != 0 {
		t.Errorf("the Segment examples matched no account: %+v", rev)
	}
	w := e.do("GET", "/api/v1/openapi.json", "", "", nil)
	if w.Code != 200 || w.Body.String() != string(openAPI) || w.Header().Get("Content-Type") != "application/json" {
		t.Errorf("serving the document: %d", w.Code)
	}
}
