package domain

import (
	"strings"
	"testing"
)

const (
	ana    = "ana@example.com"
	ben    = "ben@example.com"
	carl   = "carl@example.com" // a colleague who owns nothing and has no role
	newbie = "newbie@example.com"
	zoe    = "zoe@emea.example.com"
)

func testAccess(mode AccessMode) AccessConfig {
	return AccessConfig{
		Mode:               mode,
		AuditRetentionDays: 400,
		Admins:             []string{"boss@example.com"},
		CSMs:               []string{newbie},
		Managers: []ManagerRole{
			{Who: []string{"lead@example.com"}, Team: []string{ana, ben}},
			{Who: []string{"emea.lead@example.com"}, Team: []string{"@emea.example.com"}},
			{Who: []string{"vp@example.com"}, Team: []string{"*"}},
		},
		Viewers: []ViewerRole{
			{Who: []string{"fin@example.com"}, Scope: []string{ana}},
			{Who: []string{"@audit.example.com"}, Scope: []string{"*"}},
		},
	}
}

func home(email string) Principal { return Principal{Email: email, Home: true} }
func csm(email string) Principal  { return Principal{Email: email, Home: true, InBook: true} }

var (
	readAccount  = Requirement{Scope: ScopeAccount}
	writeAccount = Requirement{Scope: ScopeAccount, Write: true}
	readOwner    = Requirement{Scope: ScopeOwner}
	writeOwner   = Requirement{Scope: ScopeOwner, Write: true}
	readBook     = Requirement{Scope: ScopeBook}
	self         = Requirement{Scope: ScopeSelf}
	adminOnly    = Requirement{Scope: ScopeAdmin}
	help         = Requirement{Scope: ScopePublic}

	anaAccount  = Target{Owner: ana, Stakeholders: []string{ben, newbie, carl}}
	benAccount  = Target{Owner: ben}
	zoeAccount  = Target{Owner: zoe}
	anaBook     = Target{Owner: ana}
	unowned     = Target{}
	lookalikes  = []Target{{Owner: "x@evilemea.example.com"}, {Owner: "x@sub.emea.example.com"}, {Owner: "x@emea.example.com.evil.io"}}
	nobody      = Principal{Home: true} // a Slack user whose e-mail could not be read
	guest       = Principal{Email: "guest@partner.io", Home: true, Guest: true}
	foreignAna  = Principal{Email: ana, Home: false, InBook: true}             // a foreign workspace's user whose e-mail equals Ana's
	externalAna = Principal{Email: ana, Home: true, Guest: true, InBook: true} // a Slack Connect member claiming Ana's address
)

