package importer

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"path/filepath"
	"strings"

	"github.com/accountbot/accountbot/domain"
)

// External ids in files: an account object's "external_ids" object
// ({"crm": "0015g00000AcmeAB"}), or an accounts CSV's "external_id:<source>"
// columns (external_id:crm, external_id:billing…; an empty cell is no id).

const externalColumn = "external_id:"

// AddFile is Add with external ids. Files without any are parsed by Add
// itself, byte for byte as before.
func (im *Importer) AddFile(name string, r io.Reader) {
	data, err := io.ReadAll(io.LimitReader(r, maxFile+1))
	if err != nil {
		im.fail(name, 0, 0, "", "reading: %v", err)
		return
	}
	isCSV := strings.EqualFold(filepath.Ext(name), ".csv")
	switch {
	case isCSV && bytes.Contains(firstLine(data), []byte(externalColumn)):
		im.addCSVExternal(name, data)
	case !isCSV && len(data) <= maxFile && bytes.Contains(data, []byte(`"external_ids"`)):
		im.addJSONExternal(name, data)
	default:
		im.Add(name, bytes.NewReader(data))
	}
}

func firstLine(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i >= 0 {
		return b[:i]
	}
	return b
}

// addAccountObject adds one account object at file:line, taking its
// external_ids out first (the account format refuses unknown fields).
func (im *Importer) addAccountObject(file string, line int, raw []byte) {
	var obj map[string]json.RawMessage
	var ids domain.ExternalIDs
	if json.Unmarshal(raw, &obj) == nil {
		if x, ok := obj["external_ids"]; ok {
			delete(obj, "external_ids")
			if err := json.Unmarshal(x, &ids); err != nil {
				im.res.Rows++
				im.res.Bad++
				im.fail(file, line, 0, "external_ids", "must be an object of source: id strings, e.g. {\"crm\": \"0015g00000XyZab\"}")
				return
			}
			raw = mustMarshal(obj)
		}
	}
	n, errs := len(im.rows), len(im.res.Errors)
	im.addObject(file, line, raw)
	if len(ids) > 0 && len(im.rows) > n && len(im.res.Errors) == errs {
		im.attachExternal(n, ids, func(string) int { return 0 })
	}
}

// attachExternal gives row n's account its external ids, validated as the
// store validates them; an invalid id drops the row.
func (im *Importer) attachExternal(n int, ids domain.ExternalIDs, col func(field string) int) {
	r := im.rows[n]
	a := r.p.Core
	a.ExternalIDs = ids
	bad := false
	for _, e := range a.Validate() {
		if strings.HasPrefix(e.Field, "external_ids") {
			im.fail(r.file, r.line, col(e.Field), e.Field, "%s", e.Message)
			bad = true
		}
	}
	if bad {
		im.rows = append(im.rows[:n], im.rows[n+1:]...)
		im.res.Bad++
	}
}

// addJSONExternal walks a JSON array or JSON Lines file as addJSON does,
// with external ids.
func (im *Importer) addJSONExternal(file string, data []byte) {
	trim := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if len(trim) > 0 && trim[0] != '[' {
		addJSONLines(file, data, im.addAccountObject)
		return
	}
	im.addJSONArray(file, data, im.addAccountObject)
}

// addCSVExternal takes the external_id:<source> columns out of an
// accounts CSV, parses the rest as any accounts CSV, and gives each
// account its ids. Lines stay where they were.
func (im *Importer) addCSVExternal(file string, data []byte) {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	cr := csv.NewReader(bytes.NewReader(data))
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		im.Add(file, bytes.NewReader(data)) // reports the broken header
		return
	}
	srcOf := map[int]string{} // column index → source
	var keep []int
	for i, h := range header {
		h = strings.ToLower(strings.TrimSpace(h))
		if src, ok := strings.CutPrefix(h, externalColumn); ok {
			srcOf[i] = src
		} else {
			keep = append(keep, i)
		}
	}
	var out bytes.Buffer
	w := csv.NewWriter(&out)
	w.Write(pick(header, keep))
	idsAt := map[int]domain.ExternalIDs{} // line → ids
	colsAt := map[int]map[string]int{}    // line → column name → its column in the file
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			im.Add(file, bytes.NewReader(data)) // let the CSV reader report it
			return
		}
		line, _ := cr.FieldPos(0)
		ids := domain.ExternalIDs{}
		for i, src := range srcOf {
			if i < len(rec) && strings.TrimSpace(rec[i]) != "" {
				ids[src] = strings.TrimSpace(rec[i])
			}
		}
		idsAt[line] = ids
		cols := map[string]int{}
		for i, h := range header[:min(len(header), len(rec))] { // FieldPos panics past the record
			_, cols[strings.ToLower(strings.TrimSpace(h))] = cr.FieldPos(i)
		}
		colsAt[line] = cols
		// Keep line numbers: blank lines (which the CSV reader skips) pad
		// the record to the line it started on.
		w.Flush()
		for cur := bytes.Count(out.Bytes(), []byte{'\n'}) + 1; cur < line; cur++ {
			out.WriteByte('\n')
		}
		w.Write(pick(rec, keep))
	}
	w.Flush()
	n, e := len(im.rows), len(im.res.Errors)
	im.addCSV(file, bufio.NewReader(&out))
	// Errors name columns of the file without the external ones: point
	// them at the file's own columns.
	for j := e; j < len(im.res.Errors); j++ {
		if c, ok := colsAt[im.res.Errors[j].Line][im.res.Errors[j].Field]; ok {
			im.res.Errors[j].Column = c
		}
	}
	for j := len(im.rows) - 1; j >= n; j-- {
		r := im.rows[j]
		if r.p.Core == nil {
			continue
		}
		if ids := idsAt[r.line]; len(ids) > 0 {
			im.attachExternal(j, ids, func(f string) int {
				return colsAt[r.line][externalColumn+strings.TrimPrefix(f, "external_ids.")]
			})
		}
	}
}

func pick(rec []string, keep []int) []string {
	out := make([]string, 0, len(keep))
	for _, i := range keep {
		if i < len(rec) {
			out = append(out, rec[i])
		}
	}
	return out
}
