package main

import (
	"runtime/debug"
	"testing"

	"github.com/accountbot/accountbot/hubspot/hubspottest"
)

// `accountbot sync` runs under the soft memory limit serve sets, unless
// GOMEMLIMIT chooses one.
func TestSyncSetsTheSoftMemoryLimit(t *testing.T) {
	prev := debug.SetMemoryLimit(-1)
	t.Cleanup(func() { debug.SetMemoryLimit(prev) })
	f := hubspottest.New(t, hubspottest.LoadPortal(t))
	env := map[string]string{"HUBSPOT_TOKEN": f.Token, "HUBSPOT_API_URL": f.URL(), "GOMEMLIMIT": "1GiB"}
	debug.SetMemoryLimit(1 << 40)
	if r := run(t, env, "", "--data", t.TempDir(), "sync", "hubspot", "--dry-run"); r.code != 0 {
		t.Fatalf("sync: code %d stderr %q", r.code, r.stderr)
	}
	if got := debug.SetMemoryLimit(-1); got != 1<<40 {
		t.Errorf("with GOMEMLIMIT set, the limit became %d", got)
	}
	delete(env, "GOMEMLIMIT")
	if r := run(t, env, "", "--data", t.TempDir(), "sync", "hubspot", "--dry-run"); r.code != 0 {
		t.Fatalf("sync: code %d stderr %q", r.code, r.stderr)
	}
	if got := debug.SetMemoryLimit(-1); got != defaultMemoryLimit {
		t.Errorf("memory limit = %d; want serve's %d", got, defaultMemoryLimit)
	}
}
