package importer

import (
	"bytes"
	"io"
	"slices"
	"strings"

	"github.com/go-json-experiment/json/jsontext"
)

// cellDecoder reads records' objects, one after the other, with one
// decoder and its buffers.
type cellDecoder struct {
	r   bytes.Reader
	dec *jsontext.Decoder
}

var cellOptions = []jsontext.Options{jsontext.AllowDuplicateNames(true), jsontext.AllowInvalidUTF8(true)}

func newCellDecoder() *cellDecoder {
	cd := &cellDecoder{}
	cd.dec = jsontext.NewDecoder(&cd.r, cellOptions...)
	return cd
}

// recordCells turns a flat JSON object into CSV cells in cols' order,
// reading it token by token: decoding each record into a map
// with encoding/json was most of the decoding of an ingest request. It
// reads what encoding/json reads into a map[string]json.RawMessage: the
// last of a repeated name wins (its value, or its problem), invalid UTF-8
// in a string reads as U+FFFD, and anything after the object makes it no
// object.
func (cd *cellDecoder) recordCells(i int, raw []byte, cols []string) ([]string, []RecordError) {
	notObject := []RecordError{{Index: i, Reason: "must be a JSON object"}}
	cd.r.Reset(raw)
	dec := cd.dec
	dec.Reset(&cd.r, cellOptions...)
	if dec.PeekKind() != '{' {
		return nil, notObject
	}
	if _, err := dec.ReadToken(); err != nil {
		return nil, notObject
	}
	cells := make([]string, len(cols))
	var bad []string     // a column's problem, by column (last wins)
	var unknown []string // names of no column, as met (each once at the end)
	for dec.PeekKind() != '}' {
		name, err := dec.ReadToken()
		if err != nil {
			return nil, notObject
		}
		k := name.String()
		c := slices.Index(cols, k)
		if c < 0 {
			if err := dec.SkipValue(); err != nil {
				return nil, notObject
			}
			unknown = append(unknown, k)
			continue
		}
		cell, problem, err := readCell(dec)
		if err != nil {
			return nil, notObject
		}
		cells[c] = cell
		if problem != "" && bad == nil {
			bad = make([]string, len(cols))
		}
		if bad != nil {
			bad[c] = problem
		}
	}
	if _, err := dec.ReadToken(); err != nil { // the '}'
		return nil, notObject
	}
	if _, err := dec.ReadToken(); err != io.EOF {
		return nil, notObject
	}
	// Sorted, then each once: looking each name up among those met took
	// seconds for a record of tens of thousands of names.
	slices.Sort(unknown)
	var errs []RecordError
	for _, k := range slices.Compact(unknown) {
		errs = append(errs, RecordError{Index: i, Field: k, Reason: "unknown field (known: " + strings.Join(cols, ", ") + ")"})
	}
	for c, problem := range bad {
		if problem != "" {
			errs = append(errs, RecordError{Index: i, Field: cols[c], Reason: problem})
		}
	}
	slices.SortFunc(errs, func(a, b RecordError) int { return strings.Compare(a.Field, b.Field) })
	return cells, errs
}

// readCell reads one member's value as a CSV cell: a string unquoted, a
// number or true/false as written, null as empty; an object or a list is
// a problem.
func readCell(dec *jsontext.Decoder) (cell, problem string, err error) {
	switch dec.PeekKind() {
	case '"':
		tok, err := dec.ReadToken()
		return tok.String(), "", err
	case '{':
		return "", "must be a string, number or true/false, not a JSON object", dec.SkipValue()
	case '[':
		return "", "must be a string, number or true/false, not a JSON list", dec.SkipValue()
	case 'n':
		_, err := dec.ReadToken()
		return "", "", err
	}
	v, err := dec.ReadValue()
	return string(v), "", err
}
