package domain

import (
	"encoding/json"
	"fmt"
	"time"
)

// Date is a civil (calendar) date. Account facts are dated by day, not by
// instant: a renewal is "on 2027-03-01" in every time zone. It is stored as
// days since 1970-01-01 plus a bias, so that the zero value means "unset"
// (a missing JSON field never becomes 1970-01-01) and every real date is a
// positive number whose big-endian bytes sort in date order.
type Date int32

// NoDate marks an unset date; it is the zero value.
const NoDate Date = 0

const dateBias = 1 << 20 // about 2,870 years before 1970

// DateOf returns the civil date of t in t's own location.
func DateOf(t time.Time) Date {
	y, m, d := t.Date()
	return NewDate(y, m, d)
}

// NewDate builds a Date; out-of-range days normalise as time.Date does.
func NewDate(y int, m time.Month, d int) Date {
	t := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	return Date(t.Unix()/86400 + dateBias)
}

// ParseDate parses YYYY-MM-DD.
func ParseDate(s string) (Date, error) {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return NoDate, Errorf(EINVALID, "date %q is not YYYY-MM-DD", s)
	}
	return DateOf(t), nil
}

// MustDate parses YYYY-MM-DD and panics on error; for tests and constants.
func MustDate(s string) Date {
	d, err := ParseDate(s)
	if err != nil {
		panic(err)
	}
	return d
}

// IsZero reports whether the date is unset.
func (d Date) IsZero() bool { return d == NoDate }

// Time returns midnight UTC of the date.
func (d Date) Time() time.Time { return time.Unix((int64(d)-dateBias)*86400, 0).UTC() }

func (d Date) String() string {
	if d.IsZero() {
		return ""
	}
	return d.Time().Format(time.DateOnly)
}

// AddDays returns the date n days later (earlier when n < 0).
func (d Date) AddDays(n int) Date { return d + Date(n) }

// AddMonths returns the date n calendar months later, clamped to the month's
// last day (Jan 31 + 1 month = Feb 28/29), which is what contracts mean.
func (d Date) AddMonths(n int) Date {
	t := d.Time()
	y, m, day := t.Date()
	first := time.Date(y, m+time.Month(n), 1, 0, 0, 0, 0, time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	if day > last {
		day = last
	}
	return NewDate(first.Year(), first.Month(), day)
}

// DaysUntil returns the number of days from d to other (negative if other is earlier).
func (d Date) DaysUntil(other Date) int { return int(other - d) }

// Weekday returns the day of the week.
func (d Date) Weekday() time.Weekday { return d.Time().Weekday() }

// MarshalJSON writes "YYYY-MM-DD", or null when unset.
func (d Date) MarshalJSON() ([]byte, error) {
	if d.IsZero() {
		return []byte("null"), nil
	}
	return []byte(`"` + d.String() + `"`), nil
}

// UnmarshalJSON reads "YYYY-MM-DD", "" or null.
func (d *Date) UnmarshalJSON(b []byte) error {
	// Fast path for the canonical form (whole books are decoded in bulk).
	if len(b) == 12 && b[0] == '"' && b[11] == '"' && b[5] == '-' && b[8] == '-' {
		y, ok1 := digits(b[1:5])
		m, ok2 := digits(b[6:8])
		day, ok3 := digits(b[9:11])
		if ok1 && ok2 && ok3 && m >= 1 && m <= 12 && day >= 1 && day <= daysIn(y, m) {
			*d = NewDate(y, time.Month(m), day)
			return nil
		}
	}
	if string(b) == "null" {
		*d = NoDate
		return nil
	}
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("date must be a \"YYYY-MM-DD\" string")
	}
	if s == "" {
		*d = NoDate
		return nil
	}
	v, err := ParseDate(s)
	if err != nil {
		return err
	}
	*d = v
	return nil
}

func digits(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func daysIn(y, m int) int {
	return time.Date(y, time.Month(m)+1, 0, 0, 0, 0, 0, time.UTC).Day()
}
