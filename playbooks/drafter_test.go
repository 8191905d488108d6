package playbooks_test

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/playbooks"
	"github.com/accountbot/accountbot/storage/demo"
)

var update = flag.Bool("update", false, "rewrite golden files")

var today = domain.MustDate("2026-11-23")

func TestTemplateNamingMissingFieldFailsAtLoad(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "qbr.tmpl"), []byte(`{{define "qbr"}}{{.NoSuchField}}{{end}}`), 0o644)
	if _, err := playbooks.New(dir); err == nil || !strings.Contains(err.Error(), `playbook "qbr" does not render`) {
		t.Errorf("err = %v", err)
	}
	os.WriteFile(filepath.Join(dir, "qbr.tmpl"), []byte(`{{define "qbr"}}{{if}}{{end}}`), 0o644)
	if _, err := playbooks.New(dir); err == nil || !strings.Contains(err.Error(), "qbr.tmpl") {
		t.Errorf("syntax err = %v", err)
	}
	// A valid override replaces the embedded file.
	os.WriteFile(filepath.Join(dir, "qbr.tmpl"), []byte(`{{define "qbr"}}Custom QBR for {{.Name}}{{end}}`), 0o644)
	d, err := playbooks.New(dir)
	if err != nil {
		t.Fatal(err)
	}
	a, ev := sample(t, 0)
	got, err := d.Draft(context.Background(), bot.DraftRequest{Kind: "qbr", Account: a, Evaluation: &ev})
	if err != nil || got.Text != "Custom QBR for "+a.Name {
		t.Errorf("override = %q %v", got.Text, err)
	}
	if _, err := playbooks.New("/no/such/dir"); err == nil {
		t.Error("a missing override directory must be an error")
	}
}

func sample(t *testing.T, i int) (*domain.Account, domain.Evaluation) {
	t.Helper()
	p := demo.GenerateRange(demo.Defaults(today), i, i+1)[0]
	a := p.Core
	a.Usage, a.Signals = p.Usage, p.Signals
	a.Normalize()
	return a, domain.Evaluate(a, today, domain.DefaultConfig())
}

// TestGolden renders every playbook for demo accounts of each priority.
func TestGolden(t *testing.T) {
	d, err := playbooks.New("")
	if err != nil {
		t.Fatal(err)
	}
	book := &bot.BookStats{Date: today, Accounts: 8, Adoption: []float64{20, 30, 40, 50, 60, 70, 80, 90}}
	seen := map[domain.Priority]int{}
	for i := 0; i < 60 && len(seen) < 4; i++ {
		a, ev := sample(t, i)
		if _, ok := seen[ev.Priority]; ok {
			continue
		}
		seen[ev.Priority] = i
		kinds := []struct{ kind, arg string }{{"qbr", ""}, {"renewal", ""}, {"expand", ""}}
		for _, o := range playbooks.Objections {
			kinds = append(kinds, struct{ kind, arg string }{"objection", o})
		}
		for _, k := range kinds {
			got, err := d.Draft(context.Background(), bot.DraftRequest{Kind: k.kind, Arg: k.arg, Account: a, Evaluation: &ev, Book: book})
			if err != nil {
				if k.kind == "expand" && domain.ErrorCode(err) == domain.ECONFLICT {
					continue // no trigger fired: the drafter says so
				}
				t.Fatalf("%s %s %s: %v", a.ID, k.kind, k.arg, err)
			}
			if got.Source != "template" || strings.Contains(got.Text, "<no value>") {
				t.Errorf("%s %s: %+v", a.ID, k.kind, got)
			}
			golden(t, filepath.Join("testdata", "golden", string(ev.Priority)+"_"+k.kind+k.arg+".txt"), got.Title+"\n\n"+combined(got)+"\n")
		}
	}
	if len(seen) != 4 {
		t.Errorf("demo accounts of every priority expected, got %v", seen)
	}
	// Every motion's talk track, asked for by name on one account.
	a, ev := sample(t, seen[domain.PriorityTop])
	for _, m := range append(domain.Motions, domain.MotionAdoptionFirst) {
		got, err := d.Draft(context.Background(), bot.DraftRequest{Kind: "expand", Arg: string(m), Account: a, Evaluation: &ev, Book: book})
		if err != nil {
			t.Fatalf("expand %s: %v", m, err)
		}
		golden(t, filepath.Join("testdata", "golden", "motion_"+string(m)+".txt"), got.Title+"\n\n"+combined(got)+"\n")
	}
}

// combined writes a draft's customer text and its notes as one golden text.
func combined(d bot.Draft) string {
	return playbooks.Draft{CustomerText: d.Text, Internal: d.Internal}.Combined()
}

func golden(t *testing.T, name, body string) {
	t.Helper()
	if *update {
		os.MkdirAll(filepath.Dir(name), 0o755)
		os.WriteFile(name, []byte(body), 0o644)
		return
	}
	want, err := os.ReadFile(name)
	if err != nil {
		t.Fatalf("%v (run go test ./playbooks -update)", err)
	}
	if string(want) != body {
		t.Errorf("%s differs from golden:\n--- got\n%s\n--- want\n%s", name, body, want)
	}
}

func TestDraftErrors(t *testing.T) {
	d, _ := playbooks.New("")
	a, ev := sample(t, 0)
	for _, tt := range []struct{ kind, arg, want string }{
		{"objection", "weather", "no playbook for the objection"},
		{"expand", "teleport", `"teleport" is not a motion`},
		{"sonnet", "", "unknown playbook"},
	} {
		_, err := d.Draft(context.Background(), bot.DraftRequest{Kind: tt.kind, Arg: tt.arg, Account: a, Evaluation: &ev})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s %s: %v", tt.kind, tt.arg, err)
		}
	}
}
