package domain

import (
	"fmt"
	"strings"
)

// Role is what a person may do. Roles are declared in config by e-mail or
// e-mail domain (AccessConfig); owners in the book are csm by default.
type Role string

const (
	RoleNone    Role = ""        // only help
	RoleViewer  Role = "viewer"  // read-only over a set of owners
	RoleCSM     Role = "csm"     // their own book and the accounts they own or are named on
	RoleManager Role = "manager" // read and write over a team of owners
	RoleAdmin   Role = "admin"   // everything, including config-level commands and the audit log
)

// Scope is what a verb touches; each verb declares one (Requirement).
type Scope string

const (
	ScopePublic  Scope = "public"  // help: anyone, even someone unidentified; never a write
	ScopeSelf    Scope = "self"    // the asker's own settings, snoozes and nudge schedule
	ScopeAccount Scope = "account" // one account: Target.Owner and Target.Stakeholders
	ScopeOwner   Scope = "owner"   // one owner's book or nudges (Target.Owner); the asker's own when it is theirs
	ScopeBook    Scope = "book"    // the whole book, or the list of owners
	ScopeAdmin   Scope = "admin"   // configuration-level commands and the audit log
)

// AccessMode: strict (the default) gives each role its scope; open lets
// every identified member of the home workspace read everything, as
// AccountBot did before roles. Writes follow the strict rules in both.
type AccessMode string

const (
	AccessStrict AccessMode = "strict"
	AccessOpen   AccessMode = "open"
)

// AccessConfig is the `access:` section of the rules. Every list entry is
// an e-mail ("ana@example.com") or a whole domain ("@example.com"); a
// team or scope may also be "*" (every owner).
type AccessConfig struct {
	Mode     AccessMode    `yaml:"mode" json:"mode"`
	Admins   []string      `yaml:"admins" json:"admins"`
	CSMs     []string      `yaml:"csms" json:"csms"` // csm without owning an account yet (named stakeholders)
	Managers []ManagerRole `yaml:"managers" json:"managers"`
	Viewers  []ViewerRole  `yaml:"viewers" json:"viewers"`
	// AuditRetentionDays: audit records older than this are pruned.
	AuditRetentionDays int `yaml:"audit_retention_days" json:"audit_retention_days"`
}

// ManagerRole makes the people in Who managers over the owners in Team.
type ManagerRole struct {
	Who  []string `yaml:"who" json:"who"`
	Team []string `yaml:"team" json:"team"`
}

// ViewerRole lets the people in Who read the books of the owners in Scope.
type ViewerRole struct {
	Who   []string `yaml:"who" json:"who"`
	Scope []string `yaml:"scope" json:"scope"`
}

// DefaultAccessConfig: strict, no declared roles, audit kept 400 days.
func DefaultAccessConfig() AccessConfig {
	return AccessConfig{Mode: AccessStrict, AuditRetentionDays: 400}
}

// Principal is who asks, as far as the platform and the book can tell.
type Principal struct {
	Email string // lower-case; "" when unknown or not trusted
	// Guest: a guest, restricted or external member of the workspace or tenant.
	Guest bool
	// Home: the identity came from the home workspace or tenant (the
	// installation binding says so); an e-mail from anywhere else means nothing.
	Home bool
	// InBook: the e-mail owns at least one account (the owner index says so).
	InBook bool
	// Operator: the local console or CLI run without --as. Whoever runs the
	// binary can read the data directory anyway, so it is admin.
	Operator bool
}

// Requirement is what a verb declares it needs.
type Requirement struct {
	Scope Scope
	Write bool
}

// Target is what a request is about: an account (its owner and the
// e-mails of the people named on it) or an owner's book. Empty for the
// public, self, book and admin scopes.
type Target struct {
	Owner        string
	Stakeholders []string
}

// AccountTarget is account a as a Target for the person with this e-mail:
// its owner and, when they are named on it as an internal stakeholder who
// has not left it, their e-mail. Customer contacts (Internal false) never
// count, whatever their e-mail: anyone can type any address into a
// product sign-up that Segment or a CRM then reports. Authorize still
// asks that the person be a known CSM (an owner in the book, or listed in
// access.csms). Nothing is allocated unless the person is named.
func AccountTarget(a *Account, email string) Target {
	t := Target{Owner: a.Owner}
	if email == "" || strings.EqualFold(email, a.Owner) {
		return t
	}
	for i := range a.Stakeholders {
		s := &a.Stakeholders[i]
		if s.Internal && s.Left.IsZero() && s.Email != "" && strings.EqualFold(s.Email, email) {
			t.Stakeholders = []string{s.Email}
			return t
		}
	}
	return t
}

