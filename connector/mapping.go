package connector

import (
	"fmt"
	"os"
	"strings"

	"github.com/accountbot/accountbot/domain"
)

// This file is what the CRM connectors share of their configuration and
// field mapping: credentials from the environment or a file, the common
// checks of a mapping, and the mapping of contacts to stakeholders.

// EnvOr is the environment variable env when set, else conf (trimmed).
func EnvOr(getenv func(string) string, env, conf string) string {
	if v := strings.TrimSpace(getenv(env)); v != "" {
		return v
	}
	return strings.TrimSpace(conf)
}

// ReadCredential reads a credential file (a token, a private key), what
// naming it in the errors ("the HubSpot token file").
func ReadCredential(what, path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", domain.Errorf(domain.EINVALID, "reading %s %s: %v", what, path, err)
	}
	v := strings.TrimSpace(string(b))
	if v == "" {
		return "", domain.Errorf(domain.EINVALID, "%s %s is empty", what, path)
	}
	return v, nil
}

// Mapping is what every CRM mapping has: the optional account fields,
// whether contacts become stakeholders, the function words and the
// required fields. key is the configuration prefix ("sync.hubspot") and
// vendorField what the CRM calls a field ("HubSpot property").
type Mapping struct {
	Key, VendorField           string
	Plan, Seats, ContractStart string
	Stakeholders               bool
	Functions                  map[string]string
	Required                   []string
}

// Owned is the fields the mapping gives the CRM, arr (ARR and renewal date
// as the CRM's own ARR mapping gives them) included.
func (m Mapping) Owned(arr Field) Field {
	f := FieldName | FieldOwner | arr
	if m.Plan != "" {
		f |= FieldPlan
	}
	if m.Seats != "" {
		f |= FieldSeats
	}
	if m.ContractStart != "" {
		f |= FieldContractStart
	}
	if m.Stakeholders {
		f |= FieldStakeholders
	}
	return f
}

// ARRFields is what an ARR mapping gives: ARR and renewal date from the
// renewal record (arrFrom == fromRecord: a deal, an opportunity), or from
// the account's own fields when named (arrFrom == fromAccount); none else.
func ARRFields(arrFrom, fromRecord, fromAccount, accountARR, accountRenewal string) Field {
	var f Field
	switch arrFrom {
	case fromRecord:
		f = FieldARR | FieldRenewal
	case fromAccount:
		if accountARR != "" {
			f |= FieldARR
		}
		if accountRenewal != "" {
			f |= FieldRenewal
		}
	}
	return f
}

// Check validates the required fields against owned and the function
// words; mappingKey names the setting that gives a field.
func (m Mapping) Check(owned Field, mappingKey func(Field) string) (Field, error) {
	var req Field
	for _, name := range m.Required {
		f := FieldByName(name)
		if f == 0 {
			return 0, domain.Errorf(domain.EINVALID, "%s.mapping.required: unknown field %q (want name, owner, arr, renewal_date, contract_start, plan or seats)", m.Key, name)
		}
		if owned&f == 0 {
			return 0, domain.Errorf(domain.EINVALID, "%s.mapping.required lists %s, but the mapping gives it no %s; set %s.mapping.%s (or remove it from required)", m.Key, name, m.VendorField, m.Key, mappingKey(f))
		}
		req |= f
	}
	for _, fn := range m.Functions {
		if !domain.KnownFunction(domain.Function(fn)) {
			return 0, domain.Errorf(domain.EINVALID, "%s.mapping.functions: unknown function %q (want one of %s)", m.Key, fn, domain.FunctionList())
		}
	}
	return req, nil
}

// FieldByName is the field a name in mapping.required stands for (0: none).
func FieldByName(n string) Field {
	for f := FieldName; f <= FieldStakeholders; f <<= 1 {
		if f.String() == strings.ToLower(strings.TrimSpace(n)) {
			return f
		}
	}
	return 0
}

// defaultFunctions maps job-title words to functions, checked in order.
var defaultFunctions = []struct{ word, fn string }{
	{"chief executive", "executive"}, {"ceo", "executive"}, {"founder", "executive"}, {"president", "executive"},
	{"cfo", "finance"}, {"finance", "finance"}, {"controller", "finance"}, {"procurement", "finance"},
	{"cto", "tech"}, {"engineer", "tech"}, {"developer", "tech"}, {"it ", "tech"}, {"architect", "tech"},
	{"marketing", "marketing"}, {"cmo", "marketing"}, {"sales", "sales"}, {"revenue", "sales"},
	{"support", "support"}, {"customer service", "support"}, {"operations", "operations"}, {"coo", "operations"},
}

