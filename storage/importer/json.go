package importer

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/accountbot/accountbot/domain"
)

// fileAccount is the documented file format: money in major units, dates
// as YYYY-MM-DD.
type fileAccount struct {
	ID                 string             `json:"id"`
	Name               string             `json:"name"`
	Aliases            []string           `json:"aliases"`
	Owner              string             `json:"owner"`
	ARR                amount             `json:"arr"`
	Currency           string             `json:"currency"`
	Plan               string             `json:"plan"`
	ContractStart      string             `json:"contract_start"`
	RenewalDate        string             `json:"renewal_date"`
	TermMonths         int                `json:"term_months"`
	SeatsPurchased     int                `json:"seats_purchased"`
	SeatsActive        int                `json:"seats_active"`
	FeaturesAvailable  int                `json:"features_available"`
	FeaturesAdopted    int                `json:"features_adopted"`
	Limits             []domain.PlanLimit `json:"limits"`
	BudgetConfirmed    bool               `json:"budget_confirmed"`
	CompanyGrowing     bool               `json:"company_growing"`
	ExpansionPotential amount             `json:"expansion_potential"`
	Stakeholders       *[]fileStakeholder `json:"stakeholders"`
	Usage              []fileUsage        `json:"usage"`
	Signals            []fileSignal       `json:"signals"`
	ARRHistory         []fileARRPoint     `json:"arr_history"`
	HoursSavedPerWeek  amount             `json:"hours_saved_per_week"`
	HoursSavedPerMonth amount             `json:"hours_saved_per_month"`
	HourlyRate         amount             `json:"hourly_rate"`
	// Value delivered to date and at full adoption (annual, major units),
	// or the hours saved at full adoption.
	ValueDelivered              amount `json:"value_delivered"`
	ValueAtFullAdoption         amount `json:"value_at_full_adoption"`
	HoursAtFullAdoptionPerWeek  amount `json:"hours_at_full_adoption_per_week"`
	HoursAtFullAdoptionPerMonth amount `json:"hours_at_full_adoption_per_month"`
}

type fileStakeholder struct {
	Name        string `json:"name"`
	Email       string `json:"email"`
	Internal    bool   `json:"internal"`
	Role        string `json:"role"`
	Function    string `json:"function"`
	Executive   bool   `json:"executive"`
	Champion    bool   `json:"champion"`
	LastContact string `json:"last_contact"`
	Left        string `json:"left"`
}

type fileUsage struct {
	Date        string `json:"date"`
	ActiveUsers int    `json:"active_users"`
	Usage       int64  `json:"usage"`
	Tickets     int    `json:"tickets"`
}

type fileSignal struct {
	Date string `json:"date"`
	Kind string `json:"kind"`
	Note string `json:"note"`
}

type fileARRPoint struct {
	Date   string `json:"date"`
	ARR    amount `json:"arr"`
	Motion string `json:"motion"`
}

// amount is money in major units as written: a JSON number (120000.5) or
// text (a CSV cell or a JSON string such as "$120,000.50"); it is parsed
// with the row's currency later.
type amount struct {
	text   string
	number bool // a JSON number, whose "." is always the decimal point
}

func textAmount(s string) amount { return amount{text: s} }

func (a amount) parse(currency string) (int64, error) {
	if a.number {
		return domain.ParseMajorNumber(a.text, currency)
	}
	return domain.ParseMajor(a.text, currency)
}

func (a *amount) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*a = amount{}
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		*a = amount{text: s}
		return nil
	}
	*a = amount{text: string(b), number: true}
	return nil
}

const maxFile = 512 << 20

func (im *Importer) addJSON(file string, r *bufio.Reader) {
	data, err := io.ReadAll(io.LimitReader(r, maxFile+1))
	if err != nil {
		im.fail(file, 0, 0, "", "reading: %v", err)
		return
	}
	if len(data) > maxFile {
		im.fail(file, 0, 0, "", "file is larger than %d MiB; split it", maxFile>>20)
		return
	}
	trim := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if len(trim) == 0 {
		im.fail(file, 1, 0, "", "file is empty")
		return
	}
	if trim[0] == '[' {
		im.addJSONArray(file, data, im.addObject)
		return
	}
	addJSONLines(file, data, im.addObject)
}

// addJSONLines adds one object per non-blank line (JSON Lines).
func addJSONLines(file string, data []byte, add func(file string, line int, raw []byte)) {
	for i, line := range bytes.Split(data, []byte{'\n'}) {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		add(file, i+1, line)
	}
}

