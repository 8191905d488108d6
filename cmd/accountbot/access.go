package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/bot/nudge"
	bs "github.com/accountbot/accountbot/bot/slack"
	"github.com/accountbot/accountbot/bot/teams"
	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage"
)

// Installation binding from the environment. Unset: serve learns the
// first workspace or tenant it is used from and refuses the others.

var (
	slackTeamID       = regexp.MustCompile(`^T[A-Z0-9]{2,}$`)
	slackEnterpriseID = regexp.MustCompile(`^E[A-Z0-9]{2,}$`)
	slackAppID        = regexp.MustCompile(`^A[A-Z0-9]{2,}$`)
	tenantID          = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)
)

// slackBinding reads SLACK_TEAM_IDS, SLACK_ENTERPRISE_IDS and
// SLACK_API_APP_ID (comma-separated).
func (m *Main) slackBinding() (bs.BindingConfig, error) {
	var c bs.BindingConfig
	var err error
	if c.TeamIDs, err = envIDs(m.Getenv, "SLACK_TEAM_IDS", slackTeamID, "a Slack workspace id (T…)"); err != nil {
		return c, err
	}
	if c.EnterpriseIDs, err = envIDs(m.Getenv, "SLACK_ENTERPRISE_IDS", slackEnterpriseID, "an Enterprise Grid org id (E…)"); err != nil {
		return c, err
	}
	c.APIAppIDs, err = envIDs(m.Getenv, "SLACK_API_APP_ID", slackAppID, "a Slack app id (A…, Basic Information → App ID)")
	return c, err
}

// teamsBinding reads MICROSOFT_TENANT_IDS (comma-separated); a
// single-tenant bot's MICROSOFT_APP_TENANT_ID is its home tenant otherwise.
func (m *Main) teamsBinding() (teams.BindingConfig, error) {
	ids, err := envIDs(m.Getenv, "MICROSOFT_TENANT_IDS", tenantID, "an Entra tenant id (a GUID)")
	if err != nil {
		return teams.BindingConfig{}, err
	}
	if len(ids) == 0 {
		if ids, err = envIDs(m.Getenv, "MICROSOFT_APP_TENANT_ID", tenantID, "an Entra tenant id (a GUID)"); err != nil {
			return teams.BindingConfig{}, err
		}
	}
	for i := range ids {
		ids[i] = strings.ToLower(ids[i])
	}
	return teams.BindingConfig{TenantIDs: ids}, nil
}

func envIDs(getenv func(string) string, key string, pat *regexp.Regexp, what string) ([]string, error) {
	var out []string
	for _, f := range strings.Split(getenv(key), ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if !pat.MatchString(f) {
			return nil, domain.Errorf(domain.EINVALID, "%s: %q is not %s", key, f, what)
		}
		out = append(out, f)
	}
	return out, nil
}

// auditRetention is how long audit records are kept (rules.access).
func (m *Main) auditRetention() time.Duration {
	return time.Duration(m.Config.Rules.Access.AuditRetentionDays) * 24 * time.Hour
}

// cliUser is who asks at the console or with `ask`: without --as the
// operator (admin: whoever runs the binary can read the data directory);
// with --as that person, under their role.
func cliUser(as, platform string) bot.User {
	as = strings.ToLower(strings.TrimSpace(as))
	return bot.User{Email: as, Platform: platform, Operator: as == ""}
}

// newWriteID is a console line's or an ask's write id: each is one action.
func newWriteID(platform string) string {
	var b [12]byte
	rand.Read(b[:])
	return platform + "|" + hex.EncodeToString(b[:])
}

// auditTo appends a platform's refusal records to the audit log.
func (m *Main) auditTo(ctx context.Context, e domain.AuditEntry) {
	if err := m.db.AppendAudit(ctx, e); err != nil {
		m.log.Error("audit record not written", "err", err)
	}
}

// bindSlack puts the installation binding and the audit log on the Slack
// app, before its routes are mounted.
func (m *Main) bindSlack(app *bs.App) error {
	cfg, err := m.slackBinding()
	if err != nil {
		return err
	}
	if len(cfg.TeamIDs)+len(cfg.EnterpriseIDs) == 0 {
		m.log.Info("slack: SLACK_TEAM_IDS not set; the first workspace to use the app is recorded and every other one refused")
	}
	app.Binder, app.Audit = bs.NewBinder(cfg, m.db, m.log), m.auditTo
	return nil
}

// bindTeams does the same for the Teams app, and moves conversation
// references from the old name- and e-mail-keyed table to the id-keyed one.
func (m *Main) bindTeams(ctx context.Context, app *teams.App) error {
	cfg, err := m.teamsBinding()
	if err != nil {
		return err
	}
	if len(cfg.TenantIDs) == 0 {
		m.log.Info("teams: MICROSOFT_TENANT_IDS not set; the first tenant to use the app is recorded and every other one refused")
	}
	app.Binder, app.Audit = teams.NewBinder(cfg, m.db, m.log), m.auditTo
	return m.migrateTeamsRefs(ctx, app.Binder)
}

// migrateTeamsRefs moves the old references of the home tenant(s) and
// drops the rest (any tenant's "Renewals" or e-mail could be in them).
// Before a home tenant is known nothing can be told apart: the old
// records wait (unused) until a start that knows it. Once moved, there
// is nothing left to move, so this runs once.
func (m *Main) migrateTeamsRefs(ctx context.Context, b *teams.Binder) error {
	homes, err := b.HomeTenants(ctx)
	if err != nil {
		return err
	}
	if len(homes) == 0 {
		return nil
	}
	moved, dropped, err := m.db.MigrateLegacyRefs(ctx, "teams", homes, teams.DecodeLegacyRef)
	if err != nil {
		return fmt.Errorf("migrating Teams conversation references: %w", err)
	}
	if moved+dropped > 0 {
		m.log.Warn("teams: conversation references now keyed by tenant, team and channel ids; people and channels dropped here are recorded again when they next write to the bot",
			"moved", moved, "dropped", dropped, "home_tenants", homes)
	}
	return nil
}

// auditReader answers `portfolio audit` from the store.
type auditReader struct{ db Store }

func (r auditReader) ReadAudit(ctx context.Context, f bot.AuditFilter) ([]domain.AuditEntry, error) {
	return r.db.Audit(ctx, storage.AuditQuery{Since: f.Since, Who: f.Who, Account: f.Account, Limit: f.Limit})
}

// auditedNotifiers records every nudge delivery (and failure) in the
// audit log. Embedding keeps the platforms' delivery check and time-zone
// lookup (Notifiers' other methods) visible to the scheduler.
type auditedNotifiers struct {
	nudge.Notifiers
	m *Main
}

// Notify delivers, then records what happened.
func (a auditedNotifiers) Notify(ctx context.Context, to bot.Recipient, msg *bot.Message, key string) error {
	err := a.Notifiers.Notify(ctx, to, msg, key)
	kind, _, _ := strings.Cut(key, "|") // "digest|2026-11-23|ana@example.com"
	e := domain.AuditEntry{At: a.m.Now(), Platform: "nudge", Email: to.Email, Kind: domain.AuditNudge, Verb: kind,
		Args: []domain.AuditArg{{Name: "to", Value: to.String()}}, Result: domain.AuditOK}
	if err != nil {
		e.Result, e.Reason = domain.AuditError, err.Error()
	}
	a.m.auditTo(ctx, e)
	return err
}
