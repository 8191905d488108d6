package badger

import (
	"context"
	"testing"
	"time"
)

// A release is due every interval, and at once when a flush or compaction
// has written a table newer than the last release saw.
func TestReleaseIsDueOnNewTablesOrEveryInterval(t *testing.T) {
	at := time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)
	last := releaseState{at: at, newest: 40}
	for _, c := range []struct {
		name   string
		after  time.Duration
		newest uint64
		want   bool
	}{
		{"nothing new, too soon", 200 * time.Millisecond, 40, false},
		{"nothing new, interval passed", time.Second, 40, true},
		{"a new table", 200 * time.Millisecond, 41, true},
		{"tables compacted away, none new", 400 * time.Millisecond, 38, false},
	} {
		if got := last.due(at.Add(c.after), c.newest, time.Second); got != c.want {
			t.Errorf("%s: due = %v; want %v", c.name, got, c.want)
		}
	}
	if !(releaseState{}).due(at, 0, time.Second) {
		t.Error("the first release is not due")
	}
}

// StartReleaseMapped's stop returns once the release has ended, so the
// store can be closed right after it (the race detector would see a
// release still reading the store's tables).
func TestStartReleaseMappedStopWaitsForTheRelease(t *testing.T) {
	s, _ := openTemp(t)
	stop := s.StartReleaseMapped(context.Background(), time.Millisecond, 0)
	time.Sleep(20 * time.Millisecond) // several releases (limit 0: every tick)
	stop()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}
