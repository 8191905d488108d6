package salesforce

import (
	"regexp"
	"strings"
	"time"

	"github.com/accountbot/accountbot/connector"
	"github.com/accountbot/accountbot/domain"
)

// DefaultLoginURL is where the JWT bearer token is requested, and the
// assertion's audience.
const DefaultLoginURL = "https://login.salesforce.com"

// Config is the `sync.salesforce` section of the configuration file. The
// credentials come from the environment (SALESFORCE_CLIENT_ID,
// SALESFORCE_USERNAME, SALESFORCE_PRIVATE_KEY_FILE, SALESFORCE_LOGIN_URL);
// the keys here are their fall-backs.
type Config struct {
	ClientID       string  `yaml:"client_id,omitempty"`
	Username       string  `yaml:"username,omitempty"`
	PrivateKeyFile string  `yaml:"private_key_file,omitempty"`
	LoginURL       string  `yaml:"login_url,omitempty"`
	APIVersion     string  `yaml:"api_version,omitempty"` // default v63.0
	Create         *bool   `yaml:"create_accounts,omitempty"`
	PageSize       int     `yaml:"page_size,omitempty"`       // accounts per page, 200-2000, default 200
	BulkAbove      int     `yaml:"bulk_above,omitempty"`      // a first load of more accounts uses Bulk API 2.0; default 2000
	SlowAbove      float64 `yaml:"slow_above,omitempty"`      // share of the daily API allowance used above which calls are spaced out; default 0.8
	StopAbove      float64 `yaml:"stop_above,omitempty"`      // share above which a run stops (cursor kept); default 0.95
	SlowInterval   string  `yaml:"slow_interval,omitempty"`   // the spacing, default 2s
	MaxIncremental int     `yaml:"max_incremental,omitempty"` // more changed accounts than this make a full load; default 10000
	Mapping        Mapping `yaml:"mapping"`
	WriteBack      Writes  `yaml:"write_back"`
}

// Mapping says which Salesforce fields fill which account fields. An empty
// field name leaves the account field to AccountBot.
type Mapping struct {
	Name          string `yaml:"name"`           // Account field, default "Name"
	Plan          string `yaml:"plan"`           // Account field, default none
	Seats         string `yaml:"seats"`          // Account field, default none
	ContractStart string `yaml:"contract_start"` // Account field, default none
	// ARR and the renewal date come from the renewal opportunity
	// (arr_from: opportunity) or from Account fields (arr_from: account).
	// The renewal opportunity is the account's opportunity of type
	// renewal_type (any type when empty) that is not closed-lost, with the
	// latest CloseDate.
	ARRFrom        string            `yaml:"arr_from"`        // "opportunity" (default), "account" or "none"
	OppAmount      string            `yaml:"opp_amount"`      // default "Amount"
	OppRenewal     string            `yaml:"opp_renewal"`     // default "CloseDate"
	OppCurrency    string            `yaml:"opp_currency"`    // e.g. CurrencyIsoCode in multi-currency orgs; default none (the book's currency)
	RenewalType    string            `yaml:"renewal_type"`    // Opportunity Type of renewals, default any
	AccountARR     string            `yaml:"account_arr"`     // with arr_from: account
	AccountRenewal string            `yaml:"account_renewal"` // with arr_from: account
	Stakeholders   *bool             `yaml:"stakeholders"`    // contacts → stakeholders, default true
	Role           string            `yaml:"role"`            // Contact field, default "Title"
	Function       string            `yaml:"function"`        // Contact field read for the function, default "Title"
	Functions      map[string]string `yaml:"functions"`       // substring of that field → function
	Required       []string          `yaml:"required"`        // fields a record must have, default [name]
}

// Writes configures write-back; all off by default.
type Writes struct {
	Tasks bool `yaml:"tasks"` // outcomes and notes → a Task on the account
	// WriteIDField is the Task field (a text field you create, e.g.
	// AccountBot_Write_Id__c) that stores AccountBot's write id, so a
	// retried write finds the Task an unconfirmed attempt created.
	WriteIDField string                `yaml:"write_id_field"`
	Scores       connector.ScoreFields `yaml:"scores"` // Account field per score; empty: not written
}

func (c Config) withDefaults() Config {
	m := &c.Mapping
	def := func(p *string, v string) {
		if *p == "" {
			*p = v
		}
	}
	def(&m.Name, "Name")
	def(&m.ARRFrom, "opportunity")
	def(&m.OppAmount, "Amount")
	def(&m.OppRenewal, "CloseDate")
	def(&m.Role, "Title")
	def(&m.Function, "Title")
	def(&c.APIVersion, "v63.0")
	def(&c.SlowInterval, "2s")
	if m.Stakeholders == nil {
		t := true
		m.Stakeholders = &t
	}
	if len(m.Required) == 0 {
		m.Required = []string{"name"}
	}
	if c.PageSize < 200 || c.PageSize > 2000 {
		c.PageSize = 200
	}
	if c.BulkAbove <= 0 {
		c.BulkAbove = 2000
	}
	if c.SlowAbove <= 0 || c.SlowAbove >= 1 {
		c.SlowAbove = 0.8
	}
	if c.StopAbove <= 0 || c.StopAbove > 1 {
		c.StopAbove = 0.95
	}
	if c.MaxIncremental <= 0 {
		c.MaxIncremental = 10_000
	}
	if c.Create == nil {
		t := true
		c.Create = &t
	}
	return c
}

// CreateAccounts reports whether unmatched Salesforce accounts become
// AccountBot accounts.
func (c Config) CreateAccounts() bool { return c.Create == nil || *c.Create }

