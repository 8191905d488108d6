//go:build unix

package cputime

import (
	"testing"
	"time"
)

// TestSelfRisesWithWork burns CPU on this goroutine until Self has risen by
// at least 20ms, checking on every reading that it never goes down. The
// deadline is wall time, so a crowded machine only makes it take longer.
func TestSelfRisesWithWork(t *testing.T) {
	const want = 20 * time.Millisecond
	start := Self()
	prev, x := start, uint64(1)
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); {
		for i := 0; i < 1_000_000; i++ {
			x = x*6364136223846793005 + 1442695040888963407
		}
		now := Self()
		if now < prev {
			t.Fatalf("Self() went down: %v after %v", now, prev)
		}
		prev = now
		if now-start >= want {
			return
		}
	}
	t.Fatalf("Self() rose by %v in 30s of busy work (x=%d), want at least %v", prev-start, x, want)
}
