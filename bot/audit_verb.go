package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/accountbot/accountbot/domain"
)

// AuditFilter selects audit records for `portfolio audit`.
type AuditFilter struct {
	Since   time.Time
	Who     string // an e-mail or a platform user id
	Account string
	Limit   int // the most recent records
}

// AuditReader reads the audit log (serve wires storage's query to it).
type AuditReader interface {
	ReadAudit(ctx context.Context, f AuditFilter) ([]domain.AuditEntry, error)
}

// auditLimit bounds one answer; `accountbot audit` has everything.
const auditLimit = 50

// AuditLogResult is `portfolio audit` (admin only).
type AuditLogResult struct {
	Since   domain.Date         `json:"since"`
	Entries []domain.AuditEntry `json:"entries"`
}

func (e *Engine) registerAuditVerb() {
	e.reg.MustRegister(Verb{Noun: "portfolio", Name: "audit", Access: domain.ScopeAdmin,
		Args: []Arg{
			{Name: "days", Kind: KindInt, Form: Keyed, Min: 1, Max: 3650, Default: "7", Help: "how many days back"},
			{Name: "who", Kind: KindWord, Form: Keyed, Help: "an e-mail or a platform user id"},
			{Name: "account", Kind: KindWord, Form: Keyed, Help: "an account id"},
		},
		Help: "the audit log: who asked and changed what (admin only; last 50)", Result: &AuditLogResult{}, Run: e.auditVerb})
}

func (e *Engine) auditVerb(ctx context.Context, c *Call) (Result, error) {
	since := c.Today.AddDays(-int(c.Args.Int("days")))
	r := &AuditLogResult{Since: since, Entries: []domain.AuditEntry{}}
	if e.AuditReader == nil {
		return r, nil
	}
	got, err := e.AuditReader.ReadAudit(ctx, AuditFilter{Since: since.Time(), Who: c.Args.Text("who"), Account: c.Args.Text("account"), Limit: auditLimit})
	if err != nil {
		return nil, fmt.Errorf("reading the audit log: %w", err)
	}
	r.Entries = append(r.Entries, got...)
	return r, nil
}

// Message lists the records, newest last.
func (r *AuditLogResult) Message() *Message {
	m := &Message{Title: fmt.Sprintf("Audit log since %s", r.Since)}
	if len(r.Entries) == 0 {
		m.Blocks = append(m.Blocks, Section{Text: "Nothing recorded."})
		return m
	}
	l := List{}
	for _, en := range r.Entries {
		who := en.Email
		if who == "" {
			who = en.UserID
		}
		what := strings.TrimSpace(en.Verb + " " + en.Account)
		detail := fmt.Sprintf("%s · %s · %s", en.Platform, en.Kind, en.Result)
		if en.Reason != "" {
			detail += " (" + en.Reason + ")"
		}
		l.Items = append(l.Items, Item{Text: fmt.Sprintf("%s %s: %s", en.At.UTC().Format("2006-01-02 15:04"), who, what), Detail: detail})
	}
	m.Blocks = append(m.Blocks, l, Context{Text: "`accountbot audit --since … --who … --account … --json` prints the whole log."})
	return m
}
