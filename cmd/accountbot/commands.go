package main

import (
	"context"
	"encoding/json"
	"fmt"
	"github.com/accountbot/accountbot/storage/badger"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage"
	"github.com/accountbot/accountbot/storage/demo"
	"github.com/accountbot/accountbot/storage/importer"
)

func (m *Main) runAsk(ctx context.Context) error {
	fs := m.subFlags("ask", `ask [--json] [--as EMAIL] [--at YYYY-MM-DD] "COMMAND"`)
	asJSON := fs.Bool("json", false, "print the typed result as JSON (schemas: docs/schemas)")
	as := fs.String("as", m.Getenv("ACCOUNTBOT_USER"), "who asks (e-mail), for \"my\" portfolio (env ACCOUNTBOT_USER)")
	at := fs.String("at", "", "answer as of this date (YYYY-MM-DD) instead of today")
	pos, err := parseInterleaved(fs, m.Args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		fs.Usage()
		return errUsage
	}
	now := m.Now()
	if *at != "" {
		d, err := domain.ParseDate(*at)
		if err != nil {
			return domain.Errorf(domain.EINVALID, "--at: %s", domain.ErrorMessage(err))
		}
		now = d.Time().Add(12 * time.Hour)
	}
	e, err := m.engine(ctx)
	if err != nil {
		return err
	}
	msg := e.Handle(ctx, bot.Request{Text: strings.Join(pos, " "), Now: now, User: cliUser(*as, "cli"), WriteID: newWriteID("cli")})
	if *asJSON {
		enc := json.NewEncoder(m.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(msg.Data); err != nil {
			return fmt.Errorf("encoding reply: %w", err)
		}
	} else {
		fmt.Fprint(m.Stdout, bot.RenderText(msg))
	}
	if msg.Error {
		return exitErr{1}
	}
	return nil
}

func (m *Main) runImport(ctx context.Context) error {
	if sent, err := m.viaServer(ctx); sent {
		return err
	}
	fs := m.subFlags("import", "import [--skip-invalid] [--currency USD] [--map H=field,...] [--map-file F] [--date-format L] [--delimiter C] [--json] FILE...")
	crm := addImportFlags(fs)
	skip := fs.Bool("skip-invalid", false, "import the good rows and report the bad ones (default: any bad row stops the import)")
	currency := fs.String("currency", m.Config.Currency, "currency of rows that name none")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	files, err := parseInterleaved(fs, m.Args)
	if err != nil {
		return err
	}
	if len(files) == 0 {
		fs.Usage()
		return errUsage
	}
	*crm.mapFile = m.path(*crm.mapFile) // the caller's, when sent through the control socket
	opt, err := crm.options(importer.Options{DefaultCurrency: strings.ToUpper(*currency)})
	if err != nil {
		return err
	}
	db, err := m.open(ctx)
	if err != nil {
		return err
	}
	im := importer.New(opt)
	for _, f := range files {
		fh, err := os.Open(m.path(f))
		if err != nil {
			return domain.Errorf(domain.EINVALID, "cannot read %s: %v", f, err)
		}
		im.AddFile(filepath.Base(f), fh) // Add plus external ids (importer/external.go)
		fh.Close()
	}
	res := im.Finish(func(id string) bool { _, err := db.Account(ctx, id); return err == nil })
	report := map[string]any{"files": len(files), "rows": res.Rows, "rejected": res.Bad, "errors": res.Errors}
	for _, e := range res.Errors {
		fmt.Fprintln(m.Stderr, e.String())
	}
	if len(res.Errors) > 0 && !*skip {
		report["imported"] = false
		if *asJSON {
			json.NewEncoder(m.Stdout).Encode(report)
		}
		fmt.Fprintf(m.Stderr, "Nothing was imported: %d problem(s) in %d row(s). Fix them, or pass --skip-invalid to import the good rows.\n", len(res.Errors), res.Bad)
		return exitErr{1}
	}
	if len(res.Errors) > 0 && len(res.Patches) == 0 {
		// --skip-invalid with no good row: a script must see a failure.
		report["imported"] = false
		if *asJSON {
			json.NewEncoder(m.Stdout).Encode(report)
		}
		fmt.Fprintf(m.Stderr, "Nothing was imported: no valid row (%d problem(s) in %d row(s)). Fix the rows listed above.\n", len(res.Errors), res.Bad)
		return exitErr{1}
	}
	stampPatches(res.Patches, domain.SourceImport, m.Now())
	st, err := db.Apply(ctx, res.Patches)
	if err != nil {
		return fmt.Errorf("importing: %w", err)
	}
	if err := m.recordScores(ctx, patchIDs(res.Patches)); err != nil {
		return err
	}
	if m.onImport != nil { // serve's metrics, for imports sent through the control socket
		m.onImport(res.Rows-res.Bad, res.Bad)
	}
	report["imported"], report["stats"] = true, st
	if *asJSON {
		return json.NewEncoder(m.Stdout).Encode(report)
	}
	fmt.Fprintf(m.Stdout, "Imported %d account(s): %d new, %d updated, %d unchanged; %d usage snapshot(s) and %d signal(s) written.\n",
		len(res.Patches), st.Created, st.Updated, st.Unchanged, st.Snapshots, st.Signals)
	if res.Bad > 0 {
		fmt.Fprintf(m.Stdout, "Skipped %d invalid row(s) (listed above).\n", res.Bad)
	}
	return nil
}

func patchIDs(ps []domain.Patch) map[string]bool {
	ids := make(map[string]bool, len(ps))
	for _, p := range ps {
		ids[p.ID] = true
	}
	return ids
}

// recordScores stores today's score snapshot for the given accounts (nil:
// every account), the history behind trends and "what changed".
func (m *Main) recordScores(ctx context.Context, ids map[string]bool) error {
	db, err := m.open(ctx)
	if err != nil {
		return err
	}
	today := m.today()
	if err := m.loadRules(ctx, db); err != nil {
		return err
	}
	rules, version := m.scoringRules()
	var batch []domain.Scored
	err = db.ForEach(ctx, func(a *domain.Account) error {
		if ids != nil && !ids[a.ID] {
			return nil
		}
		ev := domain.Evaluate(a, today, rules)
		snap := ev.Snapshot()
		snap.RulesVersion = version
		batch = append(batch, domain.Scored{ID: a.ID, Snapshot: snap})
		return nil
	})
	if err != nil {
		return fmt.Errorf("scoring accounts: %w", err)
	}
	return db.PutScores(ctx, batch)
}

func (m *Main) runDemo(ctx context.Context) error {
	def := demo.Defaults(m.today())
	fs := m.subFlags("demo", "demo [--accounts N] [--owners M] [--weeks W] [--seed S] [--force] [--feeds]")
	n := fs.Int("accounts", def.Accounts, "number of accounts")
	owners := fs.Int("owners", def.Owners, "number of CSMs")
	weeks := fs.Int("weeks", def.Weeks, "weekly usage snapshots per account")
	seed := fs.Uint64("seed", def.Seed, "random seed (same seed, same book)")
	force := fs.Bool("force", false, "add the demo book even if the store already holds accounts")
	feeds := fs.Bool("feeds", false, "then feed tickets and billing from a fake Zendesk and Stripe on loopback (feeds.go)")
	if _, err := parseInterleaved(fs, m.Args); err != nil {
		return err
	}
	if *n < 1 || *n > 10_000_000 || *owners < 1 || *weeks < 1 || *weeks > 520 {
		return domain.Errorf(domain.EINVALID, "--accounts must be 1..10,000,000, --owners at least 1, --weeks 1..520")
	}
	db, err := m.open(ctx)
	if err != nil {
		return err
	}
	if empty, err := db.Empty(ctx); err != nil {
		return err
	} else if !empty && !*force {
		return domain.Errorf(domain.ECONFLICT, "the store in %s already holds accounts; use another --data directory or pass --force", m.DataDir)
	}
	start := time.Now()
	st, err := m.loadDemo(ctx, demo.Options{Accounts: *n, Owners: *owners, Weeks: *weeks, Seed: *seed, Today: m.today()})
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Demo book written to %s: %d accounts for %d CSMs, %d usage snapshots, in %s.\n",
		m.DataDir, st.Created+st.Updated+st.Unchanged, *owners, st.Snapshots, time.Since(start).Round(time.Millisecond))
	if *feeds {
		return m.feedDemo(ctx, db)
	}
	return nil
}

