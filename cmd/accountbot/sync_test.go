package main

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestSyncBadTokenShowsInStatus(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(401)
		w.Write([]byte(`{"status":"error","message":"Authentication credentials not found.","correlationId":"x1","category":"INVALID_AUTHENTICATION"}`))
	}))
	defer srv.Close()
	dir := t.TempDir()
	env := map[string]string{"HUBSPOT_TOKEN": "wrong", "HUBSPOT_API_URL": srv.URL}
	r := run(t, env, "", "--data", dir, "sync", "hubspot", "--full")
	if r.code != 1 || !strings.Contains(r.stderr, "HubSpot refused the token (401)") {
		t.Fatalf("sync: code %d stderr %q", r.code, r.stderr)
	}
	r = run(t, env, "", "--data", dir, "sync", "status")
	if r.code != 0 || !strings.Contains(r.stdout, "HubSpot refused the token") || !strings.Contains(r.stdout, "hubspot") {
		t.Fatalf("status: code %d stdout %q", r.code, r.stdout)
	}
}

func TestSyncNotConfigured(t *testing.T) {
	r := run(t, map[string]string{}, "", "--data", t.TempDir(), "sync", "hubspot")
	if r.code != 1 || !strings.Contains(r.stderr, "set HUBSPOT_TOKEN") {
		t.Fatalf("code %d stderr %q", r.code, r.stderr)
	}
	r = run(t, map[string]string{}, "", "--data", t.TempDir(), "sync", "salesforce")
	if r.code != 1 || !strings.Contains(r.stderr, "unknown sync source") {
		t.Fatalf("code %d stderr %q", r.code, r.stderr)
	}
}
