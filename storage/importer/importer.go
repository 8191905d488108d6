// Package importer reads account books from JSON (an array or JSON Lines)
// and CSV files into storage patches, reporting every bad row at once with
// its file, line, column or field and reason.
package importer

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"

	"github.com/accountbot/accountbot/domain"
)

// RowError is one problem in an input file.
type RowError struct {
	File    string `json:"file"`
	Line    int    `json:"line"`
	Column  int    `json:"column,omitempty"`
	Field   string `json:"field,omitempty"`
	Message string `json:"message"`
}

func (e RowError) String() string {
	if e.Line == 0 {
		return e.File + ": " + e.Message // about the whole file or a flag
	}
	pos := fmt.Sprintf("%s:%d", e.File, e.Line)
	if e.Column > 0 {
		pos += fmt.Sprintf(":%d", e.Column)
	}
	if e.Field != "" {
		return pos + ": " + e.Field + ": " + e.Message
	}
	return pos + ": " + e.Message
}

// Options tunes parsing.
type Options struct {
	DefaultCurrency string // for rows without one; "USD" when empty
	// Map renames CSV headers to fields (CSV only: JSON keys are the
	// documented field names). Every header it names must appear in some
	// CSV file of the import.
	Map Mapping
	// DateLayout is a Go time layout (see ParseDateLayout) for dates in any
	// file; YYYY-MM-DD is accepted as well. Empty means YYYY-MM-DD only.
	DateLayout string
	// Comma separates CSV cells; 0 means ",", or ";" or tab when a file's
	// header line has no comma outside quotes but has those.
	Comma rune
}

// Result is what a set of files parsed into.
type Result struct {
	Patches []domain.Patch // one per account id, in id order
	Errors  []RowError
	Rows    int // rows (objects or CSV records) read
	Bad     int // rows rejected
}

// row is one parsed unit before merging: where it came from and its patch.
type row struct {
	file string
	line int
	p    domain.Patch
}

// Importer accumulates files and merges them per account.
type Importer struct {
	opt     Options
	mapKey  map[string]string // lowered header → Map key
	mapUsed map[string]bool   // Map keys some CSV header matched
	headers []string          // CSV headers seen, for the unused-mapping message
	rows    []row
	res     Result
}

// New returns an Importer.
func New(opt Options) *Importer {
	if opt.DefaultCurrency == "" {
		opt.DefaultCurrency = "USD"
	}
	im := &Importer{opt: opt, mapKey: map[string]string{}, mapUsed: map[string]bool{}}
	for k := range opt.Map {
		im.mapKey[strings.ToLower(strings.TrimSpace(k))] = k
	}
	return im
}

// Add parses one file; name is used in messages and to choose the format
// (.csv, .tsv and .txt are CSV; anything else is JSON or JSON Lines, told
// apart by content). UTF-16 with a byte-order mark is decoded first.
func (im *Importer) Add(name string, r io.Reader) {
	br := decodeUTF16(bufio.NewReader(r))
	switch strings.ToLower(filepath.Ext(name)) {
	case ".csv", ".tsv", ".txt":
		im.addCSV(name, br)
		return
	}
	im.addJSON(name, br)
}

func (im *Importer) fail(file string, line, col int, field, format string, args ...any) {
	im.res.Errors = append(im.res.Errors, RowError{File: file, Line: line, Column: col, Field: field, Message: fmt.Sprintf(format, args...)})
}

// Finish merges the rows per account and checks that rows which only add
// to an account (usage, signals, stakeholders) name one that exists, either
// in this import or according to exists (the store). Rows with errors are
// left out; the caller decides whether any error stops the import.
func (im *Importer) Finish(exists func(id string) bool) Result {
	im.unusedMappings()
	byID := map[string]*domain.Patch{}
	firstRef := map[string]row{}
	for _, r := range im.rows {
		p, ok := byID[r.p.ID]
		if !ok {
			cp := domain.Patch{ID: r.p.ID}
			p = &cp
			byID[r.p.ID] = p
		}
		if r.p.Core != nil {
			if p.Core != nil {
				im.fail(r.file, r.line, 0, "id", "account %q appears twice in this import; the later row wins", r.p.ID)
			}
			p.Core = r.p.Core
		} else if _, ok := firstRef[r.p.ID]; !ok {
			firstRef[r.p.ID] = r
		}
		if r.p.ReplaceStakeholders {
			p.ReplaceStakeholders = true
			p.Stakeholders = append(p.Stakeholders, r.p.Stakeholders...)
		}
		p.Usage = append(p.Usage, r.p.Usage...)
		p.Signals = append(p.Signals, r.p.Signals...)
	}
	ids := make([]string, 0, len(byID))
	for id, p := range byID {
		if p.Core == nil && (exists == nil || !exists(id)) {
			r := firstRef[id]
			im.fail(r.file, r.line, 0, "account_id", "no account with id %q in the store or in this import", id)
			im.res.Bad++
			continue
		}
		ids = append(ids, id)
	}
	sort.Strings(ids)
	for _, id := range ids {
		im.res.Patches = append(im.res.Patches, *byID[id])
	}
	sort.SliceStable(im.res.Errors, func(i, j int) bool {
		a, b := im.res.Errors[i], im.res.Errors[j]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Line < b.Line
	})
	return im.res
}

// lineAt returns the 1-based line of byte offset off in data.
func lineAt(data []byte, off int64) int {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	return bytes.Count(data[:off], []byte{'\n'}) + 1
}

// validate checks a core account, reporting field errors at line (and column).
func (im *Importer) validate(file string, line int, a *domain.Account, col func(string) int) bool {
	a.Normalize()
	errs := a.Validate()
	for _, e := range errs {
		im.fail(file, line, col(e.Field), e.Field, "%s", e.Message)
	}
	return len(errs) == 0
}