// owned returns the fields the mapping gives Salesforce.
func (m Mapping) owned() connector.Field {
	return m.common().Owned(connector.ARRFields(m.ARRFrom, "opportunity", "account", m.AccountARR, m.AccountRenewal))
}

// common is the part of the mapping every CRM has.
func (m Mapping) common() connector.Mapping {
	return connector.Mapping{Key: "sync.salesforce", VendorField: "Salesforce field", Plan: m.Plan, Seats: m.Seats,
		ContractStart: m.ContractStart, Stakeholders: *m.Stakeholders, Functions: m.Functions, Required: m.Required}
}

// check validates the mapping and returns the required fields.
func (c Config) check() (connector.Field, error) {
	m := c.Mapping
	if m.ARRFrom != "opportunity" && m.ARRFrom != "account" && m.ARRFrom != "none" {
		return 0, domain.Errorf(domain.EINVALID, "sync.salesforce.mapping.arr_from %q: want opportunity, account or none", m.ARRFrom)
	}
	req, err := m.common().Check(m.owned(), mappingKey)
	if err != nil {
		return 0, err
	}
	for _, f := range []string{m.Name, m.Plan, m.Seats, m.ContractStart, m.OppAmount, m.OppRenewal, m.OppCurrency,
		m.AccountARR, m.AccountRenewal, m.Role, m.Function, c.WriteBack.WriteIDField,
		c.WriteBack.Scores.Health, c.WriteBack.Scores.Tier, c.WriteBack.Scores.Priority, c.WriteBack.Scores.Readiness} {
		if !validName(f) {
			return 0, domain.Errorf(domain.EINVALID, "sync.salesforce: %q is not a Salesforce field API name (letters, digits and underscores, e.g. ARR__c)", f)
		}
	}
	if c.WriteBack.Tasks && c.WriteBack.WriteIDField == "" {
		return 0, domain.Errorf(domain.EINVALID, "sync.salesforce.write_back.tasks needs write_back.write_id_field: create a text field on Task (Activity), e.g. AccountBot_Write_Id__c, and name it there; it keeps retried writes from creating a second Task")
	}
	if !apiVersionRE.MatchString(c.APIVersion) {
		return 0, domain.Errorf(domain.EINVALID, "sync.salesforce.api_version %q: want the form v63.0", c.APIVersion)
	}
	if _, err := time.ParseDuration(c.SlowInterval); err != nil {
		return 0, domain.Errorf(domain.EINVALID, "sync.salesforce.slow_interval %q is not a duration (e.g. 2s)", c.SlowInterval)
	}
	return req, nil
}

var apiVersionRE = regexp.MustCompile(`^v[0-9]{2,3}\.[0-9]$`)

// validName accepts a field API name (or "" for none); it keeps mapped
// names from changing the SOQL they are put into.
func validName(s string) bool {
	for i, r := range s {
		ok := r == '_' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || i > 0 && r >= '0' && r <= '9'
		if !ok {
			return false
		}
	}
	return len(s) <= 80
}

func mappingKey(f connector.Field) string {
	switch f {
	case connector.FieldARR:
		return "account_arr (with arr_from: account) or arr_from: opportunity"
	case connector.FieldRenewal:
		return "account_renewal (with arr_from: account) or arr_from: opportunity"
	}
	return strings.ReplaceAll(f.String(), "renewal_date", "renewal")
}

// Creds are the JWT bearer flow's inputs.
type Creds struct {
	ClientID string // the External Client App's consumer key (the JWT iss)
	Username string // the integration user (the JWT sub)
	KeyPEM   string // the RSA private key matching the app's certificate
	LoginURL string // token endpoint host, and the JWT aud
}

// Creds reads the credentials: the environment first, then the config.
func (c Config) Creds(getenv func(string) string) (Creds, error) {
	pick := func(env, conf string) string { return connector.EnvOr(getenv, env, conf) }
	cr := Creds{ClientID: pick("SALESFORCE_CLIENT_ID", c.ClientID), Username: pick("SALESFORCE_USERNAME", c.Username),
		LoginURL: strings.TrimRight(pick("SALESFORCE_LOGIN_URL", c.LoginURL), "/")}
	if cr.LoginURL == "" {
		cr.LoginURL = DefaultLoginURL
	}
	keyFile := pick("SALESFORCE_PRIVATE_KEY_FILE", c.PrivateKeyFile)
	var missing []string
	if cr.ClientID == "" {
		missing = append(missing, "SALESFORCE_CLIENT_ID (the External Client App's consumer key)")
	}
	if cr.Username == "" {
		missing = append(missing, "SALESFORCE_USERNAME (the integration user's username)")
	}
	if keyFile == "" {
		missing = append(missing, "SALESFORCE_PRIVATE_KEY_FILE (the PEM private key whose certificate the app holds)")
	}
	if len(missing) > 0 {
		return Creds{}, domain.Errorf(domain.EINVALID, "Salesforce is not configured: set %s", strings.Join(missing, ", "))
	}
	pem, err := connector.ReadCredential("the Salesforce private key", keyFile)
	if err != nil {
		return Creds{}, err
	}
	if !strings.Contains(pem, "PRIVATE KEY-----") {
		return Creds{}, domain.Errorf(domain.EINVALID, "the Salesforce private key file %s is not a PEM private key (-----BEGIN PRIVATE KEY----- or RSA PRIVATE KEY)", keyFile)
	}
	cr.KeyPEM = pem + "\n"
	return cr, nil
}

// ClientOptions are the client's pacing options from the configuration.
func (c Config) ClientOptions() Options {
	c = c.withDefaults()
	every, _ := time.ParseDuration(c.SlowInterval)
	return Options{APIVersion: c.APIVersion, SlowAbove: c.SlowAbove, StopAbove: c.StopAbove, SlowInterval: every}
}
