package main

import (
	"time"

	"github.com/accountbot/accountbot/domain"
)

// useFakeNow sets the clock from ACCOUNTBOT_FAKE_NOW (RFC 3339), for tests
// only: the clock starts at that moment and runs at the wall clock's pace,
// so a test can run `serve` with nudges due without waiting for 08:30.
func (m *Main) useFakeNow() error {
	v := m.Getenv("ACCOUNTBOT_FAKE_NOW")
	if v == "" {
		return nil
	}
	start, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return domain.Errorf(domain.EINVALID, "ACCOUNTBOT_FAKE_NOW %q: want RFC 3339 (2026-11-23T08:45:00Z); it is for tests only", v)
	}
	wall := time.Now()
	m.Now = func() time.Time { return start.Add(time.Since(wall)) }
	return nil
}
