package domain

import (
	"cmp"
	"encoding/json"
	"fmt"
	"slices"
	"time"
)

// How a patch merges into what a store holds. Every backend reads what
// the patch touches (Stored), calls MergePatch, and writes the result with
// its indexes: the rules are here so that no backend copies them.

// Stored is what a store holds of one account that a patch can touch.
type Stored struct {
	Record *Account // without usage and signals; nil: no such account
	// Usage holds the stored snapshots on the patch's dates (more are
	// harmless). Signals holds the stored signals equal to one of the
	// patch's (more are harmless).
	Usage   []Snapshot
	Signals []Signal
}

// MergeKind says what a patch did to an account.
type MergeKind int

const (
	MergeUnchanged MergeKind = iota
	MergeCreated
	MergeUpdated
)

// Merged is what applying one patch writes.
type Merged struct {
	Kind MergeKind
	// Record is the account record after the patch, normalised and valid,
	// without usage and signals. RecordChanged says it differs from the
	// stored one (or there was none): only then is it written, with the
	// index entries that follow it. Any change restamps the record
	// (DataChangedAt/DataSource from the patch's At and Source), so a
	// usage- or signal-only change writes it too.
	Record        *Account
	RecordChanged bool
	Usage         []Snapshot // snapshots to write: new dates or changed values, by date
	Signals       []Signal   // signals not stored yet, in the patch's order
}

// MergePatch applies p to what is stored. A patch without a core record
// needs a stored account (ENOTFOUND otherwise); with one it replaces the
// record, keeping the stored stakeholders unless it brings its own or
// replaces them. Usage merges by date (the patch's last snapshot for a
// date wins), signals by content (date, kind and note); a patch that
// changes nothing is MergeUnchanged. An invalid result is an EINVALID
// error naming the account and every problem found.
func MergePatch(p *Patch, cur Stored) (Merged, error) {
	old := cur.Record
	if old == nil && p.Core == nil {
		return Merged{}, Errorf(ENOTFOUND, "no account with id %q", p.ID)
	}
	var next Account
	if p.Core != nil {
		next = *p.Core
		next.Usage, next.Signals = nil, nil
		if old != nil && !p.ReplaceStakeholders && next.Stakeholders == nil {
			next.Stakeholders = old.Stakeholders
		}
	} else {
		next = *old
	}
	if p.ReplaceStakeholders {
		next.Stakeholders = p.Stakeholders
	}
	next.Normalize()
	if errs := next.Validate(); errs != nil {
		return Merged{}, ValidationError("account "+p.ID, errs)
	}
	keepStamp(old, &next)
	m := Merged{Record: &next, RecordChanged: old == nil || !SameRecord(old, &next)}
	m.Usage = changedUsage(p.Usage, cur.Usage)
	m.Signals = newSignals(p.Signals, cur.Signals)
	switch {
	case old == nil:
		m.Kind = MergeCreated
	case m.RecordChanged || len(m.Usage) > 0 || len(m.Signals) > 0:
		m.Kind = MergeUpdated
	}
	if m.Kind != MergeUnchanged {
		// Any change restamps the record, so a usage- or signal-only
		// change rewrites it too: every card can say when its data changed.
		// Unless the stamp is the same: a burst of events for one account
		// from one source rewrites its record once a minute at most.
		at, source := p.Stamp()
		if m.RecordChanged || !at.Equal(next.DataChangedAt) || source != next.DataSource {
			next.DataChangedAt, next.DataSource = at, source
			m.RecordChanged = true
		}
	}
	return m, nil
}

// StampResolution is how precise data stamps are: whole minutes, as every
// card shows them ("Data as of 2026-11-24 10:32 UTC"). A stamp that a
// write would not change is not rewritten, so a stream of usage events for
// one account rewrites its record at most once a minute instead of once
// per event (most of an ingested event's write volume).
const StampResolution = time.Minute

// StampTime is the stamp of a write made at at (the store's clock now
// when the writer gave none): UTC, whole minutes. Every store stamps with it.
func StampTime(at, now time.Time) time.Time {
	if at.IsZero() {
		at = now
	}
	return at.UTC().Truncate(StampResolution)
}

