package main

import (
	"bytes"
	"context"
	"encoding/json"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

var fixedNow = time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)

type result struct {
	code           int
	stdout, stderr string
}

// run executes the real program with args against a data dir.
func run(t *testing.T, env map[string]string, stdin string, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	m := NewMain()
	m.Stdin, m.Stdout, m.Stderr = strings.NewReader(stdin), &out, &errb
	m.Now = func() time.Time { return fixedNow }
	m.Getenv = func(k string) string { return env[k] }
	ctx := context.Background()
	err := m.ParseFlags(ctx, args)
	if err == nil {
		err = m.Run(ctx)
	}
	if cerr := m.Close(); err == nil {
		err = cerr
	}
	return result{m.exitCode(err), out.String(), errb.String()}
}

func examples(t *testing.T) []string {
	files, err := filepath.Glob("../../examples/*.*sv") // the book's files; the rules candidate is YAML
	more, _ := filepath.Glob("../../examples/*.json")
	files = append(files, more...)
	if err != nil || len(files) != 5 {
		t.Fatalf("examples: %v %v", files, err)
	}
	return files
}

func askJSON(t *testing.T, dir, cmd string) map[string]any {
	t.Helper()
	r := run(t, nil, "", "--data", dir, "ask", "--json", "--at", "2026-11-23", cmd)
	if r.code != 0 {
		t.Fatalf("%s: exit %d: %s %s", cmd, r.code, r.stdout, r.stderr)
	}
	var d map[string]any
	if err := json.Unmarshal([]byte(r.stdout), &d); err != nil {
		t.Fatalf("%s: not JSON: %v\n%s", cmd, err, r.stdout)
	}
	return d
}

func TestImportAndAskEndToEnd(t *testing.T) {
	dir := t.TempDir()
	r := run(t, nil, "", append([]string{"--data", dir, "import"}, examples(t)...)...)
	if r.code != 0 || !strings.Contains(r.stdout, "Imported 6 account(s): 6 new") {
		t.Fatalf("import: %+v", r)
	}
	// Importing the same files again changes nothing.
	r = run(t, nil, "", append([]string{"--data", dir, "import"}, examples(t)...)...)
	if r.code != 0 || !strings.Contains(r.stdout, "0 new, 0 updated, 6 unchanged; 0 usage snapshot(s) and 0 signal(s)") {
		t.Fatalf("re-import: %+v", r)
	}
	h := askJSON(t, dir, "account acme health")
	for _, k := range []string{"id", "name", "tier", "engagement", "revenue_potential", "retention_risk", "combined", "priority", "reasons"} {
		if _, ok := h[k]; !ok {
			t.Errorf("health lacks %s", k)
		}
	}
	if h["id"] != "acme" || h["tier"] != 1.0 || h["combined"] != 20.0 || h["priority"] != "high" {
		t.Errorf("acme health = %v", h)
	}
	rn := askJSON(t, dir, "account hooli renewal")
	if rn["days_to_renewal"] != 185.0 || rn["stage"] != "early" || rn["readiness"] == nil {
		t.Errorf("hooli renewal = %v", rn)
	}
	ex := askJSON(t, dir, "account hooli expand")
	if len(ex["opportunities"].([]any)) == 0 {
		t.Errorf("hooli expand = %v", ex)
	}
	roi := askJSON(t, dir, "account globex roi")
	if roi["annual_value"] != 10400.0 {
		t.Errorf("globex roi = %v", roi)
	}
	top := askJSON(t, dir, "portfolio top")
	if n := len(top["accounts"].([]any)); n != 5 {
		t.Errorf("top = %d accounts", n)
	}
	// --as makes "my" portfolio.
	r = run(t, nil, "", "--data", dir, "ask", "--as", "cy@example.com", "--json", "--at", "2026-11-23", "portfolio top")
	if !strings.Contains(r.stdout, `"owner": "cy@example.com"`) {
		t.Errorf("--as: %s", r.stdout)
	}
	// A user error exits 1 with the message.
	r = run(t, nil, "", "--data", dir, "ask", "account nosuch health")
	if r.code != 1 || !strings.Contains(r.stdout, `No account matches "nosuch"`) {
		t.Errorf("unknown account: %+v", r)
	}
}