// defaultNeedles are the default words as FunctionOf looks for them: at
// the start of a word (made once; a full load maps hundreds of thousands
// of contacts).
var defaultNeedles = func() []string {
	out := make([]string, len(defaultFunctions))
	for i, d := range defaultFunctions {
		out[i] = " " + d.word
	}
	return out
}()

// Contact is a CRM contact as the stakeholder mapping reads it.
type Contact struct {
	First, Last, Email string
	Role               string // the mapped role field's value
	Function           string // the mapped function field's value (e.g. the job title)
}

// Stakeholders maps contacts to stakeholders: the name (or, without one,
// the e-mail), the role, and the function from the configured words first,
// then the defaults. Contacts with neither name nor e-mail are skipped.
func Stakeholders(contacts []Contact, functions map[string]string) []domain.Stakeholder {
	out := make([]domain.Stakeholder, 0, len(contacts))
	for _, c := range contacts {
		name := strings.TrimSpace(c.First + " " + c.Last)
		if name == "" {
			name = c.Email
		}
		if name == "" {
			continue
		}
		out = append(out, domain.Stakeholder{Name: name, Role: strings.TrimSpace(c.Role), Function: FunctionOf(c.Function, functions)})
	}
	return out
}

// FunctionOf maps a contact's field to a function: the configured
// substrings first, then the defaults; "" when nothing matches.
func FunctionOf(v string, functions map[string]string) domain.Function {
	l := " " + strings.ToLower(v) + " "
	for sub, fn := range functions {
		if strings.Contains(l, strings.ToLower(sub)) {
			return domain.Function(fn)
		}
	}
	for i, needle := range defaultNeedles {
		if strings.Contains(l, needle) {
			return domain.Function(defaultFunctions[i].fn)
		}
	}
	return ""
}

// Amount parses a CRM amount ("120000", "120000.50") into minor units;
// trailing zero decimals are dropped first. A bad or negative amount is
// reported through bad (the record is refused) and reads as 0.
func Amount(v, currency, what string, bad func(string, ...any)) int64 {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if i := strings.IndexByte(v, '.'); i >= 0 {
		v = strings.TrimRight(strings.TrimRight(v, "0"), ".")
	}
	n, err := domain.ParseMajor(v, currency)
	if err != nil {
		bad("%s: %s", what, domain.ErrorMessage(err))
	}
	if n < 0 {
		bad("%s: %q is negative", what, v)
	}
	return n
}

// CheckRequired reports through bad each required field the record has no
// value for; where names the CRM field it comes from ("HubSpot property
// name").
func CheckRequired(f *Fields, required Field, where func(Field) string, bad func(string, ...any)) {
	for _, fl := range []Field{FieldName, FieldOwner, FieldPlan, FieldSeats, FieldContractStart, FieldARR, FieldRenewal} {
		if required&fl != 0 && (f.Has&fl == 0 || f.empty(fl)) {
			bad("required field %s is empty (%s)", fl, where(fl))
		}
	}
}

// empty reports whether the value of fl is unset (an ARR of 0 is a value).
func (f *Fields) empty(fl Field) bool {
	switch fl {
	case FieldName:
		return f.Name == ""
	case FieldOwner:
		return f.Owner == ""
	case FieldPlan:
		return f.Plan == ""
	case FieldSeats:
		return f.Seats == 0
	case FieldContractStart:
		return f.ContractStart.IsZero()
	case FieldRenewal:
		return f.RenewalDate.IsZero()
	}
	return false
}

// Problems collects what is wrong with one record while it is mapped.
type Problems []string

// Add records a problem.
func (p *Problems) Add(format string, a ...any) { *p = append(*p, fmt.Sprintf(format, a...)) }

// Err is the record's refusal: every problem, or nil without one.
func (p Problems) Err() error {
	if len(p) == 0 {
		return nil
	}
	return domain.Errorf(domain.EINVALID, "%s", strings.Join(p, "; "))
}
