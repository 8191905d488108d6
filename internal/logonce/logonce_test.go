package logonce

import (
	"fmt"
	"testing"
)

func TestFirst(t *testing.T) {
	s := New(2)
	steps := []struct {
		key  string
		want bool
	}{
		{"a", true},  // new
		{"a", false}, // repeated
		{"b", true},  // new, fills the set
		{"c", false}, // full: not remembered, not logged
		{"b", false},
		{"c", false}, // still not logged: it was never remembered
	}
	for i, st := range steps {
		if got := s.First(st.key); got != st.want {
			t.Errorf("step %d First(%q) = %v, want %v", i, st.key, got, st.want)
		}
	}
}

// TestBounded floods the set with distinct keys: it never holds more than max.
func TestBounded(t *testing.T) {
	s := New(1024)
	logged := 0
	for i := range 10_000 {
		if s.First(fmt.Sprint("source-", i)) {
			logged++
		}
	}
	if logged != 1024 || len(s.seen) != 1024 {
		t.Errorf("logged %d, holds %d; want 1024 each", logged, len(s.seen))
	}
}