func TestBadImportWritesNothing(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(t.TempDir(), "bad.csv")
	os.WriteFile(bad, []byte("id,name,arr,renewal_date\ngood,Good Co,1000,2027-01-01\nbad,,12x,2027-02-30\n"), 0o644)
	r := run(t, nil, "", "--data", dir, "import", bad)
	if r.code != 1 || !strings.Contains(r.stderr, "bad.csv:3:5: name: is required") || !strings.Contains(r.stderr, `bad.csv:3:6: arr`) ||
		!strings.Contains(r.stderr, "bad.csv:3:10: renewal_date") || !strings.Contains(r.stderr, "Nothing was imported") {
		t.Fatalf("bad import: %+v", r)
	}
	r = run(t, nil, "", "--data", dir, "ask", "account good")
	if r.code != 1 {
		t.Fatalf("the good row of a bad file must not be written: %+v", r)
	}
	r = run(t, nil, "", "--data", dir, "import", "--skip-invalid", bad)
	if r.code != 0 || !strings.Contains(r.stdout, "Imported 1 account(s)") || !strings.Contains(r.stdout, "Skipped 1 invalid row(s)") {
		t.Fatalf("--skip-invalid: %+v", r)
	}
	r = run(t, nil, "", "--data", dir, "import", "/nonexistent/file.json")
	if r.code != 1 || !strings.Contains(r.stderr, "cannot read /nonexistent/file.json") {
		t.Errorf("missing file: %+v", r)
	}
}

func TestDemoBackupRestore(t *testing.T) {
	dir := t.TempDir()
	r := run(t, nil, "", "--data", dir, "demo", "--accounts", "40", "--owners", "3", "--weeks", "20")
	if r.code != 0 || !strings.Contains(r.stdout, "40 accounts for 3 CSMs, 800 usage snapshots") {
		t.Fatalf("demo: %+v", r)
	}
	r = run(t, nil, "", "--data", dir, "demo")
	if r.code != 1 || !strings.Contains(r.stderr, "already holds accounts") {
		t.Errorf("demo over data: %+v", r)
	}
	file := filepath.Join(t.TempDir(), "book.bak")
	if r = run(t, nil, "", "--data", dir, "backup", file); r.code != 0 {
		t.Fatalf("backup: %+v", r)
	}
	dir2 := t.TempDir()
	if r = run(t, nil, "", "--data", dir2, "restore", file); r.code != 0 {
		t.Fatalf("restore: %+v", r)
	}
	a, b := askJSON(t, dir, "portfolio top"), askJSON(t, dir2, "portfolio top")
	if ja, jb := mustJSON(a), mustJSON(b); ja != jb {
		t.Errorf("restored store answers differently:\n%s\n%s", ja, jb)
	}
	if r = run(t, nil, "", "--data", dir2, "restore", file); r.code != 1 || !strings.Contains(r.stderr, "--replace") {
		t.Errorf("restore over data: %+v", r)
	}
	garbage := filepath.Join(t.TempDir(), "g.bak")
	os.WriteFile(garbage, []byte("ACCOUNTBOT-BACKUP 1\n\xff\xff\xff\xff\xff\xff\xff\x7f"), 0o644)
	if r = run(t, nil, "", "--data", t.TempDir(), "restore", garbage); r.code != 1 || !strings.Contains(r.stderr, "damaged") {
		t.Errorf("damaged backup: %+v", r)
	}
}

