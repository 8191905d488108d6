package connector

import (
	"fmt"
	"strings"

	"github.com/accountbot/accountbot/domain"
)

// diff records what a merge changed. The words are only written when the
// change is listed (a dry run, or the first MaxChanges of a run): a full
// load of 100,000 records changes every field of every one, and formatting
// words nobody reads was a large part of its cost.
type diff struct {
	words bool
	n     int
	list  []string
}

// count counts a change and reports whether to put it in words (the
// callers format only then: boxing the arguments of a format call costs
// even when it is not made).
func (d *diff) count() bool {
	d.n++
	return d.words
}

// addf describes a change counted with count.
func (d *diff) addf(format string, args ...any) {
	d.list = append(d.list, fmt.Sprintf(format, args...))
}

// applyFields writes the fields f owns into a and records what changed.
func applyFields(a *domain.Account, f Fields, d *diff) {
	str := func(field Field, label string, dst *string, v string) {
		if f.Has&field != 0 && *dst != v {
			if d.count() {
				d.addf("%s: %q → %q", label, *dst, v)
			}
			*dst = v
		}
	}
	date := func(field Field, label string, dst *domain.Date, v domain.Date) {
		if f.Has&field != 0 && *dst != v {
			if d.count() {
				d.addf("%s: %s → %s", label, orNone(dst.String(), dst.IsZero()), orNone(v.String(), v.IsZero()))
			}
			*dst = v
		}
	}
	str(FieldName, "name", &a.Name, strings.TrimSpace(f.Name))
	str(FieldOwner, "owner", &a.Owner, strings.ToLower(strings.TrimSpace(f.Owner)))
	if f.Has&FieldARR != 0 {
		cur := strings.ToUpper(f.Currency)
		if cur == "" {
			cur = a.Currency
		}
		if a.ARR != f.ARR || a.Currency != cur {
			if d.count() {
				d.addf("arr: %s → %s", domain.Money{Minor: a.ARR, Currency: a.Currency}.Format(), domain.Money{Minor: f.ARR, Currency: cur}.Format())
			}
			a.ARR, a.Currency = f.ARR, cur
		}
	}
	date(FieldRenewal, "renewal_date", &a.RenewalDate, f.RenewalDate)
	date(FieldContractStart, "contract_start", &a.ContractStart, f.ContractStart)
	str(FieldPlan, "plan", &a.Plan, f.Plan)
	if f.Has&FieldSeats != 0 && a.SeatsPurchased != f.Seats {
		if d.count() {
			d.addf("seats: %d → %d", a.SeatsPurchased, f.Seats)
		}
		a.SeatsPurchased = f.Seats
	}
	if f.Has&FieldStakeholders != 0 {
		mergeStakeholders(a, f.Stakeholders, d)
	}
}

func orNone(s string, zero bool) string {
	if zero {
		return "none"
	}
	return s
}

// mergeStakeholders updates the role and function of the people the CRM
// knows (matched by name, case-insensitively) and adds new ones. People
// added in chat stay, and so do the flags AccountBot owns (champion,
// executive, last contact, left).
func mergeStakeholders(a *domain.Account, crm []domain.Stakeholder, d *diff) {
	// A new account's list starts empty and a CRM's contacts usually have
	// distinct names: matching by a scan of what is there spares a map.
	var idx map[string]int
	find := func(key string) (int, bool) {
		if idx != nil {
			i, ok := idx[key]
			return i, ok
		}
		for i := len(a.Stakeholders) - 1; i >= 0; i-- { // the last of equal names, as the map keeps
			if stakeholderKey(a.Stakeholders[i].Name) == key {
				return i, true
			}
		}
		return 0, false
	}
	if len(a.Stakeholders)+len(crm) > 16 {
		idx = make(map[string]int, len(a.Stakeholders))
		for i, s := range a.Stakeholders {
			idx[stakeholderKey(s.Name)] = i
		}
	}
	for _, s := range crm {
		key := stakeholderKey(s.Name)
		if key == "" {
			continue
		}
		i, ok := find(key)
		if !ok {
			a.Stakeholders = append(a.Stakeholders, domain.Stakeholder{Name: strings.TrimSpace(s.Name), Role: s.Role, Function: s.Function})
			if idx != nil {
				idx[key] = len(a.Stakeholders) - 1
			}
			if d.count() {
				d.addf("stakeholder added: %s", s.Name)
			}
			continue
		}
		cur := &a.Stakeholders[i]
		if s.Role != "" && cur.Role != s.Role {
			if d.count() {
				d.addf("stakeholder %s role: %q → %q", cur.Name, cur.Role, s.Role)
			}
			cur.Role = s.Role
		}
		if s.Function != "" && cur.Function != s.Function {
			if d.count() {
				d.addf("stakeholder %s function: %q → %q", cur.Name, cur.Function, s.Function)
			}
			cur.Function = s.Function
		}
	}
}

// stakeholderKey is what stakeholders are matched by: the name, trimmed
// and case-folded.
func stakeholderKey(name string) string { return strings.ToLower(strings.TrimSpace(name)) }
