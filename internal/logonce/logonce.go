// Package logonce remembers which sources have been logged already, so a
// source that keeps repeating the same problem (a busy foreign workspace or
// tenant) is logged once instead of flooding the log.
package logonce

import "sync"

// Set is a bounded set of logged keys. It is safe for concurrent use.
type Set struct {
	mu   sync.Mutex
	seen map[string]bool
	max  int
}

// New returns a set that remembers up to max keys. Once full it reports no
// new key as first: a flood of distinct keys can neither grow memory without
// bound nor flood the log.
func New(max int) *Set { return &Set{seen: map[string]bool{}, max: max} }

// First reports whether key is seen for the first time (and there was room to
// remember it), recording it: log only when it returns true.
func (s *Set) First(key string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen[key] || len(s.seen) >= s.max {
		return false
	}
	s.seen[key] = true
	return true
}
