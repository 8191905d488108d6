// Package fakeapi is the plumbing the fake vendor APIs of the tests and
// the demo share (zendesktest, stripetest): a loopback server that logs
// each request and checks its credentials before the routes see it, and
// JSON answers. What each fake answers stays in its own package, in its
// vendor's wire format.
package fakeapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
)

// Base is a fake API on loopback. Embed it: Mu guards the fake's whole
// state, Requests included.
type Base struct {
	Mu       sync.Mutex
	Requests []string // each request's "path?query", in order
	Server   *httptest.Server
}

// Start serves routes on loopback. Each request is logged, then
// authorized (called with Mu held) decides whether it reaches routes; a
// refused one is answered by refuse, in the vendor's error format.
func (s *Base) Start(routes http.Handler, authorized func(r *http.Request) bool, refuse func(w http.ResponseWriter)) {
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.Mu.Lock()
		s.Requests = append(s.Requests, r.URL.Path+"?"+r.URL.RawQuery)
		ok := authorized(r)
		s.Mu.Unlock()
		if !ok {
			refuse(w)
			return
		}
		routes.ServeHTTP(w, r)
	}))
}

// URL is the base URL to point the client at.
func (s *Base) URL() string { return s.Server.URL }

// Close stops the server.
func (s *Base) Close() { s.Server.Close() }

// JSON answers code with v as JSON.
func JSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v)
}