func TestAuthorize(t *testing.T) {
	strict, open := testAccess(AccessStrict), testAccess(AccessOpen)
	tests := []struct {
		name   string
		p      Principal
		need   Requirement
		target Target
		cfg    AccessConfig
		allow  bool
		role   Role // granted, or needed when refused
	}{
		// Owners and their own things.
		{"owner reads own account", csm(ana), readAccount, anaAccount, strict, true, RoleCSM},
		{"owner writes own account", csm(ana), writeAccount, anaAccount, strict, true, RoleCSM},
		{"owner reads own book", csm(ana), readOwner, anaBook, strict, true, RoleCSM},
		{"e-mail case does not matter", csm("Ana@Example.COM"), writeAccount, anaAccount, strict, true, RoleCSM},
		{"own settings", home(carl), self, unowned, strict, true, RoleCSM},
		{"help for anyone identified", home(carl), help, unowned, strict, true, RoleNone},

		// Attack: a CSM reads or changes another CSM's account and book.
		{"another CSM's account read", csm(ana), readAccount, benAccount, strict, false, RoleCSM},
		{"another CSM's account write (signal)", csm(ana), writeAccount, benAccount, strict, false, RoleManager},
		{"outcome on someone else's account", csm(ben), writeAccount, Target{Owner: ana}, strict, false, RoleManager},
		{"portfolio top for another owner", csm(ben), readOwner, anaBook, strict, false, RoleManager},
		{"another owner's nudges", csm(ben), readOwner, anaBook, strict, false, RoleManager},
		{"another owner's settings", csm(ben), writeOwner, anaBook, strict, false, RoleManager},
		{"portfolio owners by a CSM", csm(ana), readBook, unowned, strict, false, RoleManager},
		{"whole book by a CSM", csm(ana), readBook, unowned, strict, false, RoleManager},
		{"config-level command by a CSM", csm(ana), adminOnly, unowned, strict, false, RoleAdmin},
		{"unowned account by a CSM", csm(ana), readAccount, unowned, strict, false, RoleCSM},

		// Attack: guests, unknown e-mails and foreign identities.
		{"no e-mail reads an account", nobody, readAccount, anaAccount, strict, false, RoleCSM},
		{"no e-mail reads the book", nobody, readBook, unowned, strict, false, RoleCSM},
		{"no e-mail asks for nudges", nobody, self, unowned, strict, false, RoleCSM},
		{"no e-mail gets help", nobody, help, unowned, strict, true, RoleNone},
		{"guest reads the book", guest, readBook, unowned, strict, false, RoleCSM},
		{"guest gets help", guest, help, unowned, strict, true, RoleNone},
		{"foreign workspace user with a CSM's e-mail", foreignAna, readAccount, anaAccount, strict, false, RoleCSM},
		{"foreign user with a CSM's e-mail writes", foreignAna, writeAccount, anaAccount, open, false, RoleCSM},
		{"external member with a CSM's e-mail", externalAna, readOwner, anaBook, strict, false, RoleCSM},
		{"foreign user with an admin's e-mail", Principal{Email: "boss@example.com"}, adminOnly, unowned, strict, false, RoleCSM},

		// Named stakeholders read but do not write.
		{"stakeholder CSM reads", csm(ben), readAccount, anaAccount, strict, true, RoleCSM},
		{"stakeholder CSM writes", csm(ben), writeAccount, anaAccount, strict, false, RoleManager},
		{"declared csm stakeholder reads", home(newbie), readAccount, anaAccount, strict, true, RoleCSM},
		{"stakeholder without a csm role", home(carl), readAccount, anaAccount, strict, false, RoleCSM},

		// Managers over listed owners, a domain, everyone.
		{"manager reads a team member's account", home("lead@example.com"), readAccount, anaAccount, strict, true, RoleManager},
		{"manager writes a team member's account", home("lead@example.com"), writeAccount, benAccount, strict, true, RoleManager},
		{"manager: portfolio for a team member", home("lead@example.com"), readOwner, anaBook, strict, true, RoleManager},
		{"manager: team member's settings", home("lead@example.com"), writeOwner, anaBook, strict, true, RoleManager},
		{"manager outside the team", home("lead@example.com"), readAccount, zoeAccount, strict, false, RoleCSM},
		{"manager cannot list every owner", home("lead@example.com"), readBook, unowned, strict, false, RoleManager},
		{"domain manager reads", home("emea.lead@example.com"), readAccount, zoeAccount, strict, true, RoleManager},
		{"domain manager writes", home("emea.lead@example.com"), writeAccount, zoeAccount, strict, true, RoleManager},
		{"domain manager outside the domain", home("emea.lead@example.com"), readOwner, anaBook, strict, false, RoleManager},
		{"manager of everyone lists owners", home("vp@example.com"), readBook, unowned, strict, true, RoleManager},
		{"manager of everyone: unowned account", home("vp@example.com"), writeAccount, unowned, strict, true, RoleManager},
		{"manager of everyone: not admin", home("vp@example.com"), adminOnly, unowned, strict, false, RoleAdmin},

		// Viewers read their scope, never write.
		{"viewer reads in scope", home("fin@example.com"), readAccount, anaAccount, strict, true, RoleViewer},
		{"viewer portfolio in scope", home("fin@example.com"), readOwner, anaBook, strict, true, RoleViewer},
		{"viewer write refused", home("fin@example.com"), writeAccount, anaAccount, strict, false, RoleManager},
		{"viewer out of scope", home("fin@example.com"), readAccount, benAccount, strict, false, RoleCSM},
		{"domain viewer of everything", home("x@audit.example.com"), readBook, unowned, strict, true, RoleViewer},
		{"domain viewer of everything cannot write", home("x@audit.example.com"), writeAccount, benAccount, strict, false, RoleManager},

		// Admin and operator.
		{"admin writes anything", home("boss@example.com"), writeAccount, benAccount, strict, true, RoleAdmin},
		{"admin runs config-level commands", home("boss@example.com"), adminOnly, unowned, strict, true, RoleAdmin},
		{"admin as a guest", Principal{Email: "boss@example.com", Home: true, Guest: true}, adminOnly, unowned, strict, false, RoleCSM},
		{"local operator", Principal{Operator: true}, adminOnly, unowned, strict, true, RoleAdmin},

		// Open mode: reads for every identified member, writes as strict.
		{"open: another CSM's account read", csm(ana), readAccount, benAccount, open, true, RoleViewer},
		{"open: another CSM's account write", csm(ana), writeAccount, benAccount, open, false, RoleManager},
		{"open: another owner's settings", csm(ana), writeOwner, Target{Owner: ben}, open, false, RoleManager},
		{"open: whole book read", home(carl), readBook, unowned, open, true, RoleViewer},
		{"open: viewer still cannot write", home("fin@example.com"), writeAccount, anaAccount, open, false, RoleManager},
		{"open: guest still refused", guest, readAccount, anaAccount, open, false, RoleCSM},
		{"open: no e-mail still refused", nobody, readBook, unowned, open, false, RoleCSM},
		{"open: admin-only stays admin-only", csm(ana), adminOnly, unowned, open, false, RoleAdmin},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Authorize(tt.p, tt.need, tt.target, tt.cfg)
			if d.Allowed != tt.allow || d.Role != tt.role {
				t.Fatalf("Authorize = allowed %v role %q (%s); want allowed %v role %q", d.Allowed, d.Role, d.Reason, tt.allow, tt.role)
			}
			if d.Reason == "" {
				t.Error("no reason for the audit log")
			}
			if !d.Allowed {
				// A refusal names the role needed, never what exists.
				if d.Message == "" || strings.Contains(d.Message, "@") || !strings.Contains(d.Message, "admin") {
					t.Errorf("refusal message %q: want one that names the role and no address", d.Message)
				}
			}
		})
	}
}

