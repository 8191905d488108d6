package domain

// ValueAtFull is the account's annual value at full adoption at this
// hourly rate: value_at_full_adoption when given, else hours at full
// adoption × rate; 0 when unknown. `account X roi rate=N` uses the given
// rate for both now and full adoption, so the two stay comparable.
func ValueAtFull(a *Account, rate int64) int64 {
	b, ok := valueOf(a.ValueAtFullAdoption, a.HoursAtFullAdoptionPerWeek, a.HoursAtFullAdoptionPerMonth, rate)
	if !ok {
		return 0
	}
	return b.Value
}