// Decision is the answer of Authorize. When refused, Role is the least
// role that would be allowed and Message says so to the user, without
// naming the account, the owner or anything else that exists.
type Decision struct {
	Allowed bool
	Role    Role   // allowed: the role that allowed it
	Reason  string // for the audit log: "owner", "manager", "open mode", "guest"…
	Message string // refused: what to tell the user
}

// Authorize decides whether p may do what need declares on target.
// It does no I/O and allocates nothing on the allowed paths.
func Authorize(p Principal, need Requirement, target Target, cfg AccessConfig) Decision {
	if need.Scope == ScopePublic {
		return allow(RoleNone, "public")
	}
	if p.Operator {
		return allow(RoleAdmin, "operator")
	}
	switch {
	case !p.Home && p.Email != "":
		return refuse(RoleCSM, "foreign identity", msgIdentify)
	case p.Email == "":
		return refuse(RoleCSM, "unidentified", msgIdentify)
	case p.Guest:
		return refuse(RoleCSM, "guest", msgIdentify)
	}
	if matchAny(cfg.Admins, p.Email) {
		return allow(RoleAdmin, "admin")
	}
	open := cfg.Mode == AccessOpen && !need.Write
	switch need.Scope {
	case ScopeSelf:
		return allow(RoleCSM, "self")
	case ScopeAccount:
		return authorizeAccount(p, need, target, cfg, open)
	case ScopeOwner:
		return authorizeOwner(p, need, target, cfg, open)
	case ScopeBook:
		if need.Write {
			return refuse(RoleAdmin, "admin only", msgAdmin)
		}
		if open {
			return allow(RoleViewer, "open mode")
		}
		if managerOver(cfg, p.Email, "*") {
			return allow(RoleManager, "manager")
		}
		if viewerOver(cfg, p.Email, "*") {
			return allow(RoleViewer, "viewer")
		}
		return refuse(RoleManager, "not in scope", msgBook)
	}
	return refuse(RoleAdmin, "admin only", msgAdmin) // ScopeAdmin, and anything undeclared
}

func authorizeAccount(p Principal, need Requirement, t Target, cfg AccessConfig, open bool) Decision {
	if t.Owner != "" && strings.EqualFold(p.Email, t.Owner) {
		return allow(RoleCSM, "owner")
	}
	if managerOver(cfg, p.Email, t.Owner) {
		return allow(RoleManager, "manager")
	}
	if need.Write {
		return refuse(RoleManager, "not owner or manager", msgAccountWrite)
	}
	if open {
		return allow(RoleViewer, "open mode")
	}
	if (p.InBook || matchAny(cfg.CSMs, p.Email)) && containsFold(t.Stakeholders, p.Email) {
		return allow(RoleCSM, "stakeholder")
	}
	if viewerOver(cfg, p.Email, t.Owner) {
		return allow(RoleViewer, "viewer")
	}
	return refuse(RoleCSM, "not in scope", msgAccountRead)
}

func authorizeOwner(p Principal, need Requirement, t Target, cfg AccessConfig, open bool) Decision {
	if t.Owner != "" && strings.EqualFold(p.Email, t.Owner) {
		return allow(RoleCSM, "self")
	}
	if managerOver(cfg, p.Email, t.Owner) {
		return allow(RoleManager, "manager")
	}
	if need.Write {
		return refuse(RoleManager, "not manager", msgOwnerWrite)
	}
	if open {
		return allow(RoleViewer, "open mode")
	}
	if viewerOver(cfg, p.Email, t.Owner) {
		return allow(RoleViewer, "viewer")
	}
	return refuse(RoleManager, "not in scope", msgOwnerRead)
}

// Refusal messages say which role is needed and how to get it; they never
// name the account or the owner asked about.
const (
	msgIdentify     = "I can only help you with `help`: AccountBot answers people it can identify by their e-mail in its own workspace, and guests and external users have no access. Ask your AccountBot admin for a role if you need one."
	msgAccountRead  = "That needs the csm role on the account (its owner or a named stakeholder), a manager or viewer role over its owner, or admin. Ask your AccountBot admin if you need access."
	msgAccountWrite = "Changing an account needs its owner, a manager over its owner, or admin. Ask the account's owner to record it."
	msgOwnerRead    = "Another owner's portfolio or nudges need the manager (or viewer) role over that owner, or admin."
	msgOwnerWrite   = "Changing another owner's settings needs the manager role over that owner, or admin."
	msgBook         = "The whole book needs the admin role, or a manager or viewer role over every owner."
	msgAdmin        = "That needs the admin role."
)