// restore --replace of a damaged file says what is wrong and keeps the
// good store; a header-only file is no backup.
func TestRestoreRefusesDamagedBackups(t *testing.T) {
	dir := t.TempDir()
	if r := run(t, nil, "", "--data", dir, "demo", "--accounts", "30", "--owners", "2", "--weeks", "8"); r.code != 0 {
		t.Fatalf("demo: %+v", r)
	}
	before := askJSON(t, dir, "portfolio top")
	file := filepath.Join(t.TempDir(), "book.bak")
	if r := run(t, nil, "", "--data", dir, "backup", file); r.code != 0 {
		t.Fatalf("backup: %+v", r)
	}
	good, _ := os.ReadFile(file)
	if fi, _ := os.Stat(file); fi.Mode().Perm() != 0o600 {
		t.Errorf("backup mode %v, want owner-only", fi.Mode().Perm())
	}
	flipped := bytes.Clone(good)
	flipped[len(flipped)/2] ^= 0x10
	for _, c := range []struct{ name, content, want string }{
		{"header only", string(good[:20]), "truncated"},
		{"cut short", string(good[:len(good)-48]), "without its trailer"},
		{"bit flipped", string(flipped), "damaged"},
	} {
		bad := filepath.Join(t.TempDir(), "bad.bak")
		os.WriteFile(bad, []byte(c.content), 0o600)
		r := run(t, nil, "", "--data", dir, "restore", "--replace", bad)
		if r.code != 1 || !strings.Contains(r.stderr, c.want) || !strings.Contains(r.stderr, "was not changed") {
			t.Errorf("%s: %+v", c.name, r)
		}
	}
	if after := askJSON(t, dir, "portfolio top"); mustJSON(after) != mustJSON(before) {
		t.Error("a refused restore changed the store")
	}
	r := run(t, nil, "", "--data", dir, "restore", "--replace", file)
	if r.code != 0 || !strings.Contains(r.stdout, "30 accounts") || !strings.Contains(r.stdout, "verified") {
		t.Errorf("good restore --replace: %+v", r)
	}
}

func mustJSON(v any) string { b, _ := json.Marshal(v); return string(b) }

func TestConsoleLoadsDemoAndAnswers(t *testing.T) {
	dir := t.TempDir()
	r := run(t, nil, "portfolio top\nas ana@example.com\nportfolio top\naccount acct-00001 health\nexit\nhelp\n", "--data", dir, "serve")
	if r.code != 0 {
		t.Fatalf("serve: %+v", r)
	}
	for _, want := range []string{"starting the local console", "loaded the demo book (250 accounts)", "Top 5 priority accounts — whole book",
		"Now asking as ana@example.com.", "Top 5 priority accounts — ana@example.com", "— health", "Retention risk:"} {
		if !strings.Contains(r.stdout+r.stderr, want) {
			t.Errorf("console output lacks %q:\n%s\n%s", want, r.stdout, r.stderr)
		}
	}
	if strings.Contains(r.stdout, "AccountBot commands") {
		t.Error("lines after exit must not run")
	}
}