// A domain entry names exactly one domain: look-alike and sub-domains are
// someone else's.
func TestAuthorizeDomainLookalikes(t *testing.T) {
	for _, tgt := range lookalikes {
		d := Authorize(home("emea.lead@example.com"), writeAccount, tgt, testAccess(AccessStrict))
		if d.Allowed {
			t.Errorf("manager of @emea.example.com may write %s's account", tgt.Owner)
		}
	}
	evil := Principal{Email: "boss@example.com.evil.io", Home: true}
	cfg := testAccess(AccessStrict)
	cfg.Admins = []string{"@example.com"}
	if d := Authorize(evil, adminOnly, unowned, cfg); d.Allowed {
		t.Error("an address at example.com.evil.io is admin through @example.com")
	}
}

func TestAccessConfigValidate(t *testing.T) {
	base := DefaultConfig()
	if err := base.Validate(); err != nil {
		t.Fatalf("defaults invalid: %v", err)
	}
	if base.Access.Mode != AccessStrict || base.Access.AuditRetentionDays != 400 {
		t.Fatalf("defaults: %+v; want strict and 400 days", base.Access)
	}
	full := base
	full.Access = testAccess(AccessOpen)
	if err := full.Validate(); err != nil {
		t.Fatalf("example access config refused: %v", err)
	}
	tests := []struct {
		name  string
		edit  func(a *AccessConfig)
		field string
	}{
		{"unknown mode", func(a *AccessConfig) { a.Mode = "everyone" }, "access.mode"},
		{"no retention", func(a *AccessConfig) { a.AuditRetentionDays = 0 }, "access.audit_retention_days"},
		{"star admin", func(a *AccessConfig) { a.Admins = []string{"*"} }, "access.admins[0]"},
		{"not an address", func(a *AccessConfig) { a.Admins = []string{"boss"} }, "access.admins[0]"},
		{"domain without a dot", func(a *AccessConfig) { a.CSMs = []string{"@localhost"} }, "access.csms[0]"},
		{"two addresses in one entry", func(a *AccessConfig) { a.CSMs = []string{"a@example.com, b@example.com"} }, "access.csms[0]"},
		{"manager without people", func(a *AccessConfig) { a.Managers = []ManagerRole{{Team: []string{"*"}}} }, "access.managers[0].who"},
		{"manager without a team", func(a *AccessConfig) { a.Managers = []ManagerRole{{Who: []string{ana}}} }, "access.managers[0].team"},
		{"star manager", func(a *AccessConfig) { a.Managers = []ManagerRole{{Who: []string{"*"}, Team: []string{"*"}}} }, "access.managers[0].who[0]"},
		{"viewer scope typo", func(a *AccessConfig) { a.Viewers = []ViewerRole{{Who: []string{ana}, Scope: []string{"all"}}} }, "access.viewers[0].scope[0]"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.edit(&c.Access)
			err := c.Validate()
			if err == nil || !strings.Contains(err.Error(), tt.field+":") {
				t.Fatalf("Validate = %v; want an error naming %s", err, tt.field)
			}
		})
	}
}

// Only our own people named on an account (internal, not left) count as
// its stakeholders for access; a customer contact with the same e-mail,
// or a colleague who left the account, gives nothing.
func TestAccountTarget(t *testing.T) {
	acct := &Account{ID: "acme", Owner: ana, Stakeholders: []Stakeholder{
		{Name: "Ben", Email: ben, Internal: true},
		{Name: "Carl (customer)", Email: carl},
		{Name: "Newbie", Email: newbie, Internal: true, Left: MustDate("2026-10-01")},
	}}
	strict := testAccess(AccessStrict)
	tests := []struct {
		name  string
		who   Principal
		allow bool
	}{
		{"internal stakeholder, known CSM", csm(ben), true},
		{"internal stakeholder, not a known CSM", home(ben), false},
		{"customer contact's e-mail", csm(carl), false},
		{"left the account", csm(newbie), false},
		{"another CSM not named", csm(zoe), false},
		{"the owner", csm(ana), true},
		{"case-insensitive", csm(strings.ToUpper(ben)), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := Authorize(tt.who, readAccount, AccountTarget(acct, tt.who.Email), strict)
			if d.Allowed != tt.allow {
				t.Fatalf("allowed %v (%s); want %v", d.Allowed, d.Reason, tt.allow)
			}
			if d.Allowed && tt.who.Email != ana && d.Reason != "stakeholder" {
				t.Errorf("allowed as %s; want stakeholder", d.Reason)
			}
		})
	}
	if d := Authorize(csm(ben), writeAccount, AccountTarget(acct, ben), strict); d.Allowed {
		t.Error("a stakeholder may write")
	}
}
