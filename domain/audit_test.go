package domain

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestTruncateAuditText(t *testing.T) {
	tests := []struct {
		name string
		in   string
		want int // characters kept, before the "…"
		cut  bool
	}{
		{"short", "renewal call went well", 22, false},
		{"exactly the limit", strings.Repeat("a", AuditTextMax), AuditTextMax, false},
		{"long ascii", strings.Repeat("a", 5000), AuditTextMax, true},
		{"long multibyte is cut on a character", strings.Repeat("é€", 300), AuditTextMax, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := TruncateAuditText(tt.in)
			if !utf8.ValidString(got) {
				t.Fatalf("cut inside a character: %q", got)
			}
			kept := strings.TrimSuffix(got, "…")
			if (kept != got) != tt.cut || utf8.RuneCountInString(kept) != tt.want {
				t.Fatalf("kept %d characters (cut %v); want %d (cut %v)", utf8.RuneCountInString(kept), kept != got, tt.want, tt.cut)
			}
		})
	}
}

func TestAuditEntryClean(t *testing.T) {
	at := time.Date(2026, 11, 23, 10, 0, 0, 0, time.FixedZone("CET", 3600))
	var args []AuditArg
	for range 40 {
		args = append(args, AuditArg{Name: "note", Value: strings.Repeat("x", 1000)})
	}
	e := AuditEntry{At: at, Email: " Ana@Example.com ", Verb: "account note", Args: args, Result: AuditOK}.Clean()
	if e.Email != "ana@example.com" || e.At.Location() != time.UTC || !e.At.Equal(at) {
		t.Fatalf("clean entry %+v", e)
	}
	if len(e.Args) != auditMaxArgs {
		t.Fatalf("%d args kept; want %d", len(e.Args), auditMaxArgs)
	}
	for _, a := range e.Args {
		if utf8.RuneCountInString(a.Value) > AuditTextMax+1 {
			t.Fatalf("arg value of %d characters kept", utf8.RuneCountInString(a.Value))
		}
	}
	if args[0].Value != strings.Repeat("x", 1000) {
		t.Fatal("Clean changed the caller's arguments")
	}
}
