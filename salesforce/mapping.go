package salesforce

import (
	"strconv"
	"strings"
	"time"

	"github.com/accountbot/accountbot/connector"
	"github.com/accountbot/accountbot/domain"
)

// mapper turns Salesforce rows into connector records.
type mapper struct {
	m        Mapping
	owned    connector.Field
	required connector.Field
	currency string // the book's, for amounts without a currency field
}

func add(list []string, names ...string) []string {
	for _, n := range names {
		if n != "" && !containsFold(list, n) {
			list = append(list, n)
		}
	}
	return list
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// accountFields are the Account fields selected.
func (p *mapper) accountFields() []string {
	f := add(nil, "Id", p.m.Name, "OwnerId", "SystemModstamp", p.m.Plan, p.m.Seats, p.m.ContractStart)
	if p.m.ARRFrom == "account" {
		f = add(f, p.m.AccountARR, p.m.AccountRenewal)
	}
	return f
}

func (p *mapper) accountSOQL(where string) string {
	q := "SELECT " + strings.Join(p.accountFields(), ", ") + " FROM Account"
	if where != "" {
		q += " WHERE " + where
	}
	return q
}

// oppSOQL selects the candidate renewal opportunities of accounts.
func (p *mapper) oppSOQL(ids []string) string {
	f := add(nil, "Id", "AccountId", p.m.OppAmount, p.m.OppRenewal, p.m.OppCurrency, "Type", "IsClosed", "IsWon")
	q := "SELECT " + strings.Join(f, ", ") + " FROM Opportunity WHERE AccountId IN " + inList(ids) + " AND (IsClosed = false OR IsWon = true)"
	if p.m.RenewalType != "" {
		q += " AND Type = " + quote(p.m.RenewalType)
	}
	return q
}

func (p *mapper) contactSOQL(ids []string) string {
	f := add(nil, "Id", "AccountId", "FirstName", "LastName", "Email", p.m.Role, p.m.Function)
	return "SELECT " + strings.Join(f, ", ") + " FROM Contact WHERE AccountId IN " + inList(ids) + " ORDER BY AccountId, Id"
}

// record maps one account with its opportunities and contacts; owners maps
// user ids to e-mails.
func (p *mapper) record(a row, opps, contacts []row, owners map[string]string) connector.Record {
	rec := connector.Record{ExternalID: a["Id"], Sample: sample(a)}
	f := connector.Fields{Has: p.owned}
	var probs connector.Problems
	bad := probs.Add
	if !validID(rec.ExternalID) {
		bad("the record has no valid Salesforce Id (%q)", rec.ExternalID)
	}
	f.Name = strings.TrimSpace(a[p.m.Name])
	if oid := a["OwnerId"]; oid != "" {
		if e, ok := owners[oid]; ok && e != "" {
			f.Owner = e
		} else {
			bad("owner %s has no e-mail AccountBot can read (a user the integration user cannot see?)", oid)
		}
	}
	if p.m.Plan != "" {
		f.Plan = strings.TrimSpace(a[p.m.Plan])
	}
	if p.m.Seats != "" {
		if v := a[p.m.Seats]; v != "" {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil || n < 0 || n != float64(int(n)) {
				bad("%s %q is not a whole number of seats", p.m.Seats, v)
			}
			f.Seats = int(n)
		}
	}
	if p.m.ContractStart != "" {
		f.ContractStart = date(a[p.m.ContractStart], p.m.ContractStart, bad)
	}
	switch p.m.ARRFrom {
	case "account":
		f.Currency = p.currency
		if p.m.AccountARR != "" {
			f.ARR = connector.Amount(a[p.m.AccountARR], p.currency, p.m.AccountARR, bad)
		}
		if p.m.AccountRenewal != "" {
			f.RenewalDate = date(a[p.m.AccountRenewal], p.m.AccountRenewal, bad)
		}
	case "opportunity":
		if o, ok := p.renewalOpp(opps); ok {
			f.Currency = p.currency
			if p.m.OppCurrency != "" && o[p.m.OppCurrency] != "" {
				f.Currency = strings.ToUpper(o[p.m.OppCurrency])
			}
			f.ARR = connector.Amount(o[p.m.OppAmount], f.Currency, "opportunity "+o["Id"]+" "+p.m.OppAmount, bad)
			f.RenewalDate = date(o[p.m.OppRenewal], "opportunity "+o["Id"]+" "+p.m.OppRenewal, bad)
		} else {
			f.Has &^= connector.FieldARR | connector.FieldRenewal // no renewal: keep what AccountBot has
		}
	}
	if f.Has&connector.FieldStakeholders != 0 {
		f.Stakeholders = p.stakeholders(contacts)
	}
	connector.CheckRequired(&f, p.required, p.source, bad)
	rec.Fields, rec.Err = f, probs.Err()
	return rec
}

// source names the CRM field a record field comes from.
func (p *mapper) source(fl connector.Field) string {
	return "Salesforce " + map[connector.Field]string{connector.FieldName: "Account." + p.m.Name, connector.FieldOwner: "Account.OwnerId",
		connector.FieldPlan: "Account." + p.m.Plan, connector.FieldSeats: "Account." + p.m.Seats, connector.FieldContractStart: "Account." + p.m.ContractStart,
		connector.FieldARR: "the renewal opportunity's " + p.m.OppAmount, connector.FieldRenewal: "the renewal opportunity's " + p.m.OppRenewal}[fl]
}

// renewalOpp picks the opportunity (already of the renewal type and not
// closed-lost) with the latest close date.
func (p *mapper) renewalOpp(opps []row) (row, bool) {
	var best row
	for _, o := range opps {
		if o["IsClosed"] == "true" && o["IsWon"] != "true" {
			continue
		}
		if t := p.m.RenewalType; t != "" && !strings.EqualFold(o["Type"], t) {
			continue
		}
		if best == nil || o[p.m.OppRenewal] > best[p.m.OppRenewal] {
			best = o
		}
	}
	return best, best != nil
}

func (p *mapper) stakeholders(contacts []row) []domain.Stakeholder {
	cs := make([]connector.Contact, len(contacts))
	for i, c := range contacts {
		cs[i] = connector.Contact{First: c["FirstName"], Last: c["LastName"], Email: c["Email"], Role: c[p.m.Role], Function: c[p.m.Function]}
	}
	return connector.Stakeholders(cs, p.m.Functions)
}

// date reads a Salesforce date (2026-11-23) or datetime
// (2026-11-23T10:00:00.000+0000).
func date(v, what string, bad func(string, ...any)) domain.Date {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if d, err := domain.ParseDate(v); err == nil {
		return d
	}
	for _, layout := range []string{"2006-01-02T15:04:05.000-0700", time.RFC3339Nano} {
		if t, err := time.Parse(layout, v); err == nil {
			return domain.DateOf(t.UTC())
		}
	}
	bad("%s: %q is not a date", what, v)
	return 0
}

// validID accepts a 15- or 18-character Salesforce id; ids go into SOQL.
func validID(s string) bool {
	if len(s) != 15 && len(s) != 18 {
		return false
	}
	for _, r := range s {
		if !(r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			return false
		}
	}
	return true
}

func sample(a row) string {
	s := "Account " + a["Id"]
	if n := a["Name"]; n != "" {
		s += " " + strconv.Quote(n)
	}
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}
