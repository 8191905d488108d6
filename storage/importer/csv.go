package importer

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/accountbot/accountbot/domain"
)

// The CSV kinds and their columns; the header decides which a file holds.
var csvColumns = map[string][]string{
	"accounts": {"id", "name", "aliases", "owner", "arr", "currency", "plan", "contract_start", "renewal_date", "term_months",
		"seats_purchased", "seats_active", "features_available", "features_adopted", "limits", "budget_confirmed",
		"company_growing", "expansion_potential", "hours_saved_per_week", "hours_saved_per_month", "hourly_rate",
		"value_delivered", "value_at_full_adoption", "hours_at_full_adoption_per_week", "hours_at_full_adoption_per_month"},
	"usage":        {"account_id", "date", "active_users", "usage", "tickets"},
	"signals":      {"account_id", "date", "kind", "note"},
	"stakeholders": {"account_id", "name", "email", "internal", "role", "function", "executive", "champion", "last_contact", "left"},
}

var csvRequired = map[string][]string{
	"accounts":     {"id", "name", "arr"},
	"usage":        {"account_id", "date"},
	"signals":      {"account_id", "date", "kind"},
	"stakeholders": {"account_id", "name"},
}

func csvKind(header []string) string {
	has := func(c string) bool { return slices.Contains(header, c) }
	switch {
	case has("kind"):
		return "signals"
	case has("active_users") || has("usage") || has("tickets"):
		return "usage"
	case has("account_id") && has("name"):
		return "stakeholders"
	case has("id") && has("name"):
		return "accounts"
	}
	return ""
}

// csvRow gives typed access to one record, reporting problems with their column.
type csvRow struct {
	im   *Importer
	file string
	rec  []string
	cols map[string]int
	cr   *csv.Reader
	line int
	ok   bool
}

func (r *csvRow) str(c string) string {
	i, ok := r.cols[c]
	if !ok || i >= len(r.rec) {
		return ""
	}
	return strings.TrimSpace(r.rec[i])
}

func (r *csvRow) fail(c, format string, args ...any) {
	col := 0
	if i, ok := r.cols[c]; ok && r.cr != nil { // nil: the ingest API's records, which have no columns
		_, col = r.cr.FieldPos(i)
	}
	r.im.fail(r.file, r.line, col, c, format, args...)
	r.ok = false
}

func (r *csvRow) int(c string) int {
	s := r.str(c)
	if s == "" {
		return 0
	}
	v, err := strconv.Atoi(strings.ReplaceAll(s, ",", ""))
	if err != nil {
		r.fail(c, "%q is not a whole number", s)
	}
	return v
}

func (r *csvRow) bool(c string) bool {
	switch strings.ToLower(r.str(c)) {
	case "", "false", "no", "n", "0":
		return false
	case "true", "yes", "y", "1":
		return true
	}
	r.fail(c, "%q is not true/false (yes/no, 1/0)", r.str(c))
	return false
}

func (r *csvRow) date(c string) domain.Date {
	s := r.str(c)
	if s == "" {
		return domain.NoDate
	}
	d, err := r.im.parseDate(s)
	if err != nil {
		r.fail(c, "%s", domain.ErrorMessage(err))
	}
	return d
}

// addCSV imports one CSV file: the header says which kind of rows it holds.
func (im *Importer) addCSV(file string, br *bufio.Reader) {
	cr := im.csvReader(br)
	header, kind, cols, ok := im.csvHeader(file, cr)
	if !ok {
		return
	}
	im.addCSVRows(file, cr, kind, len(header), cols)
}

// csvReader opens the CSV after any byte-order mark, with the configured
// delimiter or, when none is set, the one the first line uses.
func (im *Importer) csvReader(br *bufio.Reader) *csv.Reader {
	if b, _ := br.Peek(3); string(b) == "\ufeff" {
		br.Discard(3) // Excel's byte-order mark
	}
	cr := csv.NewReader(br)
	if cr.Comma = im.opt.Comma; cr.Comma == 0 {
		cr.Comma = sniffComma(br)
	}
	cr.FieldsPerRecord = -1
	cr.ReuseRecord = false
	return cr
}

