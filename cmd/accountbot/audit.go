package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage"
)

// runAudit prints the audit log: who did what, where, and how it ended.
func (m *Main) runAudit(ctx context.Context) error {
	fs := m.subFlags("audit", "audit [--since YYYY-MM-DD] [--who EMAIL] [--account ID] [--json]")
	since := fs.String("since", "", "records from this date (UTC) or RFC 3339 time on; default 30 days ago")
	who := fs.String("who", "", "only this person: an e-mail, or a Slack/Teams user id")
	account := fs.String("account", "", "only records about this account id")
	asJSON := fs.Bool("json", false, "print JSON")
	pos, err := parseInterleaved(fs, m.Args)
	if err != nil {
		return err
	}
	if len(pos) > 0 {
		return domain.Errorf(domain.EINVALID, "audit takes no arguments, got %q; use --since, --who and --account", strings.Join(pos, " "))
	}
	q := storage.AuditQuery{Since: m.Now().UTC().AddDate(0, 0, -30), Who: *who, Account: *account}
	if *since != "" {
		if q.Since, err = parseSince(*since); err != nil {
			return err
		}
	}
	db, err := m.open(ctx)
	if err != nil {
		return err
	}
	recs, err := db.Audit(ctx, q)
	if err != nil {
		return err
	}
	if *asJSON {
		if recs == nil {
			recs = []domain.AuditEntry{}
		}
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"since": q.Since, "records": recs})
	}
	if len(recs) == 0 {
		fmt.Fprintf(m.Stdout, "No audit records since %s.\n", q.Since.Format(time.RFC3339))
		return nil
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "WHEN\tPLATFORM\tWORKSPACE\tWHO\tKIND\tWHAT\tRESULT")
	for _, r := range recs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.At.UTC().Format("2006-01-02 15:04:05"), r.Platform, dash(r.Workspace),
			auditWho(r), r.Kind, auditWhat(r), auditResult(r))
	}
	return tw.Flush()
}

func parseSince(s string) (time.Time, error) {
	if d, err := domain.ParseDate(s); err == nil {
		return d.Time(), nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	return time.Time{}, domain.Errorf(domain.EINVALID, "--since %q: want YYYY-MM-DD or an RFC 3339 time", s)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

func auditWho(r domain.AuditEntry) string {
	switch {
	case r.Email != "" && r.UserID != "":
		return r.Email + " (" + r.UserID + ")"
	case r.Email != "":
		return r.Email
	}
	return dash(r.UserID)
}

// auditWhat is the verb, its account and its arguments, on one line.
func auditWhat(r domain.AuditEntry) string {
	parts := []string{r.Verb}
	if r.Account != "" {
		parts = append(parts, "["+r.Account+"]")
	}
	for _, a := range r.Args {
		parts = append(parts, a.Name+"="+strings.Join(strings.Fields(a.Value), " "))
	}
	return dash(strings.TrimSpace(strings.Join(parts, " ")))
}

func auditResult(r domain.AuditEntry) string {
	if r.Reason == "" {
		return string(r.Result)
	}
	return string(r.Result) + ": " + r.Reason
}
