package hubspot

import (
	"strconv"
	"strings"
	"time"

	"github.com/accountbot/accountbot/connector"
	"github.com/accountbot/accountbot/domain"
)

// mapper turns HubSpot records into connector records.
type mapper struct {
	m        Mapping
	owned    connector.Field
	required connector.Field
	currency string // for deals without deal_currency_code
	size     int
}

func (p *mapper) companyProps() []string {
	props := []string{p.m.Name, "hubspot_owner_id", "hs_lastmodifieddate", "hs_merged_object_ids"}
	for _, s := range []string{p.m.Plan, p.m.Seats, p.m.ContractStart} {
		if s != "" {
			props = append(props, s)
		}
	}
	if p.m.ARRFrom == "company" {
		for _, s := range []string{p.m.CompanyARR, p.m.CompanyRenewal} {
			if s != "" {
				props = append(props, s)
			}
		}
	}
	return props
}

func (p *mapper) dealProps() []string {
	return []string{p.m.DealAmount, p.m.DealRenewal, p.m.DealCurrency, "dealstage", "dealtype", "hs_is_closed_lost"}
}

func (p *mapper) contactProps() []string {
	props := []string{"firstname", "lastname", "email", p.m.Role}
	if p.m.Function != p.m.Role {
		props = append(props, p.m.Function)
	}
	return props
}

// record maps one company with its deals and contacts. Owners maps owner
// ids to e-mails.
func (p *mapper) record(co Object, deals, contacts []Object, owners map[string]string) connector.Record {
	rec := connector.Record{ExternalID: co.ID, Sample: sample(co)}
	f := connector.Fields{Has: p.owned}
	var probs connector.Problems
	bad := probs.Add
	f.Name = strings.TrimSpace(co.Properties[p.m.Name])
	if oid := co.Properties["hubspot_owner_id"]; oid != "" {
		if e, ok := owners[oid]; ok {
			f.Owner = e
		} else if p.required&connector.FieldOwner != 0 {
			bad("owner %s is not an active HubSpot owner (a deactivated user?); reassign the company", oid)
		} else {
			f.Has &^= connector.FieldOwner // keep the owner AccountBot has rather than guess
		}
	}
	if p.m.Plan != "" {
		f.Plan = strings.TrimSpace(co.Properties[p.m.Plan])
	}
	if p.m.Seats != "" {
		if v := co.Properties[p.m.Seats]; v != "" {
			n, err := strconv.ParseFloat(v, 64)
			if err != nil || n < 0 || n != float64(int(n)) {
				bad("%s %q is not a whole number of seats", p.m.Seats, v)
			}
			f.Seats = int(n)
		}
	}
	if p.m.ContractStart != "" {
		f.ContractStart = p.date(co.Properties[p.m.ContractStart], p.m.ContractStart, bad)
	}
	switch p.m.ARRFrom {
	case "company":
		if p.m.CompanyARR != "" {
			f.Currency = p.currency
			f.ARR = connector.Amount(co.Properties[p.m.CompanyARR], p.currency, p.m.CompanyARR, bad)
		}
		if p.m.CompanyRenewal != "" {
			f.RenewalDate = p.date(co.Properties[p.m.CompanyRenewal], p.m.CompanyRenewal, bad)
		}
	case "deal":
		if d, ok := p.renewalDeal(deals); ok {
			f.Currency = strings.ToUpper(strings.TrimSpace(d.Properties[p.m.DealCurrency]))
			if f.Currency == "" {
				f.Currency = p.currency
			}
			f.ARR = connector.Amount(d.Properties[p.m.DealAmount], f.Currency, "deal "+d.ID+" "+p.m.DealAmount, bad)
			f.RenewalDate = p.date(d.Properties[p.m.DealRenewal], "deal "+d.ID+" "+p.m.DealRenewal, bad)
		} else {
			f.Has &^= connector.FieldARR | connector.FieldRenewal // no deal: keep what AccountBot has
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
	prop := map[connector.Field]string{connector.FieldName: p.m.Name, connector.FieldOwner: "hubspot_owner_id",
		connector.FieldPlan: p.m.Plan, connector.FieldSeats: p.m.Seats, connector.FieldContractStart: p.m.ContractStart,
		connector.FieldARR: "the renewal deal's " + p.m.DealAmount, connector.FieldRenewal: "the renewal deal's " + p.m.DealRenewal}[fl]
	return "HubSpot property " + prop
}

// renewalDeal picks the associated deal with the latest close date that
// is not closed-lost (and of the configured type).
func (p *mapper) renewalDeal(deals []Object) (Object, bool) {
	var best Object
	found := false
	for _, d := range deals {
		if d.Properties["hs_is_closed_lost"] == "true" || d.Properties["dealstage"] == "closedlost" {
			continue
		}
		if t := p.m.RenewalDealType; t != "" && !strings.EqualFold(d.Properties["dealtype"], t) {
			continue
		}
		if !found || d.Properties[p.m.DealRenewal] > best.Properties[p.m.DealRenewal] {
			best, found = d, true
		}
	}
	return best, found
}

func (p *mapper) stakeholders(contacts []Object) []domain.Stakeholder {
	cs := make([]connector.Contact, len(contacts))
	for i, c := range contacts {
		cs[i] = connector.Contact{First: c.Properties["firstname"], Last: c.Properties["lastname"], Email: c.Properties["email"],
			Role: c.Properties[p.m.Role], Function: c.Properties[p.m.Function]}
	}
	return connector.Stakeholders(cs, p.m.Functions)
}

// date reads a HubSpot date or datetime property: an ISO 8601 date, an
// RFC 3339 timestamp or epoch milliseconds (older portals).
func (p *mapper) date(v, what string, bad func(string, ...any)) domain.Date {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return domain.DateOf(t.UTC())
	}
	if d, err := domain.ParseDate(v); err == nil {
		return d
	}
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil && ms > 0 {
		return domain.DateOf(time.UnixMilli(ms).UTC())
	}
	bad("%s: %q is not a date", what, v)
	return 0
}

// sample renders a company briefly for the review list.
func sample(co Object) string {
	s := "company " + co.ID
	if n := co.Properties["name"]; n != "" {
		s += " " + strconv.Quote(n)
	}
	if len(s) > 200 {
		s = s[:200]
	}
	return s
}

func (p *mapper) pageSize() int { return p.size }
