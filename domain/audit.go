package domain

import (
	"strings"
	"time"
	"unicode/utf8"
)

// AuditKind is what was done.
type AuditKind string

const (
	AuditCommand AuditKind = "command" // a chat or console command
	AuditButton  AuditKind = "button"  // a button press
	AuditForm    AuditKind = "form"    // a form or modal submission
	AuditWrite   AuditKind = "write"   // a change to the book (note, signal, outcome, snooze, settings)
	AuditNudge   AuditKind = "nudge"   // a proactive message delivered (or not)
	AuditSource  AuditKind = "source"  // a request from a workspace or tenant the app is not bound to
)

// AuditResult is how it ended.
type AuditResult string

const (
	AuditOK       AuditResult = "ok"
	AuditRefused  AuditResult = "refused"
	AuditError    AuditResult = "error"
	AuditReplayed AuditResult = "replayed" // a write whose id was already recorded: nothing changed
)

// AuditEntry is one append-only audit record.
type AuditEntry struct {
	At        time.Time   `json:"at"`
	Platform  string      `json:"platform"`            // slack, teams, console, cli
	Workspace string      `json:"workspace,omitempty"` // Slack team id (or enterprise id), Teams tenant id
	UserID    string      `json:"user_id,omitempty"`   // platform user id
	Email     string      `json:"email,omitempty"`     // as resolved; "" when unknown or untrusted
	Kind      AuditKind   `json:"kind"`
	Verb      string      `json:"verb,omitempty"`    // "account outcome", "digest"
	Account   string      `json:"account,omitempty"` // the account id it was about
	Args      []AuditArg  `json:"args,omitempty"`    // typed arguments, free text truncated
	Result    AuditResult `json:"result"`
	Reason    string      `json:"reason,omitempty"`   // refused: why and the role needed; error: the code
	WriteID   string      `json:"write_id,omitempty"` // the idempotency id of a write
}

// AuditArg is one typed argument of a command, as text.
type AuditArg struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

// AuditTextMax is how much of any free text an audit record keeps, in
// characters: enough to recognise a note, not a copy of the book.
const AuditTextMax = 200

// auditMaxArgs bounds the arguments kept, so one record stays small.
const auditMaxArgs = 16

// TruncateAuditText keeps the first AuditTextMax characters of s (whole
// UTF-8 characters), marking a cut with "…".
func TruncateAuditText(s string) string {
	if utf8.RuneCountInString(s) <= AuditTextMax {
		return s
	}
	n := 0
	for i := range s {
		if n == AuditTextMax {
			return s[:i] + "…"
		}
		n++
	}
	return s
}

// Clean returns the entry as it is stored: e-mail lower-cased, free text
// truncated, at most 16 arguments, the time in UTC.
func (e AuditEntry) Clean() AuditEntry {
	e.At = e.At.UTC()
	e.Email = strings.ToLower(strings.TrimSpace(e.Email))
	e.Verb = TruncateAuditText(e.Verb)
	e.Reason = TruncateAuditText(e.Reason)
	if len(e.Args) > auditMaxArgs {
		e.Args = e.Args[:auditMaxArgs]
	}
	args := make([]AuditArg, len(e.Args))
	for i, a := range e.Args {
		args[i] = AuditArg{Name: TruncateAuditText(a.Name), Value: TruncateAuditText(a.Value)}
	}
	if len(args) == 0 {
		args = nil
	}
	e.Args = args
	return e
}

// Installation is the workspace or tenant an adapter is bound to: from
// config, or learned from the first request and recorded.
type Installation struct {
	Platform  string `json:"platform"`  // slack, teams
	Workspace string `json:"workspace"` // Slack team id, Teams tenant id
	// Enterprise is the Slack Enterprise Grid org id; with EnterpriseInstall
	// (an org-wide install) any workspace of that org is home.
	Enterprise        string    `json:"enterprise,omitempty"`
	EnterpriseInstall bool      `json:"enterprise_install,omitempty"`
	AppID             string    `json:"app_id,omitempty"` // Slack api_app_id
	LearnedAt         time.Time `json:"learned_at"`
}