// loadDemo writes a demo book in chunks (bounded memory at any size) and
// records today's scores.
func (m *Main) loadDemo(ctx context.Context, o demo.Options) (domain.ApplyStats, error) {
	db, err := m.open(ctx)
	if err != nil {
		return domain.ApplyStats{}, err
	}
	var total domain.ApplyStats
	const chunk = 2000
	for start := 0; start < o.Accounts; start += chunk {
		ps := demo.GenerateRange(o, start, min(start+chunk, o.Accounts))
		stampPatches(ps, "demo", m.Now())
		st, err := db.Apply(ctx, ps)
		if err != nil {
			return total, fmt.Errorf("writing demo book: %w", err)
		}
		total.Created += st.Created
		total.Updated += st.Updated
		total.Unchanged += st.Unchanged
		total.Snapshots += st.Snapshots
		total.Signals += st.Signals
		// The past behind `rules diff`'s back-test (storage/demo/history.go).
		h := demo.HistoryRange(o, start, min(start+chunk, o.Accounts))
		if err := db.PutFieldHistory(ctx, h.States); err != nil {
			return total, fmt.Errorf("writing demo history: %w", err)
		}
		if err := db.PutOutcomes(ctx, h.Outcomes); err != nil {
			return total, fmt.Errorf("writing demo outcomes: %w", err)
		}
	}
	return total, m.recordScores(ctx, nil)
}

