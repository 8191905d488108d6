package badger

import (
	"testing"
	"time"
)

// A release is due every interval, and at once when the mapped pages have
// grown past the limit.
func TestReleaseIsDueOverTheLimitOrEveryInterval(t *testing.T) {
	at := time.Date(2026, 11, 24, 8, 0, 0, 0, time.UTC)
	last := releaseState{at: at}
	const limit = 64 << 20
	for _, c := range []struct {
		name     string
		after    time.Duration
		resident int64
		want     bool
	}{
		{"under the limit, too soon", 200 * time.Millisecond, 40 << 20, false},
		{"under the limit, interval passed", time.Second, 40 << 20, true},
		{"over the limit", 20 * time.Millisecond, 65 << 20, true},
		{"at the limit", 20 * time.Millisecond, limit, false},
	} {
		if got := last.due(at.Add(c.after), c.resident, limit, time.Second); got != c.want {
			t.Errorf("%s: due = %v; want %v", c.name, got, c.want)
		}
	}
	if !(releaseState{}).due(at, 0, limit, time.Second) {
		t.Error("the first release is not due")
	}
}