func TestServeRefusesIncompleteCredentials(t *testing.T) {
	for _, tt := range []struct {
		env  map[string]string
		want string
	}{
		{map[string]string{"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET is required"},
		{map[string]string{"SLACK_SIGNING_SECRET": "s"}, "SLACK_BOT_TOKEN is required"},
		{map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_APP_TOKEN": "xoxb-wrong"}, "must be an app-level token"},
		{map[string]string{"MICROSOFT_APP_ID": "x"}, "MICROSOFT_APP_PASSWORD is required"},
		{map[string]string{"MICROSOFT_APP_PASSWORD": "x"}, "MICROSOFT_APP_ID is required"},
		{map[string]string{"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "ACCOUNTBOT_ADDR": "256.0.0.1:99999"}, "cannot listen"},
	} {
		r := run(t, tt.env, "", "--data", t.TempDir(), "serve")
		if r.code != 1 || !strings.Contains(r.stderr, tt.want) {
			t.Errorf("%v: %+v", tt.env, r)
		}
	}
}

func TestSecondProcessOnSameDirectory(t *testing.T) {
	dir := t.TempDir()
	holder := NewMain()
	holder.DataDir = dir
	if _, err := holder.open(context.Background()); err != nil {
		t.Fatal(err)
	}
	defer holder.Close()
	r := run(t, nil, "", "--data", dir, "ask", "help")
	if r.code != 1 || !strings.Contains(r.stderr, "in use by another AccountBot process") {
		t.Errorf("second process: %+v", r)
	}
}

func TestConfigFile(t *testing.T) {
	cfg := filepath.Join(t.TempDir(), "c.yaml")
	os.WriteFile(cfg, []byte("rules:\n  tiers:\n    tier1_min_arr: 1000000\n    expansion_lift_min: 0\n"), 0o644)
	dir := t.TempDir()
	run(t, nil, "", append([]string{"--data", dir, "import"}, examples(t)...)...)
	d := askJSON(t, dir, "account acme tier")
	if d["tier"] != 1.0 {
		t.Fatalf("default tier = %v", d)
	}
	r := run(t, nil, "", "--data", dir, "--config", cfg, "ask", "--json", "--at", "2026-11-23", "account acme tier")
	if !strings.Contains(r.stdout, `"tier": 2`) {
		t.Errorf("configured threshold not used: %s %s", r.stdout, r.stderr)
	}
	os.WriteFile(cfg, []byte("rules:\n  health:\n    budget_points: -3\n"), 0o644)
	r = run(t, map[string]string{"ACCOUNTBOT_CONFIG": cfg}, "", "--data", dir, "ask", "help")
	if r.code != 1 || !strings.Contains(r.stderr, "health.budget_points") {
		t.Errorf("bad value: %+v", r)
	}
	os.WriteFile(cfg, []byte("rules:\n  helth: {}\n"), 0o644)
	r = run(t, nil, "", "--data", dir, "--config", cfg, "ask", "help")
	if r.code != 1 || !strings.Contains(r.stderr, "field helth not found") {
		t.Errorf("unknown key: %+v", r)
	}
	r = run(t, nil, "", "config")
	if r.code != 0 || !strings.Contains(r.stdout, "tier1_min_arr: 100000") || !strings.Contains(r.stdout, "milestone_days:") {
		t.Errorf("config dump: %+v", r)
	}
}

func TestUsageErrors(t *testing.T) {
	if r := run(t, nil, ""); r.code != 2 || !strings.Contains(r.stderr, "Usage: accountbot") {
		t.Errorf("no command: %+v", r)
	}
	if r := run(t, nil, "", "frobnicate"); r.code != 2 || !strings.Contains(r.stderr, `unknown command "frobnicate"`) {
		t.Errorf("unknown command: %+v", r)
	}
	if r := run(t, nil, "", "--data", t.TempDir(), "ask", "--at", "yesterday", "help"); r.code != 1 || !strings.Contains(r.stderr, "--at") {
		t.Errorf("bad --at: %+v", r)
	}
}

func TestNudgesAt(t *testing.T) {
	dir := t.TempDir()
	run(t, nil, "", append([]string{"--data", dir, "import"}, examples(t)...)...)
	r := run(t, nil, "", "--data", dir, "nudges", "--at", "2026-11-23T09:00", "--json")
	if r.code != 0 {
		t.Fatalf("nudges: %+v", r)
	}
	var out struct {
		Due []struct {
			Kind      string                          `json:"kind"`
			Key       string                          `json:"dedupe_key"`
			AccountID string                          `json:"account_id"`
			To        struct{ Email, Channel string } `json:"recipient"`
		} `json:"due"`
	}
	if err := json.Unmarshal([]byte(r.stdout), &out); err != nil {
		t.Fatal(err)
	}
	keys := map[string]bool{}
	for _, d := range out.Due {
		keys[d.Key] = true
		if d.Kind == "" || d.Key == "" || (d.To.Email == "" && d.To.Channel == "") {
			t.Errorf("incomplete entry %+v", d)
		}
	}
	for _, want := range []string{"digest|2026-11-23|ana@example.com", "weekly|2026-11-23|bo@example.com",
		"renewal|soylent|30|2026-12-23|#renewals"} {
		if !keys[want] {
			t.Errorf("missing %s in %v", want, keys)
		}
	}
	// No alerts: the examples' conditions (Initech's decline) are not new
	// this week, and their dated events are older than 7 days.
	for k := range keys {
		if strings.HasPrefix(k, "alert|") {
			t.Errorf("unexpected %s", k)
		}
	}
	// Nothing was sent or recorded: asking again gives the same plan.
	r2 := run(t, nil, "", "--data", dir, "nudges", "--at", "2026-11-23T09:00", "--json")
	if r2.stdout != r.stdout {
		t.Error("nudges --at must not send or record anything")
	}
	r = run(t, nil, "", "--data", dir, "nudges", "--at", "2026-11-23T07:00")
	if r.code != 0 || !strings.Contains(r.stdout, "KIND") && !strings.Contains(r.stdout, "Nothing is due") {
		t.Errorf("table: %+v", r)
	}
	if r = run(t, nil, "", "--data", dir, "nudges", "--at", "tomorrow"); r.code != 1 || !strings.Contains(r.stderr, "--at") {
		t.Errorf("bad --at: %+v", r)
	}
}

func TestTeamsManifest(t *testing.T) {
	files := teamsPackage(t)
	for _, n := range []string{"manifest.json", "color.png", "outline.png"} {
		if _, ok := files[n]; !ok {
			t.Fatalf("package lacks %s", n)
		}
	}
	var man map[string]any
	json.Unmarshal(files["manifest.json"], &man)
	bots := man["bots"].([]any)
	if man["id"] != "11111111-2222-3333-4444-555555555555" || bots[0].(map[string]any)["botId"] != man["id"] {
		t.Errorf("manifest = %v", man)
	}
	for name, size := range map[string]int{"color.png": 192, "outline.png": 32} {
		img, err := png.Decode(bytes.NewReader(files[name]))
		if err != nil || img.Bounds().Dx() != size || img.Bounds().Dy() != size {
			t.Errorf("%s: %v %v", name, err, img.Bounds())
		}
	}
	if r := run(t, nil, "", "teams-manifest", "--app-id", "nope"); r.code != 1 || !strings.Contains(r.stderr, "GUID") {
		t.Errorf("bad app id: %+v", r)
	}
}

// A backup to a named pipe (or /dev/null) streams into it: renaming a
// finished temporary file over it would replace the pipe or device with an
// ordinary file.
func TestBackupIntoPipe(t *testing.T) {
	dir := t.TempDir()
	if r := run(t, nil, "", "--data", dir, "demo", "--accounts", "20", "--owners", "2", "--weeks", "4"); r.code != 0 {
		t.Fatalf("demo: %+v", r)
	}
	fifo := filepath.Join(t.TempDir(), "backup.pipe")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no named pipes here:", err)
	}
	got := make(chan []byte, 1)
	go func() {
		f, err := os.Open(fifo) // blocks until the backup opens the pipe
		if err != nil {
			got <- nil
			return
		}
		defer f.Close()
		b, _ := io.ReadAll(f)
		got <- b
	}()
	done := make(chan result, 1)
	go func() { done <- run(t, nil, "", "--data", dir, "backup", fifo) }()
	select {
	case r := <-done:
		if r.code != 0 {
			t.Fatalf("backup into a pipe: %+v", r)
		}
	case <-time.After(20 * time.Second):
		os.Remove(fifo + ".partial")
		t.Fatal("backup never opened the pipe (wrote a temporary file beside it instead)")
	}
	var b []byte
	select {
	case b = <-got:
	case <-time.After(5 * time.Second):
		t.Fatal("nothing was written into the pipe")
	}
	if !bytes.HasPrefix(b, []byte("ACCOUNTBOT-BACKUP")) {
		t.Errorf("the pipe received %d bytes, not a backup", len(b))
	}
	if fi, err := os.Lstat(fifo); err != nil || fi.Mode()&os.ModeNamedPipe == 0 {
		t.Errorf("the pipe was replaced: %v %v", fi.Mode(), err)
	}
	if _, err := os.Stat(fifo + ".partial"); err == nil {
		t.Error("a .partial file was left beside the pipe")
	}
}