func (m *Main) runBackup(ctx context.Context) error {
	if sent, err := m.viaServer(ctx); sent {
		return err
	}
	fs := m.subFlags("backup", "backup FILE")
	file, err := m.oneArg(fs)
	if err != nil {
		return err
	}
	db, err := m.open(ctx)
	if err != nil {
		return err
	}
	if err := writeFileAtomically(m.path(file), func(w io.Writer) error { return db.Backup(ctx, w) }); err != nil {
		return err
	}
	what := m.DataDir
	if m.databaseURL() != "" {
		what = "the PostgreSQL database"
	}
	fmt.Fprintf(m.Stdout, "Backup of %s written to %s.\n", what, file)
	return nil
}

func (m *Main) runRestore(ctx context.Context) error {
	if sent, err := m.viaServer(ctx); sent {
		return err
	}
	in, err := m.restoreInput()
	if err != nil {
		return err
	}
	defer in.f.Close()
	file, f := in.file, in.f
	opt := storage.RestoreOptions{Replace: in.replace, Unverified: in.unverified, Logger: m.log}
	where := m.DataDir
	var res storage.RestoreResult
	if m.databaseURL() != "" {
		where = "the PostgreSQL database"
		res, err = m.restorePostgres(ctx, f, opt)
	} else {
		res, err = badger.Restore(ctx, m.DataDir, f, opt)
	}
	if err != nil {
		if code := domain.ErrorCode(err); code != domain.EINTERNAL {
			return domain.Errorf(code, "cannot restore %s: %s. The store in %s was not changed.", file, domain.ErrorMessage(err), where)
		}
		return fmt.Errorf("restoring %s: %w", file, err)
	}
	check := "checksum and record count verified"
	if !res.Verified {
		check = "UNVERIFIED: the file had no checksum"
	}
	fmt.Fprintf(m.Stdout, "Restored %s into %s: %d accounts, %d records (%s).\n", file, where, res.Accounts, res.Records, check)
	return nil
}

// restoreInput is restore's command line: the backup, opened for reading,
// and its flags.
type restoreInput struct {
	file                string
	f                   *os.File
	replace, unverified bool
}

// restoreInput reads restore's flags and opens its one file argument; the
// caller closes it.
func (m *Main) restoreInput() (restoreInput, error) {
	fs := m.subFlags("restore", "restore [--replace] [--unverified] FILE")
	rep := fs.Bool("replace", false, "replace a store that holds accounts (it is kept until the restored copy is checked and in place)")
	unv := fs.Bool("unverified", false, "accept a backup made before backups carried a checksum (it cannot be proved whole)")
	file, err := m.oneArg(fs)
	if err != nil {
		return restoreInput{}, err
	}
	f, err := os.Open(m.path(file))
	if err != nil {
		return restoreInput{}, domain.Errorf(domain.EINVALID, "cannot read %s: %v", file, err)
	}
	return restoreInput{file: file, f: f, replace: *rep, unverified: *unv}, nil
}

// path resolves a file name from the command line: against the caller's
// working directory when the command came through the control socket.
func (m *Main) path(p string) string {
	if m.cwd == "" || p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(m.cwd, p)
}

// stampPatches says who writes the patches and when: the store stamps
// the accounts they change (the cards' "data as of").
func stampPatches(ps []domain.Patch, source string, at time.Time) {
	for i := range ps {
		ps[i].Source, ps[i].At = source, at
	}
}