// csvHeader reads and maps the header, works out what the file holds and
// where each field's column is. It reports every header problem at once and
// returns false when the rows cannot be read safely.
func (im *Importer) csvHeader(file string, cr *csv.Reader) (header []string, kind string, cols map[string]int, ok bool) {
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		im.fail(file, 1, 0, "", "file is empty")
		return nil, "", nil, false
	} else if err != nil {
		im.fail(file, 1, 0, "", "unreadable CSV header: %v", err)
		return nil, "", nil, false
	}
	orig := im.mapHeader(header)
	kind = csvKind(header)
	if kind == "" {
		im.fail(file, 1, 0, "", "cannot tell what this CSV holds from its header %q: accounts need id,name,arr; usage needs account_id,date,active_users|usage|tickets; signals need account_id,date,kind; stakeholders need account_id,name", strings.Join(orig, string(cr.Comma)))
		for i, h := range header {
			if _, col := cr.FieldPos(i); h != Skip && !slices.Contains(allFields, h) {
				im.fail(file, 1, col, orig[i], "matches no field: %s", unknownHeader(orig[i], allFields))
			}
		}
		return nil, "", nil, false
	}
	cols, ok = im.csvColumnsOf(file, cr, kind, header, orig)
	return header, kind, cols, ok
}

// csvColumnsOf maps each known field to its column, rejecting columns the
// kind does not have, fields given twice and missing required fields.
func (im *Importer) csvColumnsOf(file string, cr *csv.Reader, kind string, header, orig []string) (map[string]int, bool) {
	cols := map[string]int{}
	headerOK := true
	for i, h := range header {
		_, col := cr.FieldPos(i)
		if h == Skip {
			continue
		}
		if !slices.Contains(csvColumns[kind], h) {
			im.fail(file, 1, col, orig[i], "unknown column for a %s file (known: %s); %s", kind, strings.Join(csvColumns[kind], ", "), unknownHeader(orig[i], csvColumns[kind]))
			headerOK = false
		} else if _, dup := cols[h]; dup {
			if strings.EqualFold(orig[i], h) {
				im.fail(file, 1, col, h, "column appears twice")
			} else {
				im.fail(file, 1, col, orig[i], "maps to %q, which another column already gives; map only one of them", h)
			}
			headerOK = false
		}
		cols[h] = i
	}
	for _, req := range csvRequired[kind] {
		if _, ok := cols[req]; !ok {
			im.fail(file, 1, 0, req, "required column missing from the %s header", kind)
			headerOK = false
		}
	}
	return cols, headerOK
}

// addCSVRows reads the data rows, counting each and keeping the good ones;
// a broken row is reported and skipped so the rest of the file still loads.
func (im *Importer) addCSVRows(file string, cr *csv.Reader, kind string, fields int, cols map[string]int) {
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			// FieldPos may only be asked about a record that was read.
			var pe *csv.ParseError
			im.res.Rows++
			im.res.Bad++
			if errors.As(err, &pe) {
				im.fail(file, pe.Line, pe.Column, "", "broken CSV: %v", pe.Err)
				continue
			}
			im.fail(file, 0, 0, "", "reading: %v", err)
			return
		}
		line, _ := cr.FieldPos(0)
		if len(rec) == 1 && strings.TrimSpace(rec[0]) == "" {
			continue // blank line
		}
		im.res.Rows++
		r := &csvRow{im: im, file: file, rec: rec, cols: cols, cr: cr, line: line, ok: true}
		if len(rec) != fields {
			r.im.fail(file, line, 0, "", "has %d fields, the header has %d", len(rec), fields)
			im.res.Bad++
			continue
		}
		p, ok := im.csvPatch(kind, r)
		if !ok || !r.ok {
			im.res.Bad++
			continue
		}
		im.rows = append(im.rows, row{file: file, line: line, p: p})
	}
}