func allow(r Role, reason string) Decision { return Decision{Allowed: true, Role: r, Reason: reason} }

func refuse(need Role, reason, msg string) Decision {
	return Decision{Role: need, Reason: reason, Message: msg}
}

// managerOver reports whether email manages owner ("*": every owner).
func managerOver(cfg AccessConfig, email, owner string) bool {
	for i := range cfg.Managers {
		m := &cfg.Managers[i]
		if matchAny(m.Who, email) && covers(m.Team, owner) {
			return true
		}
	}
	return false
}

// viewerOver reports whether email may read owner's book ("*": every owner).
func viewerOver(cfg AccessConfig, email, owner string) bool {
	for i := range cfg.Viewers {
		v := &cfg.Viewers[i]
		if matchAny(v.Who, email) && covers(v.Scope, owner) {
			return true
		}
	}
	return false
}

// covers reports whether a team or scope list includes owner. Only a "*"
// entry covers the whole book ("*") and accounts without an owner ("").
func covers(list []string, owner string) bool {
	for _, e := range list {
		if e == "*" || (owner != "" && owner != "*" && matches(e, owner)) {
			return true
		}
	}
	return false
}

func matchAny(list []string, email string) bool {
	for _, e := range list {
		if matches(e, email) {
			return true
		}
	}
	return false
}

// matches compares an e-mail with an entry: the same address, or an
// "@domain" entry naming exactly the address's domain (so "@example.com"
// covers neither "evil-example.com" nor "sub.example.com").
func matches(entry, email string) bool {
	if strings.HasPrefix(entry, "@") {
		at := strings.LastIndexByte(email, '@')
		return at > 0 && strings.EqualFold(email[at:], entry)
	}
	return entry != "" && strings.EqualFold(entry, email)
}

func containsFold(list []string, s string) bool {
	for _, e := range list {
		if strings.EqualFold(e, s) {
			return true
		}
	}
	return false
}

// validate checks the access section; check is Config.Validate's collector.
func (a AccessConfig) validate(check func(ok bool, field, format string, args ...any)) {
	check(a.Mode == "" || a.Mode == AccessStrict || a.Mode == AccessOpen, "access.mode", "must be strict or open, got %q", a.Mode)
	check(a.AuditRetentionDays >= 1 && a.AuditRetentionDays <= 3650, "access.audit_retention_days", "must be 1 to 3650 days, got %d", a.AuditRetentionDays)
	people := func(field string, list []string) {
		check(len(list) > 0, field, "needs at least one e-mail or @domain")
		for i, e := range list {
			check(validEntry(e, false), fmt.Sprintf("%s[%d]", field, i), "must be an e-mail (ana@example.com) or a domain (@example.com), got %q", e)
		}
	}
	owners := func(field string, list []string) {
		check(len(list) > 0, field, "needs at least one owner e-mail, @domain or \"*\"")
		for i, e := range list {
			check(validEntry(e, true), fmt.Sprintf("%s[%d]", field, i), "must be an owner's e-mail, a domain (@example.com) or \"*\", got %q", e)
		}
	}
	for i, e := range a.Admins {
		check(validEntry(e, false), fmt.Sprintf("access.admins[%d]", i), "must be an e-mail or a domain (@example.com), got %q", e)
	}
	for i, e := range a.CSMs {
		check(validEntry(e, false), fmt.Sprintf("access.csms[%d]", i), "must be an e-mail or a domain (@example.com), got %q", e)
	}
	for i, m := range a.Managers {
		people(fmt.Sprintf("access.managers[%d].who", i), m.Who)
		owners(fmt.Sprintf("access.managers[%d].team", i), m.Team)
	}
	for i, v := range a.Viewers {
		people(fmt.Sprintf("access.viewers[%d].who", i), v.Who)
		owners(fmt.Sprintf("access.viewers[%d].scope", i), v.Scope)
	}
}

// ValidEmail accepts an address such as ana@example.com (no display name,
// no list): what a stakeholder's or a role's e-mail must look like.
func ValidEmail(e string) bool { return !strings.HasPrefix(e, "@") && validEntry(e, false) }

// validEntry accepts "name@domain.tld", "@domain.tld" and, where allowed, "*".
func validEntry(e string, star bool) bool {
	if e == "*" {
		return star
	}
	if e != strings.TrimSpace(e) || strings.ContainsAny(e, " \t,;<>") {
		return false
	}
	_, dom, ok := strings.Cut(e, "@")
	if !ok || strings.Contains(dom, "@") {
		return false
	}
	return strings.Contains(dom, ".") && !strings.HasPrefix(dom, ".") && !strings.HasSuffix(dom, ".")
}