// Stamp is the data stamp a change made by p leaves on its account.
func (p *Patch) Stamp() (time.Time, string) { return p.At.UTC().Truncate(StampResolution), p.Source }

// OnlyActivity reports whether p brings usage and signals only: no record
// and no stakeholders, so the stored record stays as it is but for its
// data stamp.
func (p *Patch) OnlyActivity() bool { return p.Core == nil && !p.ReplaceStakeholders }

// MergeActivity is MergePatch for a patch that brings only activity
// (OnlyActivity) to an account the store holds: the stored record, which
// was normalised and validated when it was written, is kept without being
// read, so Merged.Record is nil and RecordChanged says that it is to be
// restamped with p.Stamp(). Usage and signals merge as in MergePatch.
func MergeActivity(p *Patch, cur Stored) Merged {
	m := Merged{Usage: changedUsage(p.Usage, cur.Usage), Signals: newSignals(p.Signals, cur.Signals)}
	if len(m.Usage) > 0 || len(m.Signals) > 0 {
		m.Kind, m.RecordChanged = MergeUpdated, true
	}
	return m
}

// keepStamp gives next the stored record's data stamp (freshness.go): a
// patch is compared with what is stored on its data alone, whatever stamp
// its core record carries.
func keepStamp(old, next *Account) {
	next.DataChangedAt, next.DataSource = time.Time{}, ""
	if old != nil {
		next.DataChangedAt, next.DataSource = old.DataChangedAt, old.DataSource
	}
}

// SameRecord reports whether two account records are the same: equal in
// their JSON form, which is what a record is (fields a record does not
// hold, and nil against empty lists, make no difference).
func SameRecord(a, b *Account) bool {
	return string(recordJSON(a)) == string(recordJSON(b))
}

func recordJSON(a *Account) []byte {
	b, err := json.Marshal(a)
	if err != nil {
		panic(fmt.Sprintf("encoding account %s: %v", a.ID, err)) // a plain struct
	}
	return b
}

// changedUsage returns the snapshots of in that stored does not already
// hold as they are: one per date, the last given for a date, by date.
func changedUsage(in, stored []Snapshot) []Snapshot {
	if len(in) == 0 {
		return nil
	}
	last := make(map[Date]Snapshot, len(in))
	for _, s := range in {
		last[s.Date] = s
	}
	have := make(map[Date]Snapshot, len(stored))
	for _, s := range stored {
		have[s.Date] = s
	}
	var out []Snapshot
	for _, s := range in {
		if last[s.Date] != s {
			continue // a later snapshot for the date wins
		}
		delete(last, s.Date) // once per date
		if h, ok := have[s.Date]; ok && h == s {
			continue
		}
		out = append(out, s)
	}
	slices.SortFunc(out, func(a, b Snapshot) int { return cmp.Compare(a.Date, b.Date) })
	return out
}

// newSignals returns the signals of in that stored does not hold, each once.
func newSignals(in, stored []Signal) []Signal {
	if len(in) == 0 {
		return nil
	}
	seen := make(map[Signal]bool, len(stored)+len(in))
	for _, s := range stored {
		seen[s] = true
	}
	var out []Signal
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// Count adds what one merge did to the stats.
func (st *ApplyStats) Count(m Merged) {
	switch m.Kind {
	case MergeCreated:
		st.Created++
	case MergeUpdated:
		st.Updated++
	default:
		st.Unchanged++
	}
	st.Snapshots += len(m.Usage)
	st.Signals += len(m.Signals)
}

// NameKeys returns the normalised forms under which an account is found
// by name: its name's and each alias's (NormalizeName), each once, empty
// ones left out.
func NameKeys(a *Account) []string {
	var out []string
	for _, n := range append([]string{a.Name}, a.Aliases...) {
		if norm := NormalizeName(n); norm != "" && !slices.Contains(out, norm) {
			out = append(out, norm)
		}
	}
	return out
}
