package domain

import (
	"fmt"
	"strconv"
	"strings"
)

// The checks below are written out byte by byte rather than as regular
// expressions: Validate runs for every account a CRM sync or an import
// writes (twice: once when merged, once when stored), and the regexps were
// a tenth of a 100,000-company sync's CPU. validate_test.go checks each
// against the pattern it replaces.

// ValidID reports whether s can be an account id: 1-128 letters, digits and
// . _ : - starting with a letter or digit (no spaces or control bytes, so
// it is safe inside storage keys). Pattern: ^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$
func ValidID(s string) bool {
	if s == "" || len(s) > 128 || !isAlnum(s[0]) {
		return false
	}
	for i := 1; i < len(s); i++ {
		if c := s[i]; !isAlnum(c) && c != '.' && c != '_' && c != ':' && c != '-' {
			return false
		}
	}
	return true
}

func isAlnum(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// validEmail is the owner e-mail's shape: one @ with text on both sides
// and a dot inside the part after it, no spaces. Pattern:
// ^[^@\s]+@[^@\s]+\.[^@\s]+$ (\s is ASCII space, \t, \n, \f, \r; every
// byte tested is ASCII, which never occurs inside a multi-byte character).
func validEmail(s string) bool {
	at := -1
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case ' ', '\t', '\n', '\f', '\r':
			return false
		case '@':
			if at >= 0 {
				return false
			}
			at = i
		}
	}
	if at < 1 {
		return false
	}
	host := s[at+1:]
	return len(host) >= 3 && strings.IndexByte(host[1:len(host)-1], '.') >= 0
}

// validCurrency is three upper-case ASCII letters. Pattern: ^[A-Z]{3}$
func validCurrency(s string) bool {
	return len(s) == 3 && s[0] >= 'A' && s[0] <= 'Z' && s[1] >= 'A' && s[1] <= 'Z' && s[2] >= 'A' && s[2] <= 'Z'
}

// FieldError is one validation problem, naming the field.
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

func (e FieldError) String() string { return e.Field + ": " + e.Message }

// Validate checks the account and returns every problem found, each naming
// its field; nil means valid. Call Normalize first. The checks run in field
// order so that the list reads like the record.
func (a *Account) Validate() []FieldError {
	var errs fieldErrors
	a.validateIdentity(&errs)
	a.validateMoney(&errs)
	a.validateCounts(&errs)
	a.validateStakeholders(&errs)
	a.validateHistory(&errs)
	errs = append(errs, a.validateExternalIDs()...)
	return errs
}

// fieldErrors collects validation problems so that every check can report
// all it finds, not just the first.
type fieldErrors []FieldError

func (e *fieldErrors) add(field, format string, args ...any) {
	*e = append(*e, FieldError{Field: field, Message: fmt.Sprintf(format, args...)})
}

// visible reports whether s has no hidden characters, adding the problem when
// it has: names are key parts and must read as what they are (see HiddenRune).
func (e *fieldErrors) visible(field, s string) bool {
	if m := hiddenMessage(s); m != "" {
		e.add(field, "%s", m)
		return false
	}
	return true
}

// visibleAt is visible for the i-th element of a list (field "list[i]" or
// "list[i].sub"), naming the field only when there is a problem.
func (e *fieldErrors) visibleAt(list string, i int, sub, s string) bool {
	if m := hiddenMessage(s); m != "" {
		e.add(list+"["+strconv.Itoa(i)+"]"+sub, "%s", m)
		return false
	}
	return true
}

// validateIdentity checks what names the account: id, name, aliases, owner.
func (a *Account) validateIdentity(errs *fieldErrors) {
	if !ValidID(a.ID) {
		errs.add("id", "must be 1-128 letters, digits or . _ : - starting with a letter or digit (got %q)", a.ID)
	}
	if strings.TrimSpace(a.Name) == "" {
		errs.add("name", "is required")
	} else {
		errs.visible("name", a.Name)
	}
	for i, al := range a.Aliases {
		errs.visibleAt("aliases", i, "", al)
	}
	if a.Owner != "" && errs.visible("owner", a.Owner) && !validEmail(a.Owner) {
		errs.add("owner", "must be the CSM's e-mail address (got %q)", a.Owner)
	}
}