// addJSONArray adds each object of a JSON array, at the line it starts on,
// and reports an array that is cut short or broken.
func (im *Importer) addJSONArray(file string, data []byte, add func(file string, line int, raw []byte)) {
	dec := json.NewDecoder(bytes.NewReader(data))
	if _, err := dec.Token(); err != nil {
		im.fail(file, 1, 0, "", "not JSON: %v", err)
		return
	}
	for dec.More() {
		start := dec.InputOffset()
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			im.fail(file, lineAt(data, errOffset(err, start, data)), 0, "", "broken JSON: %v", cleanJSONErr(err))
			im.res.Rows++
			im.res.Bad++
			return
		}
		// The object starts after any separator and whitespace.
		off := start + int64(len(data[start:])-len(bytes.TrimLeft(data[start:], ", \t\r\n")))
		add(file, lineAt(data, off), raw)
	}
	if _, err := dec.Token(); err != nil {
		im.fail(file, lineAt(data, dec.InputOffset()), 0, "", "broken JSON: %v", cleanJSONErr(err))
	}
}

// errOffset finds where a decoding error happened: a syntax error knows its
// offset; a truncated file ends at its last byte.
func errOffset(err error, start int64, data []byte) int64 {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return se.Offset
	}
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return int64(len(data))
	}
	return start
}

func cleanJSONErr(err error) string {
	return strings.TrimPrefix(err.Error(), "json: ")
}

func (im *Importer) addObject(file string, line int, raw []byte) {
	im.res.Rows++
	before := len(im.res.Errors)
	var fa fileAccount
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	dec.UseNumber()
	if err := dec.Decode(&fa); err != nil {
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &te):
			im.fail(file, line+bytes.Count(raw[:min(int(te.Offset), len(raw))], []byte{'\n'}), 0, te.Field, "must be a %s, not a JSON %s", kindName(te.Type.Kind().String()), te.Value)
		case strings.Contains(err.Error(), "unknown field"):
			im.fail(file, line, 0, "", "%s (see the README for the field names)", cleanJSONErr(err))
		default:
			im.fail(file, line, 0, "", "not a JSON object: %v", cleanJSONErr(err))
		}
		im.res.Bad++
		return
	}
	p, ok := im.convert(file, line, &fa, nil)
	if !ok || len(im.res.Errors) > before {
		im.res.Bad++
		return
	}
	im.rows = append(im.rows, row{file: file, line: line, p: p})
}

func kindName(k string) string {
	switch k {
	case "int", "int64", "int32":
		return "whole number"
	case "bool":
		return "true or false"
	case "slice":
		return "list"
	}
	return k
}

// convert turns a file account into a patch, reporting problems by field
// (and by column, when colOf can tell a CSV field's column).
func (im *Importer) convert(file string, line int, fa *fileAccount, colOf func(field string) int) (domain.Patch, bool) {
	cur := strings.ToUpper(strings.TrimSpace(fa.Currency))
	if cur == "" {
		cur = im.opt.DefaultCurrency
	}
	c := &rowConverter{im: im, file: file, line: line, colOf: colOf, cur: cur, ok: true}
	a := c.core(fa)
	p := domain.Patch{ID: a.ID, Core: a}
	if fa.Stakeholders != nil {
		p.ReplaceStakeholders = true
		p.Stakeholders = c.stakeholders(*fa.Stakeholders)
		a.Stakeholders = p.Stakeholders
	}
	c.series(fa, a)
	// Validate even after a bad cell, so every problem of the row is reported.
	if !im.validate(file, line, a, c.col) || !c.ok {
		return p, false
	}
	p.Usage, p.Signals = a.Usage, a.Signals
	return p, true
}

// rowConverter parses one row's cells, recording each bad cell against its
// field (and column) and carrying on, so that one pass reports them all.
type rowConverter struct {
	im    *Importer
	file  string
	line  int
	colOf func(field string) int // nil for JSON, which has no columns
	cur   string                 // the row's currency, for parsing money
	ok    bool
}

func (c *rowConverter) col(field string) int {
	if c.colOf == nil {
		return 0
	}
	return c.colOf(field)
}

func (c *rowConverter) bad(field, format string, args ...any) {
	c.im.fail(c.file, c.line, c.col(field), field, format, args...)
	c.ok = false
}

// money parses an amount in the row's currency into minor units; empty is 0.
func (c *rowConverter) money(field string, n amount) int64 {
	if n.text == "" {
		return 0
	}
	v, err := n.parse(c.cur)
	if err != nil {
		c.bad(field, "%s", domain.ErrorMessage(err))
	}
	return v
}

// hours parses a number of hours into hundredths; empty is 0.
func (c *rowConverter) hours(field string, n amount) int64 {
	if n.text == "" {
		return 0
	}
	v, err := n.parse("USD") // two decimals, the same as hundredths of an hour
	if err != nil {
		c.bad(field, "%q is not a number of hours (up to 2 decimals)", n.text)
	}
	return v
}

