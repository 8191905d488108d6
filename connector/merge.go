package connector

import (
	"fmt"
	"strings"

	"github.com/accountbot/accountbot/domain"
)

// applyFields writes the fields f owns into a and returns what changed.
func applyFields(a *domain.Account, f Fields) []string {
	var diff []string
	str := func(field Field, label string, dst *string, v string) {
		if f.Has&field != 0 && *dst != v {
			diff = append(diff, fmt.Sprintf("%s: %q → %q", label, *dst, v))
			*dst = v
		}
	}
	date := func(field Field, label string, dst *domain.Date, v domain.Date) {
		if f.Has&field != 0 && *dst != v {
			diff = append(diff, fmt.Sprintf("%s: %s → %s", label, orNone(dst.String(), dst.IsZero()), orNone(v.String(), v.IsZero())))
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
			diff = append(diff, fmt.Sprintf("arr: %s → %s", domain.Money{Minor: a.ARR, Currency: a.Currency}.Format(), domain.Money{Minor: f.ARR, Currency: cur}.Format()))
			a.ARR, a.Currency = f.ARR, cur
		}
	}
	date(FieldRenewal, "renewal_date", &a.RenewalDate, f.RenewalDate)
	date(FieldContractStart, "contract_start", &a.ContractStart, f.ContractStart)
	str(FieldPlan, "plan", &a.Plan, f.Plan)
	if f.Has&FieldSeats != 0 && a.SeatsPurchased != f.Seats {
		diff = append(diff, fmt.Sprintf("seats: %d → %d", a.SeatsPurchased, f.Seats))
		a.SeatsPurchased = f.Seats
	}
	if f.Has&FieldStakeholders != 0 {
		diff = append(diff, mergeStakeholders(a, f.Stakeholders)...)
	}
	return diff
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
func mergeStakeholders(a *domain.Account, crm []domain.Stakeholder) []string {
	var diff []string
	idx := make(map[string]int, len(a.Stakeholders))
	for i, s := range a.Stakeholders {
		idx[strings.ToLower(strings.TrimSpace(s.Name))] = i
	}
	for _, s := range crm {
		key := strings.ToLower(strings.TrimSpace(s.Name))
		if key == "" {
			continue
		}
		i, ok := idx[key]
		if !ok {
			a.Stakeholders = append(a.Stakeholders, domain.Stakeholder{Name: strings.TrimSpace(s.Name), Role: s.Role, Function: s.Function})
			idx[key] = len(a.Stakeholders) - 1
			diff = append(diff, "stakeholder added: "+s.Name)
			continue
		}
		cur := &a.Stakeholders[i]
		if s.Role != "" && cur.Role != s.Role {
			diff = append(diff, fmt.Sprintf("stakeholder %s role: %q → %q", cur.Name, cur.Role, s.Role))
			cur.Role = s.Role
		}
		if s.Function != "" && cur.Function != s.Function {
			diff = append(diff, fmt.Sprintf("stakeholder %s function: %q → %q", cur.Name, cur.Function, s.Function))
			cur.Function = s.Function
		}
	}
	return diff
}
