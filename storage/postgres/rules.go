package postgres

import (
	"github.com/accountbot/accountbot/domain"
)

// merged is the account record that applying p to old leaves, normalised
// and validated. Every write path of this package calls it, so the rules
// live in one place here; they are the Badger store's (storage/apply.go
// plan), which are moving into domain (issue 19 item 2): when they land,
// this becomes a call to that function.
func merged(old *domain.Account, p *domain.Patch) (*domain.Account, error) {
	if old == nil && p.Core == nil {
		return nil, domain.Errorf(domain.ENOTFOUND, "no account with id %q", p.ID)
	}
	var next domain.Account
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
		return nil, domain.ValidationError("account "+p.ID, errs)
	}
	return &next, nil
}

// nameKeys returns the normalised names an account is found by.
func nameKeys(a *domain.Account) []string {
	if a == nil {
		return nil
	}
	var out []string
	seen := map[string]bool{}
	for _, n := range append([]string{a.Name}, a.Aliases...) {
		if norm := domain.NormalizeName(n); norm != "" && !seen[norm] {
			seen[norm] = true
			out = append(out, norm)
		}
	}
	return out
}
