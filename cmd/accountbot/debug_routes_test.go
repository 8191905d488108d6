package main

import (
	"net/http"
	"net/http/httptest"
	"testing"
)

// Profiles, traces and heap statistics say much about a deployment and
// cost CPU to make: serve offers them only when asked to
// (ACCOUNTBOT_DEBUG_ENDPOINTS=1, as `make bench` does).
func TestDebugEndpointsAreOptIn(t *testing.T) {
	paths := []string{"/debug/vars", "/debug/pprof/", "/debug/pprof/heap", "/debug/pprof/trace?seconds=0", "/debug/pprof/goroutine"}
	for _, on := range []bool{false, true} {
		env := map[string]string{}
		if on {
			env["ACCOUNTBOT_DEBUG_ENDPOINTS"] = "1"
		}
		mux := http.NewServeMux()
		(&Main{Getenv: func(k string) string { return env[k] }}).debugRoutes(mux)
		for _, p := range paths {
			rec := httptest.NewRecorder()
			mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, p, nil))
			if got := rec.Code == http.StatusOK; got != on {
				t.Errorf("debug endpoints on=%v: GET %s = %d", on, p, rec.Code)
			}
		}
	}
}