// date parses a date in the importer's formats; empty is no date.
func (c *rowConverter) date(field, s string) domain.Date {
	if strings.TrimSpace(s) == "" {
		return domain.NoDate
	}
	d, err := c.im.parseDate(strings.TrimSpace(s))
	if err != nil {
		c.bad(field, "%s", domain.ErrorMessage(err))
	}
	return d
}

// core builds the account's own fields: identity, money, ROI and contract dates.
func (c *rowConverter) core(fa *fileAccount) *domain.Account {
	a := &domain.Account{ID: strings.TrimSpace(fa.ID), Name: strings.TrimSpace(fa.Name), Aliases: fa.Aliases, Owner: fa.Owner,
		Currency: c.cur, Plan: fa.Plan, TermMonths: fa.TermMonths,
		SeatsPurchased: fa.SeatsPurchased, SeatsActive: fa.SeatsActive,
		FeaturesAvailable: fa.FeaturesAvailable, FeaturesAdopted: fa.FeaturesAdopted,
		Limits: fa.Limits, BudgetConfirmed: fa.BudgetConfirmed, CompanyGrowing: fa.CompanyGrowing}
	if fa.ARR.text == "" {
		c.bad("arr", "is required (annual recurring revenue in major units, e.g. 120000)")
	}
	a.ARR = c.money("arr", fa.ARR)
	a.ExpansionPotential = c.money("expansion_potential", fa.ExpansionPotential)
	a.HourlyRate = c.money("hourly_rate", fa.HourlyRate)
	a.HoursSavedPerWeek = c.hours("hours_saved_per_week", fa.HoursSavedPerWeek)
	a.HoursSavedPerMonth = c.hours("hours_saved_per_month", fa.HoursSavedPerMonth)
	a.ValueDelivered = c.money("value_delivered", fa.ValueDelivered)
	a.ValueAtFullAdoption = c.money("value_at_full_adoption", fa.ValueAtFullAdoption)
	a.HoursAtFullAdoptionPerWeek = c.hours("hours_at_full_adoption_per_week", fa.HoursAtFullAdoptionPerWeek)
	a.HoursAtFullAdoptionPerMonth = c.hours("hours_at_full_adoption_per_month", fa.HoursAtFullAdoptionPerMonth)
	a.ContractStart = c.date("contract_start", fa.ContractStart)
	a.RenewalDate = c.date("renewal_date", fa.RenewalDate)
	return a
}

// stakeholders converts the listed stakeholders; a present but empty list
// is kept non-nil because it means "replace them with none".
func (c *rowConverter) stakeholders(list []fileStakeholder) []domain.Stakeholder {
	out := []domain.Stakeholder{}
	for i, s := range list {
		f := fmt.Sprintf("stakeholders[%d]", i)
		email := strings.ToLower(strings.TrimSpace(s.Email))
		if email != "" && !domain.ValidEmail(email) {
			c.bad(f+".email", "%q is not an e-mail address (like ana@example.com)", s.Email)
		}
		out = append(out, domain.Stakeholder{Name: strings.TrimSpace(s.Name), Email: email, Internal: s.Internal, Role: s.Role,
			Function: domain.Function(strings.ToLower(strings.TrimSpace(s.Function))), Executive: s.Executive, Champion: s.Champion,
			LastContact: c.date(f+".last_contact", s.LastContact), Left: c.date(f+".left", s.Left)})
	}
	return out
}

// series converts the dated lists: usage snapshots, signals and ARR history.
func (c *rowConverter) series(fa *fileAccount, a *domain.Account) {
	for i, u := range fa.Usage {
		f := fmt.Sprintf("usage[%d]", i)
		d := c.date(f+".date", u.Date)
		if d.IsZero() {
			c.bad(f+".date", "is required")
		}
		a.Usage = append(a.Usage, domain.Snapshot{Date: d, ActiveUsers: u.ActiveUsers, Usage: u.Usage, Tickets: u.Tickets})
	}
	for i, s := range fa.Signals {
		f := fmt.Sprintf("signals[%d]", i)
		a.Signals = append(a.Signals, domain.Signal{Date: c.date(f+".date", s.Date), Kind: domain.SignalKind(strings.ToLower(strings.TrimSpace(s.Kind))), Note: s.Note})
	}
	for i, h := range fa.ARRHistory {
		f := fmt.Sprintf("arr_history[%d]", i)
		a.ARRHistory = append(a.ARRHistory, domain.ARRPoint{Date: c.date(f+".date", h.Date), ARR: c.money(f+".arr", h.ARR), Motion: domain.Motion(h.Motion)})
	}
}