func (im *Importer) csvPatch(kind string, r *csvRow) (domain.Patch, bool) {
	id := r.str("account_id")
	if kind != "accounts" && !domain.ValidID(id) {
		r.fail("account_id", "%q is not a valid account id", id)
		return domain.Patch{}, false
	}
	switch kind {
	case "usage":
		d := r.date("date")
		if d.IsZero() {
			r.fail("date", "is required")
		}
		s := domain.Snapshot{Date: d, ActiveUsers: r.int("active_users"), Usage: int64(r.int("usage")), Tickets: r.int("tickets")}
		if s.ActiveUsers < 0 || s.Usage < 0 || s.Tickets < 0 {
			r.fail("usage", "counts must not be negative")
		}
		return domain.Patch{ID: id, Usage: []domain.Snapshot{s}}, r.ok
	case "signals":
		s := domain.Signal{Date: r.date("date"), Kind: domain.SignalKind(strings.ToLower(r.str("kind"))), Note: r.str("note")}
		if s.Date.IsZero() {
			r.fail("date", "is required")
		}
		if !domain.KnownSignal(s.Kind) {
			r.fail("kind", "unknown signal kind %q", s.Kind)
		}
		return domain.Patch{ID: id, Signals: []domain.Signal{s}}, r.ok
	case "stakeholders":
		s := domain.Stakeholder{Name: r.str("name"), Email: strings.ToLower(r.str("email")), Internal: r.bool("internal"), Role: r.str("role"),
			Function: domain.Function(strings.ToLower(r.str("function"))), Executive: r.bool("executive"), Champion: r.bool("champion"),
			LastContact: r.date("last_contact"), Left: r.date("left")}
		if s.Email != "" && !domain.ValidEmail(s.Email) {
			r.fail("email", "%q is not an e-mail address (like ana@example.com)", s.Email)
		}
		if s.Name == "" {
			r.fail("name", "is required")
		} else if fe := domain.CheckVisible("name", s.Name); fe != nil {
			r.fail("name", "%s", fe.Message)
		}
		if s.Function != "" && !domain.KnownFunction(s.Function) {
			r.fail("function", "unknown function %q (want one of %s)", s.Function, domain.FunctionList())
		}
		return domain.Patch{ID: id, ReplaceStakeholders: true, Stakeholders: []domain.Stakeholder{s}}, r.ok
	}
	// accounts: reuse the JSON conversion so both formats mean the same.
	fa := fileAccount{ID: r.str("id"), Name: r.str("name"), Owner: r.str("owner"), ARR: textAmount(r.str("arr")),
		Currency: r.str("currency"), Plan: r.str("plan"), ContractStart: r.str("contract_start"), RenewalDate: r.str("renewal_date"),
		TermMonths: r.int("term_months"), SeatsPurchased: r.int("seats_purchased"), SeatsActive: r.int("seats_active"),
		FeaturesAvailable: r.int("features_available"), FeaturesAdopted: r.int("features_adopted"),
		BudgetConfirmed: r.bool("budget_confirmed"), CompanyGrowing: r.bool("company_growing"),
		ExpansionPotential: textAmount(r.str("expansion_potential")),
		HoursSavedPerWeek:  textAmount(r.str("hours_saved_per_week")), HoursSavedPerMonth: textAmount(r.str("hours_saved_per_month")),
		HourlyRate:     textAmount(r.str("hourly_rate")),
		ValueDelivered: textAmount(r.str("value_delivered")), ValueAtFullAdoption: textAmount(r.str("value_at_full_adoption")),
		HoursAtFullAdoptionPerWeek:  textAmount(r.str("hours_at_full_adoption_per_week")),
		HoursAtFullAdoptionPerMonth: textAmount(r.str("hours_at_full_adoption_per_month"))}
	if s := r.str("aliases"); s != "" {
		for _, a := range strings.FieldsFunc(s, func(r rune) bool { return r == ';' || r == '|' }) {
			if a = strings.TrimSpace(a); a != "" {
				fa.Aliases = append(fa.Aliases, a)
			}
		}
	}
	if s := r.str("limits"); s != "" {
		for _, part := range strings.Split(s, ";") {
			l, err := parseLimit(part)
			if err != nil {
				r.fail("limits", "%v", err)
				continue
			}
			fa.Limits = append(fa.Limits, l)
		}
	}
	// Convert even after a bad cell, so every problem of the row is reported.
	p, ok := im.convert(r.file, r.line, &fa, func(field string) int {
		field, _, _ = strings.Cut(field, "[") // aliases[1] is in the aliases column
		if i, ok := r.cols[field]; ok {
			_, c := r.cr.FieldPos(i)
			return c
		}
		return 0
	})
	return p, ok && r.ok
}

// parseLimit reads "API calls: 80000/100000" (name: used/limit).
func parseLimit(s string) (domain.PlanLimit, error) {
	name, rest, ok := strings.Cut(s, ":")
	used, limit, ok2 := strings.Cut(rest, "/")
	if !ok || !ok2 {
		return domain.PlanLimit{}, fmt.Errorf("%q is not \"name: used/limit\"", strings.TrimSpace(s))
	}
	u, err1 := strconv.ParseInt(strings.ReplaceAll(strings.TrimSpace(used), ",", ""), 10, 64)
	l, err2 := strconv.ParseInt(strings.ReplaceAll(strings.TrimSpace(limit), ",", ""), 10, 64)
	if err1 != nil || err2 != nil {
		return domain.PlanLimit{}, fmt.Errorf("%q: used and limit must be whole numbers", strings.TrimSpace(s))
	}
	return domain.PlanLimit{Name: strings.TrimSpace(name), Used: u, Limit: l}, nil
}
