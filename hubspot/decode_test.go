package hubspot

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

// The answers are read with encoding/json v1's rules on the v2 engine:
// these are the cases where v2's own rules would differ (null, invalid
// UTF-8, duplicate names, a number into json.Number), and a body that is
// not JSON at all.
func TestAnswersDecodeAsEncodingJSONDid(t *testing.T) {
	bodies := map[string]string{
		"/crm/objects/2026-03/companies": `{"results":[{"id":"1","properties":{"name":"Caf\u00e9 \"Z\"","plan":null,"seats":"5","seats":"7","note":"bad ` + "\xff" + ` byte"},"archived":false,"extra":{"x":[1,2]}}],` +
			`"paging":{"next":{"after":"1","link":"x"}}}`,
		"/crm/associations/2026-03/companies/deals/batch/read": `{"status":"COMPLETE","results":[{"from":{"id":"1"},"to":[{"toObjectId":20000001,"associationTypes":[{"typeId":6}]},{"toObjectId":3.0e1}]}]}`,
		"/crm/objects/2026-03/deals":                           `<html>502 Bad Gateway</html>`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(bodies[r.URL.Path]))
	}))
	defer srv.Close()
	c := NewClient(srv.URL, "t", 0, srv.Client(), &testClock{})
	ctx := context.Background()
	resp, err := c.List(ctx, "companies", "", 10, nil, false)
	if err != nil {
		t.Fatal(err)
	}
	p := resp.Results[0].Properties
	if v, ok := p["plan"]; !ok || v != "" {
		t.Errorf("plan null = %q, %v; want \"\", present", v, ok)
	}
	if p["name"] != `Café "Z"` || p["seats"] != "7" || p["note"] != "bad \ufffd byte" || resp.next() != "1" {
		t.Errorf("properties = %q, next %q", p, resp.next())
	}
	as, err := c.Associations(ctx, "companies", "deals", []string{"1"})
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(as["1"], ","); got != "20000001,3.0e1" {
		t.Errorf("associated ids = %s", got)
	}
	if _, err := c.List(ctx, "deals", "", 10, nil, false); err == nil || !strings.Contains(err.Error(), "HubSpot sent a response AccountBot cannot read") {
		t.Errorf("non-JSON answer: %v", err)
	}
}

// Requests share one connection: each answer is read to its end (the
// newline after the JSON too), or the client would dial for every request.
func TestRequestsReuseTheConnection(t *testing.T) {
	page := `{"results":[` + strings.Repeat(`{"id":"1","properties":{"name":"A company with a long name"}},`, 999) + `{"id":"2"}]}` + "\n"
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(page))
	}))
	var conns atomic.Int32
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	srv.Start()
	defer srv.Close()
	c := NewClient(srv.URL, "t", 0, srv.Client(), &testClock{})
	for range 5 {
		if _, err := c.List(context.Background(), "companies", "", 10, nil, false); err != nil {
			t.Fatal(err)
		}
	}
	if n := conns.Load(); n != 1 {
		t.Errorf("5 requests opened %d connections; want 1", n)
	}
}
