package hubspot

import (
	"strings"

	"github.com/accountbot/accountbot/connector"
	"github.com/accountbot/accountbot/domain"
)

// Config is the `sync.hubspot` section of the configuration file. Every
// key is optional; the token comes from HUBSPOT_TOKEN (or token_file).
type Config struct {
	TokenFile     string  `yaml:"token_file,omitempty"` // a file holding the token (instead of HUBSPOT_TOKEN)
	BaseURL       string  `yaml:"base_url,omitempty"`   // HUBSPOT_API_URL overrides it
	Create        *bool   `yaml:"create_accounts,omitempty"`
	PageSize      int     `yaml:"page_size,omitempty"`       // 1-100, default 100
	RatePerSecond float64 `yaml:"rate_per_second,omitempty"` // default 15 (HubSpot allows 190 per 10 s per portal)
	Mapping       Mapping `yaml:"mapping"`
	WriteBack     Writes  `yaml:"write_back"`
}

// Mapping says which HubSpot properties fill which account fields. An
// empty property name leaves the field to AccountBot.
type Mapping struct {
	Name          string `yaml:"name"`           // company property, default "name"
	Plan          string `yaml:"plan"`           // company property, default none
	Seats         string `yaml:"seats"`          // company property, default none
	ContractStart string `yaml:"contract_start"` // company property, default none
	// ARR and renewal date come from the renewal deal (deal_*) or from
	// company properties (company_*). The renewal deal is the associated
	// deal with the latest close date that is not closed-lost (and whose
	// dealtype is renewal_deal_type, when set).
	ARRFrom         string            `yaml:"arr_from"`          // "deal" (default), "company" or "none"
	DealAmount      string            `yaml:"deal_amount"`       // default "amount"
	DealRenewal     string            `yaml:"deal_renewal"`      // default "closedate"
	DealCurrency    string            `yaml:"deal_currency"`     // default "deal_currency_code"
	RenewalDealType string            `yaml:"renewal_deal_type"` // default any
	CompanyARR      string            `yaml:"company_arr"`       // with arr_from: company
	CompanyRenewal  string            `yaml:"company_renewal"`   // with arr_from: company
	Stakeholders    *bool             `yaml:"stakeholders"`      // contacts → stakeholders, default true
	Role            string            `yaml:"role"`              // contact property, default "jobtitle"
	Function        string            `yaml:"function"`          // contact property read for the function, default "jobtitle"
	Functions       map[string]string `yaml:"functions"`         // substring of that property → function
	Required        []string          `yaml:"required"`          // fields a record must have, default [name]
}

// Writes configures write-back; all off by default.
type Writes struct {
	Notes  bool                  `yaml:"notes"`  // outcomes and notes → HubSpot notes on the company
	Scores connector.ScoreFields `yaml:"scores"` // company property per score; empty: not written
}

// withDefaults fills the defaults in.
func (c Config) withDefaults() Config {
	m := &c.Mapping
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	def(&m.Name, "name")
	def(&m.ARRFrom, "deal")
	def(&m.DealAmount, "amount")
	def(&m.DealRenewal, "closedate")
	def(&m.DealCurrency, "deal_currency_code")
	def(&m.Role, "jobtitle")
	def(&m.Function, "jobtitle")
	if m.Stakeholders == nil {
		t := true
		m.Stakeholders = &t
	}
	if len(m.Required) == 0 {
		m.Required = []string{"name"}
	}
	if c.PageSize <= 0 || c.PageSize > 100 {
		c.PageSize = 100
	}
	if c.RatePerSecond == 0 {
		c.RatePerSecond = 15
	}
	if c.Create == nil {
		t := true
		c.Create = &t
	}
	return c
}

// owned returns the fields the mapping gives HubSpot.
func (m Mapping) owned() connector.Field {
	return m.common().Owned(connector.ARRFields(m.ARRFrom, "deal", "company", m.CompanyARR, m.CompanyRenewal))
}

// common is the part of the mapping every CRM has.
func (m Mapping) common() connector.Mapping {
	return connector.Mapping{Key: "sync.hubspot", VendorField: "HubSpot property", Plan: m.Plan, Seats: m.Seats,
		ContractStart: m.ContractStart, Stakeholders: *m.Stakeholders, Functions: m.Functions, Required: m.Required}
}

// requiredFields checks the mapping and returns the required fields: a
// required field the mapping does not fill is a configuration error.
func (m Mapping) requiredFields() (connector.Field, error) {
	if m.ARRFrom != "deal" && m.ARRFrom != "company" && m.ARRFrom != "none" {
		return 0, domain.Errorf(domain.EINVALID, "sync.hubspot.mapping.arr_from %q: want deal, company or none", m.ARRFrom)
	}
	return m.common().Check(m.owned(), mappingKey)
}

func mappingKey(f connector.Field) string {
	switch f {
	case connector.FieldARR:
		return "company_arr (with arr_from: company) or arr_from: deal"
	case connector.FieldRenewal:
		return "company_renewal (with arr_from: company) or arr_from: deal"
	case connector.FieldSeats:
		return "seats"
	case connector.FieldPlan:
		return "plan"
	case connector.FieldContractStart:
		return "contract_start"
	}
	return f.String()
}

// Token reads the token: HUBSPOT_TOKEN, else the token file
// (HUBSPOT_TOKEN_FILE, else sync.hubspot.token_file).
func (c Config) Token(getenv func(string) string) (string, error) {
	if t := strings.TrimSpace(getenv("HUBSPOT_TOKEN")); t != "" {
		return t, nil
	}
	path := connector.EnvOr(getenv, "HUBSPOT_TOKEN_FILE", c.TokenFile)
	if path == "" {
		return "", domain.Errorf(domain.EINVALID, "HubSpot is not configured: set HUBSPOT_TOKEN to a Service Key or private-app token (or sync.hubspot.token_file)")
	}
	return connector.ReadCredential("the HubSpot token file", path)
}

// URL is HUBSPOT_API_URL, else the configured base URL, else HubSpot's.
func (c Config) URL(getenv func(string) string) string {
	if u := connector.EnvOr(getenv, "HUBSPOT_API_URL", c.BaseURL); u != "" {
		return u
	}
	return DefaultBaseURL
}

// CreateAccounts reports whether unmatched companies become accounts.
func (c Config) CreateAccounts() bool { return c.Create == nil || *c.Create }

// DefaultConfig is the configuration with every default filled in (what
// `accountbot config` prints).
func DefaultConfig() Config { return Config{}.withDefaults() }