// validateMoney checks the contract's money, value and dates.
func (a *Account) validateMoney(errs *fieldErrors) {
	if !validCurrency(a.Currency) {
		errs.add("currency", "must be a 3-letter ISO 4217 code such as USD (got %q)", a.Currency)
	}
	if a.ARR < 0 {
		errs.add("arr", "must not be negative")
	}
	if a.ExpansionPotential < 0 {
		errs.add("expansion_potential", "must not be negative")
	}
	if a.HoursSavedPerWeek < 0 || a.HoursSavedPerMonth < 0 || a.HourlyRate < 0 {
		errs.add("roi", "hours saved and hourly rate must not be negative")
	}
	if a.ValueDelivered < 0 || a.ValueAtFullAdoption < 0 || a.HoursAtFullAdoptionPerWeek < 0 || a.HoursAtFullAdoptionPerMonth < 0 {
		errs.add("value_delivered", "value delivered, value at full adoption and hours at full adoption must not be negative")
	}
	if a.TermMonths < 0 || a.TermMonths > 120 {
		errs.add("term_months", "must be between 0 and 120 (got %d)", a.TermMonths)
	}
	if !a.ContractStart.IsZero() && !a.RenewalDate.IsZero() && a.RenewalDate < a.ContractStart {
		errs.add("renewal_date", "%s is before contract_start %s", a.RenewalDate, a.ContractStart)
	}
}

// validateCounts checks seats, features and plan limits.
func (a *Account) validateCounts(errs *fieldErrors) {
	if a.SeatsPurchased < 0 || a.SeatsActive < 0 {
		errs.add("seats", "seat counts must not be negative")
	}
	if a.FeaturesAvailable < 0 || a.FeaturesAdopted < 0 {
		errs.add("features", "feature counts must not be negative")
	} else if a.FeaturesAdopted > a.FeaturesAvailable {
		errs.add("features_adopted", "%d is more than features_available %d", a.FeaturesAdopted, a.FeaturesAvailable)
	}
	for i, l := range a.Limits {
		if strings.TrimSpace(l.Name) == "" {
			errs.add(fmt.Sprintf("limits[%d].name", i), "is required")
		}
		if l.Limit <= 0 {
			errs.add(fmt.Sprintf("limits[%d].limit", i), "must be positive")
		}
		if l.Used < 0 {
			errs.add(fmt.Sprintf("limits[%d].used", i), "must not be negative")
		}
	}
}

// validateStakeholders checks each stakeholder's name and function.
func (a *Account) validateStakeholders(errs *fieldErrors) {
	for i, s := range a.Stakeholders {
		if strings.TrimSpace(s.Name) == "" {
			errs.add(fmt.Sprintf("stakeholders[%d].name", i), "is required")
		} else {
			errs.visibleAt("stakeholders", i, ".name", s.Name)
		}
		if s.Function != "" && !KnownFunction(s.Function) {
			errs.add(fmt.Sprintf("stakeholders[%d].function", i), "unknown function %q (want one of %s)", s.Function, FunctionList())
		}
	}
}

// validateHistory checks the dated series: usage, signals and ARR history.
func (a *Account) validateHistory(errs *fieldErrors) {
	for i, u := range a.Usage {
		if u.Date.IsZero() {
			errs.add(fmt.Sprintf("usage[%d].date", i), "is required")
		}
		if u.ActiveUsers < 0 || u.Usage < 0 || u.Tickets < 0 {
			errs.add(fmt.Sprintf("usage[%d]", i), "counts must not be negative")
		}
	}
	for i, s := range a.Signals {
		if s.Date.IsZero() {
			errs.add(fmt.Sprintf("signals[%d].date", i), "is required")
		}
		if !KnownSignal(s.Kind) {
			errs.add(fmt.Sprintf("signals[%d].kind", i), "unknown kind %q", s.Kind)
		}
	}
	for i, p := range a.ARRHistory {
		if p.Date.IsZero() || p.ARR < 0 {
			errs.add(fmt.Sprintf("arr_history[%d]", i), "needs a date and a non-negative arr")
		}
		if p.Motion != "" && !KnownMotion(p.Motion) {
			errs.add(fmt.Sprintf("arr_history[%d].motion", i), "unknown motion %q", p.Motion)
		}
	}
}

// ValidationError turns field errors into one EINVALID error.
func ValidationError(what string, errs []FieldError) error {
	if len(errs) == 0 {
		return nil
	}
	parts := make([]string, len(errs))
	for i, e := range errs {
		parts[i] = e.String()
	}
	return Errorf(EINVALID, "%s: %s", what, strings.Join(parts, "; "))
}
