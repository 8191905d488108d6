package domain

import (
	"fmt"
	"sort"
	"strings"
	"time"
)

// ExternalIDs are an account's ids in other systems, by source ("crm",
// "segment", "billing", "support"…). Every source that feeds AccountBot
// matches records to accounts on these ids (or the account id itself),
// never on names: a name match is a guess, and a wrong guess puts one
// customer's usage on another's card.
type ExternalIDs map[string]string

// ValidSource reports whether s can name a source: 1-32 lower-case letters,
// digits, _ or -, starting with a letter. Pattern: ^[a-z][a-z0-9_-]{0,31}$
// (written out: every stored account's external ids are checked with it).
func ValidSource(s string) bool {
	if s == "" || len(s) > 32 || s[0] < 'a' || s[0] > 'z' {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// ValidExternalID reports whether s can be an external id: 1-256 printable
// characters without control bytes (so it is safe inside storage keys) and
// without surrounding spaces.
func ValidExternalID(s string) bool {
	if s == "" || len(s) > 256 || strings.TrimSpace(s) != s {
		return false
	}
	for _, r := range s {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

// Sources returns the sources in order, for stable output.
func (x ExternalIDs) Sources() []string {
	out := make([]string, 0, len(x))
	for s := range x {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// validateExternalIDs checks every source name and id of the account.
func (a *Account) validateExternalIDs() []FieldError {
	bad := false
	for src, id := range a.ExternalIDs { // the usual case, all valid, without sorting
		bad = bad || !ValidSource(src) || !ValidExternalID(id)
	}
	if !bad {
		return nil
	}
	var errs []FieldError
	for _, src := range a.ExternalIDs.Sources() {
		field := "external_ids." + src
		if !ValidSource(src) {
			errs = append(errs, FieldError{Field: field, Message: fmt.Sprintf("source %q must be 1-32 lower-case letters, digits, _ or - (e.g. crm, segment, billing)", src)})
		}
		if id := a.ExternalIDs[src]; !ValidExternalID(id) {
			errs = append(errs, FieldError{Field: field, Message: fmt.Sprintf("%q must be 1-256 characters without control characters or surrounding spaces", id)})
		}
	}
	return errs
}

// UnmatchedRecord is a record from a source that named no known account:
// kept for an admin to review (and fix the account's external ids) rather
// than attached to an account guessed by name.
type UnmatchedRecord struct {
	Source     string    `json:"source"`           // e.g. "segment"
	ExternalID string    `json:"external_id"`      // the id the record named
	Kind       string    `json:"kind"`             // what the record was: group, identify, track…
	Count      int       `json:"count"`            // records seen for this id
	FirstSeen  time.Time `json:"first_seen"`       // when the first was received
	LastSeen   time.Time `json:"last_seen"`        // when the latest was received
	Sample     string    `json:"sample,omitempty"` // the latest record, shortened
}
