package main

import (
	"context"
	"encoding/json"
	"github.com/accountbot/accountbot/storage/badger"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accountbot/accountbot/domain"
)

var auditNow = fixedNow // run, which runAuditCLI uses, runs at fixedNow

// runAuditCLI runs the program like run does (auditNow is fixedNow), with
// no environment and no input.
func runAuditCLI(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	r := run(t, nil, "", args...)
	return r.code, r.stdout, r.stderr
}

func seedAudit(t *testing.T, dir string) {
	t.Helper()
	db, err := badger.Open(context.Background(), dir, badger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, e := range []domain.AuditEntry{
		{At: auditNow.AddDate(0, 0, -60), Platform: "slack", Email: "ana@example.com", Kind: domain.AuditCommand, Verb: "portfolio top", Result: domain.AuditOK},
		{At: auditNow.Add(-2 * time.Hour), Platform: "slack", Workspace: "T1", UserID: "U1", Email: "ana@example.com", Kind: domain.AuditWrite,
			Verb: "account note", Account: "acme", Args: []domain.AuditArg{{Name: "text", Value: "called\tthe CFO\n" + strings.Repeat("x", 500)}}, Result: domain.AuditOK},
		{At: auditNow.Add(-time.Hour), Platform: "slack", Workspace: "T1", UserID: "U2", Email: "ben@example.com", Kind: domain.AuditWrite,
			Verb: "account outcome", Account: "acme", Result: domain.AuditRefused, Reason: "needs the manager role"},
		{At: auditNow.Add(-time.Minute), Platform: "teams", Workspace: "evil-tenant", UserID: "29:1x", Kind: domain.AuditSource, Verb: "message",
			Result: domain.AuditRefused, Reason: "foreign tenant"},
	} {
		if err := db.AppendAudit(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
}

func TestAuditCommand(t *testing.T) {
	dir := t.TempDir()
	seedAudit(t, dir)

	code, out, errOut := runAuditCLI(t, "--data", dir, "audit")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) != 4 || !strings.HasPrefix(lines[0], "WHEN") {
		t.Fatalf("default window (30 days) gave:\n%s", out)
	}
	for _, want := range []string{"ana@example.com (U1)", "account note [acme] text=called the CFO", "refused: needs the manager role", "teams", "refused: foreign tenant"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, strings.Repeat("x", 201)) {
		t.Error("free text longer than 200 characters printed")
	}

	_, out, _ = runAuditCLI(t, "--data", dir, "audit", "--since", "2026-09-01", "--who", "ANA@example.com")
	if strings.Count(out, "ana@example.com") != 2 || strings.Contains(out, "ben@") {
		t.Fatalf("--who with --since:\n%s", out)
	}

	code, out, _ = runAuditCLI(t, "--data", dir, "audit", "--account", "acme", "--json")
	var got struct {
		Records []domain.AuditEntry `json:"records"`
	}
	if code != 0 || json.Unmarshal([]byte(out), &got) != nil || len(got.Records) != 2 || got.Records[1].Result != domain.AuditRefused {
		t.Fatalf("--account --json: exit %d\n%s", code, out)
	}

	_, out, _ = runAuditCLI(t, "--data", dir, "audit", "--who", "nobody@example.com")
	if !strings.HasPrefix(out, "No audit records since 2026-10-24") {
		t.Fatalf("empty result: %q", out)
	}
	code, _, errOut = runAuditCLI(t, "--data", dir, "audit", "--since", "last week")
	if code != 1 || !strings.Contains(errOut, "want YYYY-MM-DD") {
		t.Fatalf("bad --since: exit %d %s", code, errOut)
	}
}

// The access section is read from the YAML config (rules.access), and a
// mistake in it stops the program with the field named.
func TestAccessConfigFromYAML(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.yaml")
	os.WriteFile(good, []byte(`rules:
  access:
    mode: open
    admins: [boss@example.com]
    managers:
      - who: [emea.lead@example.com]
        team: ["@emea.example.com"]
    viewers:
      - who: ["@finance.example.com"]
        scope: ["*"]
    audit_retention_days: 90
`), 0o600)
	code, out, errOut := runAuditCLI(t, "--config", good, "config")
	if code != 0 || !strings.Contains(out, "mode: open") || !strings.Contains(out, "audit_retention_days: 90") || !strings.Contains(out, "'@emea.example.com'") {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("rules:\n  access:\n    admins: [\"*\"]\n"), 0o600)
	code, _, errOut = runAuditCLI(t, "--config", bad, "config")
	if code != 1 || !strings.Contains(errOut, "access.admins[0]") {
		t.Fatalf("bad access config: exit %d %s", code, errOut)
	}
}
