package main

import (
	"strings"
	"testing"
)

// The probe reads through a mapping of a file it wrote: every read faults
// at least once in all, and maps at least a page of the file.
func TestProbeFolios(t *testing.T) {
	p, err := probeFolios(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if p.reads < 256 || p.faults < 1 || p.mappedKB < 4 {
		t.Fatalf("probe = %+v: no faults or nothing mapped", p)
	}
	t.Log(p.String())
	if s := p.String(); !strings.Contains(s, "KB per read") {
		t.Errorf("sentence = %q", s)
	}
	if (foliosProbe{}).String() != "" {
		t.Error("an empty probe has a sentence")
	}
}
