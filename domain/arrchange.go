package domain

import "time"

// ARRChange is an expansion recorded in an account's ARR history, so NRR
// and expansion by motion reflect it.
type ARRChange struct {
	Date   Date   `json:"date"`
	Motion Motion `json:"motion,omitempty"`
	Change int64  `json:"change_minor"`
	From   int64  `json:"from_minor"`
	To     int64  `json:"to_minor"`
}

// ApplyARRChange adds c to a's ARR history and sets its ARR to c.To. It is
// idempotent: when the history already has the point (same date, motion
// and resulting ARR) it changes nothing and reports already. It refuses a
// change made against an ARR that is no longer current (someone recorded
// another change since the offer), a future date, and a date before the
// history's last point (the change applies from its date on).
//
// An account without history has had its ARR "since the contract start"
// (ARRAt); that becomes the history's first point, so the cohort at the
// period's start keeps its starting ARR.
func ApplyARRChange(a *Account, c ARRChange, today Date) (already bool, err error) {
	if c.Change <= 0 {
		return false, Errorf(EINVALID, "The ARR change must be more than zero.")
	}
	if c.Motion != "" && !KnownMotion(c.Motion) {
		return false, Errorf(EINVALID, "%q is not a motion.", c.Motion)
	}
	for _, p := range a.ARRHistory {
		if p.Date == c.Date && p.Motion == c.Motion && p.ARR == c.To {
			return true, nil
		}
	}
	switch {
	case c.Date > today:
		return false, Errorf(EINVALID, "%s is in the future: record an ARR change on or after the day it takes effect.", c.Date)
	case c.From != a.ARR:
		return false, Errorf(ECONFLICT, "%s's ARR is now %s, not %s: another change was recorded since. Check `account %s` and record the change again.",
			a.Name, a.Money(a.ARR).Format(), a.Money(c.From).Format(), a.ID)
	case c.To != c.From+c.Change:
		return false, Errorf(EINVALID, "The ARR after the change must be %s.", a.Money(c.From+c.Change).Format())
	}
	if n := len(a.ARRHistory); n > 0 && c.Date < a.ARRHistory[n-1].Date {
		return false, Errorf(EINVALID, "The ARR history already has a change on %s: record this one on or after that date.", a.ARRHistory[n-1].Date)
	}
	if len(a.ARRHistory) == 0 {
		start := a.ContractStart
		if start.IsZero() || start > c.Date {
			start = NewDate(1970, time.January, 1) // ARRAt counts such an account from any date
		}
		a.ARRHistory = append(a.ARRHistory, ARRPoint{Date: start, ARR: c.From})
	}
	a.ARRHistory = append(a.ARRHistory, ARRPoint{Date: c.Date, ARR: c.To, Motion: c.Motion})
	a.ARR = c.To
	return false, nil
}
