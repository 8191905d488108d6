package importer

import (
	"bytes"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/accountbot/accountbot/domain"
)

// The record kinds the ingest API accepts: each is exactly a row of the
// matching import format (accounts: a JSON account object; usage, signals,
// stakeholders: a CSV row of that kind, written as a JSON object with the
// CSV's column names), so the API and `import` accept and refuse the same
// things. arr is a dated ARR point (arr_history in an account file).
const (
	KindAccounts     = "accounts"
	KindUsage        = "usage"
	KindSignals      = "signals"
	KindStakeholders = "stakeholders"
	KindARR          = "arr"
)

// RecordError is one problem with one record of a request body.
type RecordError struct {
	Index  int    `json:"index"` // 0-based position of the record in the body
	Field  string `json:"field"`
	Reason string `json:"reason"`
}

// ARRRecord is a dated ARR point for an account. The amount is parsed in
// the account's own currency when applied (Amount).
type ARRRecord struct {
	Index     int
	AccountID string
	Date      domain.Date
	Motion    domain.Motion
	arr       amount
}

// Amount reads the ARR in minor units of currency, as import reads money.
func (r ARRRecord) Amount(currency string) (int64, error) { return r.arr.parse(currency) }

// Records is a decoded request body.
type Records struct {
	Count     int            // records in the body
	Patches   []domain.Patch // the good records merged per account, in id order (not arr)
	ARR       []ARRRecord    // the good arr records
	Errors    []RecordError  // every bad record
	Malformed string         // the body is not a JSON array or NDJSON at all
}

// DecodeRecords reads a body of records of kind: a JSON array, or NDJSON
// (one object per line) when ndjson is set. exists says whether an account
// id is in the store (records that add to an account must name one).
func DecodeRecords(kind string, body []byte, ndjson bool, opt Options, exists func(id string) bool) Records {
	var res Records
	elems, err := splitRecords(body, ndjson)
	if err != "" {
		res.Malformed = err
		return res
	}
	res.Count = len(elems)
	im := New(opt)
	switch kind {
	case KindAccounts:
		for i, raw := range elems {
			im.addAccountObject("", i+1, raw)
		}
	case KindUsage, KindSignals, KindStakeholders:
		res.Errors = im.addCSVRecords(kind, elems)
	case KindARR:
		res.ARR, res.Errors = decodeARR(elems, exists)
		return res
	default:
		res.Malformed = fmt.Sprintf("unknown record kind %q", kind)
		return res
	}
	r := im.Finish(exists)
	res.Patches = r.Patches
	for _, e := range r.Errors {
		res.Errors = append(res.Errors, RecordError{Index: e.Line - 1, Field: e.Field, Reason: e.Message})
	}
	slices.SortStableFunc(res.Errors, func(a, b RecordError) int { return a.Index - b.Index })
	return res
}

// splitRecords cuts a body into its records.
func splitRecords(body []byte, ndjson bool) ([][]byte, string) {
	trim := bytes.TrimLeft(body, " \t\r\n\ufeff")
	if len(trim) == 0 {
		return nil, "the body is empty; send a JSON array of records or NDJSON"
	}
	if ndjson {
		var out [][]byte
		// A line that is not JSON is a bad record (as in a JSON Lines
		// file), not a broken body.
		for line := range bytes.SplitSeq(body, []byte{'\n'}) {
			if line = bytes.TrimSpace(line); len(line) > 0 {
				out = append(out, line)
			}
		}
		return out, ""
	}
	if trim[0] != '[' {
		return nil, "the body must be a JSON array of records (or NDJSON with Content-Type application/x-ndjson)"
	}
	var arr []json.RawMessage
	if err := json.Unmarshal(trim, &arr); err != nil {
		return nil, "broken JSON: " + cleanJSONErr(err)
	}
	out := make([][]byte, len(arr))
	for i, r := range arr {
		out[i] = r
	}
	return out, ""
}

func mustMarshal(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err) // a map of raw JSON always encodes
	}
	return b
}

// addCSVRecords reads the objects as rows of a CSV of kind with all its
// columns, as `import` reads such a file (csvPatch), without writing and
// parsing that CSV: a cell reads back from one as it was written, except
// that a line break "\r\n" inside a quoted cell reads as "\n". Problems
// with the objects themselves (not an object, unknown field, a list where
// a value belongs) are returned; the rows' own are im's, at index+1.
func (im *Importer) addCSVRecords(kind string, elems [][]byte) []RecordError {
	cols := csvColumns[kind]
	colOf := make(map[string]int, len(cols))
	for i, c := range cols {
		colOf[c] = i
	}
	var errs []RecordError
	cd := newCellDecoder()
	for i, raw := range elems {
		cells, bad := cd.recordCells(i, raw, cols)
		if len(bad) > 0 {
			errs = append(errs, bad...)
			continue
		}
		for j, c := range cells {
			if strings.Contains(c, "\r\n") {
				cells[j] = strings.ReplaceAll(c, "\r\n", "\n")
			}
		}
		im.res.Rows++
		r := &csvRow{im: im, rec: cells, cols: colOf, line: i + 1, ok: true}
		p, ok := im.csvPatch(kind, r)
		if !ok || !r.ok {
			im.res.Bad++
			continue
		}
		im.rows = append(im.rows, row{line: i + 1, p: p})
	}
	return errs
}

type arrRecord struct {
	AccountID string `json:"account_id"`
	Date      string `json:"date"`
	ARR       amount `json:"arr"`
	Motion    string `json:"motion"`
}

// decodeARR reads arr records: {account_id, date, arr, motion}, as an
// arr_history entry of an account file plus the account it belongs to.
func decodeARR(elems [][]byte, exists func(string) bool) ([]ARRRecord, []RecordError) {
	var out []ARRRecord
	var errs []RecordError
	for i, raw := range elems {
		bad := func(field, format string, args ...any) {
			errs = append(errs, RecordError{Index: i, Field: field, Reason: fmt.Sprintf(format, args...)})
		}
		var r arrRecord
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&r); err != nil {
			bad("", "%s (fields: account_id, date, arr, motion)", cleanJSONErr(err))
			continue
		}
		n := len(errs)
		rec := ARRRecord{Index: i, AccountID: strings.TrimSpace(r.AccountID), arr: r.ARR, Motion: domain.Motion(strings.TrimSpace(r.Motion))}
		if !domain.ValidID(rec.AccountID) {
			bad("account_id", "%q is not a valid account id", rec.AccountID)
		} else if exists != nil && !exists(rec.AccountID) {
			bad("account_id", "no account with id %q in the store", rec.AccountID)
		}
		if d, err := domain.ParseDate(strings.TrimSpace(r.Date)); err != nil {
			bad("date", "%s", domain.ErrorMessage(err))
		} else {
			rec.Date = d
		}
		if strings.TrimSpace(r.ARR.text) == "" {
			bad("arr", "is required (annual recurring revenue in major units, e.g. 120000)")
		}
		if rec.Motion != "" && !domain.KnownMotion(rec.Motion) {
			bad("motion", "unknown motion %q", rec.Motion)
		}
		if len(errs) == n {
			out = append(out, rec)
		}
	}
	return out, errs
}
