package importer

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/text/encoding/unicode"

	"github.com/accountbot/accountbot/domain"
)

// importCRM imports testdata/crm files with the options the README shows.
func importCRM(t *testing.T, opt Options, files ...string) Result {
	t.Helper()
	im := New(opt)
	for _, f := range files {
		b, err := os.ReadFile(filepath.Join("testdata", "crm", f))
		if err != nil {
			t.Fatal(err)
		}
		im.Add(f, bytes.NewReader(b))
	}
	return im.Finish(nil)
}

func mustMap(t *testing.T, s string) Mapping {
	t.Helper()
	m := Mapping{}
	if err := m.Parse(s); err != nil {
		t.Fatal(err)
	}
	return m
}

func mustLayout(t *testing.T, s string) string {
	t.Helper()
	l, err := ParseDateLayout(s)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func mustMapFile(t *testing.T, name string) Mapping {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "crm", name))
	if err != nil {
		t.Fatal(err)
	}
	m, err := ReadMappingFile(name, b)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

type wantAccount struct {
	id, name, owner, currency string
	arr                       int64
	start, renewal            string
	seats                     int
}

func checkAccounts(t *testing.T, res Result, want []wantAccount) {
	t.Helper()
	if len(res.Errors) != 0 {
		t.Fatalf("errors: %v", res.Errors)
	}
	if len(res.Patches) != len(want) {
		t.Fatalf("patches = %d, want %d", len(res.Patches), len(want))
	}
	byID := map[string]*domain.Account{}
	for _, p := range res.Patches {
		byID[p.ID] = p.Core
	}
	for _, w := range want {
		a := byID[w.id]
		if a == nil {
			t.Errorf("no account %q", w.id)
			continue
		}
		renewal := domain.NoDate
		if w.renewal != "" {
			renewal = domain.MustDate(w.renewal)
		}
		if a.Name != w.name || a.Owner != w.owner || a.Currency != w.currency || a.ARR != w.arr ||
			a.ContractStart != dateOr(w.start) || a.RenewalDate != renewal || a.SeatsPurchased != w.seats {
			t.Errorf("%s = name %q owner %q %s %d start %s renewal %s seats %d; want %+v", w.id, a.Name, a.Owner, a.Currency, a.ARR,
				a.ContractStart, a.RenewalDate, a.SeatsPurchased, w)
		}
	}
}

func dateOr(s string) domain.Date {
	if s == "" {
		return domain.NoDate
	}
	return domain.MustDate(s)
}

func TestSalesforceReportExport(t *testing.T) {
	res := importCRM(t, Options{
		Map: mustMap(t, "Account Name=name,Account ID=id,Account Owner Email=owner,Annual Revenue=arr,Customer Since=contract_start,"+
			"Renewal Date=renewal_date,Account Owner=-,Type=-,Billing State/Province=-"),
		DateLayout: mustLayout(t, "MM/DD/YYYY"),
	}, "salesforce_accounts.csv")
	checkAccounts(t, res, []wantAccount{
		{"0015g00000XyZAbAAN", "Globex Corporation", "dana@example.com", "USD", 240_000_00, "2024-03-15", "2026-12-31", 0},
		{"0015g00000XyZAcAAN", "Initech, Inc.", "marco@example.com", "USD", 86_500_00, "2025-11-01", "2026-10-31", 0},
		{"0015g00000XyZAdAAN", "Umbrella Health", "dana@example.com", "USD", 1_200_000_50, "2023-01-02", "2027-01-01", 0},
	})
}

func TestHubSpotExport(t *testing.T) {
	res := importCRM(t, Options{Map: mustMapFile(t, "hubspot.map"), DateLayout: mustLayout(t, "2006-01-02 15:04")}, "hubspot_companies.csv")
	checkAccounts(t, res, []wantAccount{
		{"9876543210", "Hooli", "", "USD", 180_000_00, "2024-03-15", "2026-09-30", 0},
		{"9876543211", "Pied Piper", "", "USD", 42_000_75, "2025-06-01", "2027-05-31", 0},
		{"9876543212", "Raviga Capital, LLC", "", "USD", 96_000_00, "2023-11-20", "", 0},
	})
}

// Excel's "CSV UTF-16" / "Unicode Text": tab-separated UTF-16LE with a BOM;
// the tab is found without --delimiter. The same text in UTF-16BE too.
func TestExcelUTF16Export(t *testing.T) {
	opt := Options{Map: mustMap(t, "Account=name,Account ID=id,ARR=arr,Currency=currency,Renewal=renewal_date,Seats=seats_purchased"),
		DateLayout: mustLayout(t, "DD/MM/YYYY")}
	want := []wantAccount{
		{"sg-ops", "Société Générale Ops", "", "EUR", 64_000_00, "", "2027-06-30", 60},
		{"lodz", "Łódź Logistics", "", "PLN", 12_500_00, "", "2027-02-15", 12},
		{"tokyo-data", "東京データ株式会社", "", "JPY", 3_600_000, "", "2027-04-01", 200},
	}
	checkAccounts(t, importCRM(t, opt, "excel_unicode.csv"), want)

	le, _ := os.ReadFile(filepath.Join("testdata", "crm", "excel_unicode.csv"))
	text, err := unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder().Bytes(le)
	if err != nil {
		t.Fatal(err)
	}
	be, err := unicode.UTF16(unicode.BigEndian, unicode.UseBOM).NewEncoder().Bytes(text)
	if err != nil || be[0] != 0xFE || be[1] != 0xFF {
		t.Fatalf("encoding BE: %v % x", err, be[:2])
	}
	im := New(opt)
	im.Add("be.txt", bytes.NewReader(be))
	checkAccounts(t, im.Finish(nil), want)
}

// A European semicolon export (UTF-8 with BOM): "€ 18.000", DD.MM.YYYY,
// found with and without --delimiter ';'.
func TestEuropeanSemicolonExport(t *testing.T) {
	want := []wantAccount{
		{"DE-1001", "Müller & Söhne GmbH", "anna.schmidt@example.com", "EUR", 18_000_00, "2025-04-01", "2027-03-31", 25},
		{"DE-1002", "Bäckerei Weiß, Köln", "jan.becker@example.com", "EUR", 7_450_50, "2026-01-15", "2027-01-14", 8},
		{"AT-2001", "Österreichische Post-Logistik", "anna.schmidt@example.com", "EUR", 125_000_00, "2024-10-01", "2026-09-30", 140},
	}
	for _, comma := range []rune{0, ';'} {
		res := importCRM(t, Options{DefaultCurrency: "EUR", Map: mustMapFile(t, "europe.yaml"), DateLayout: mustLayout(t, "DD.MM.YYYY"), Comma: comma},
			"europe_kunden.csv")
		checkAccounts(t, res, want)
	}
	// Without the mapping every header is named, each with a way out.
	res := importCRM(t, Options{DefaultCurrency: "EUR"}, "europe_kunden.csv")
	all := errorText(res)
	for _, w := range []string{"europe_kunden.csv:1: cannot tell what this CSV holds", `europe_kunden.csv:1:1: Kundennummer: matches no field: map it with --map "Kundennummer=field"`} {
		if !strings.Contains(all, w) {
			t.Errorf("missing %q in:\n%s", w, all)
		}
	}
}

func errorText(res Result) string {
	var got []string
	for _, e := range res.Errors {
		got = append(got, e.String())
	}
	return strings.Join(got, "\n")
}

// An unmapped header that matches no field is an error naming the close
// fields and the --map that would fix it.
func TestUnknownHeaderSuggestions(t *testing.T) {
	tests := []struct {
		name, csv string
		opt       Options
		want      []string
	}{
		{"typo of a CRM name", "id,Acount Name,arr\na,A,1\n", Options{},
			[]string{"1:4: Acount Name: matches no field: ", "did you mean `name`? (or map it with --map \"Acount Name=name\")"}},
		{"spaces and case", "id,name,arr,Renewal Date\na,A,1,2026-01-01\n", Options{}, []string{"did you mean `renewal_date`?"}},
		{"small typo", "id,name,arr,renwal_date\na,A,1,2026-01-01\n", Options{}, []string{"did you mean `renewal_date`?"}},
		{"salesforce without a map", "Account Name,Annual Revenue\nA,1\n", Options{},
			[]string{"cannot tell what this CSV holds", "1:1: Account Name: matches no field: did you mean `name`?", "1:14: Annual Revenue: matches no field: did you mean `arr`?"}},
		{"nothing close", "id,name,arr,Lifecycle Stage\na,A,1,x\n", Options{}, []string{`skip it with --map "Lifecycle Stage=-"`}},
		{"two headers mapped to one field", "id,name,arr,ARR (USD)\na,A,1,2\n", Options{Map: Mapping{"ARR (USD)": "arr"}},
			[]string{`ARR (USD): maps to "arr", which another column already gives`}},
		{"mapped header missing from every file", "id,name,arr\na,A,1\n", Options{Map: Mapping{"Acct Name": "name"}},
			[]string{`--map: header "Acct Name" is in no CSV file of this import; fix its spelling or drop it (headers seen: id, name, arr)`}},
		{"bad date for the layout", "id,name,arr,renewal_date\na,A,1,31/12/2026\n", Options{DateLayout: "01/02/2006"},
			[]string{`renewal_date: date "31/12/2026" matches neither --date-format 01/02/2006 nor YYYY-MM-DD`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			im := New(tt.opt)
			im.Add("f.csv", strings.NewReader(tt.csv))
			all := errorText(im.Finish(nil))
			for _, w := range tt.want {
				if !strings.Contains(all, w) {
					t.Errorf("missing %q in:\n%s", w, all)
				}
			}
		})
	}
}

// --map with only JSON files: mapping is CSV-only, and says so.
func TestMapIsCSVOnly(t *testing.T) {
	im := New(Options{Map: Mapping{"Company": "name"}})
	im.Add("a.json", strings.NewReader(`[{"id":"a","name":"A","arr":1}]`))
	if all := errorText(im.Finish(nil)); !strings.Contains(all, "--map renames CSV headers only") {
		t.Errorf("got %s", all)
	}
}

// --date-format applies to JSON dates too, with YYYY-MM-DD still accepted.
func TestDateLayoutInJSON(t *testing.T) {
	im := New(Options{DateLayout: mustLayout(t, "DD.MM.YYYY")})
	im.Add("a.json", strings.NewReader(`[{"id":"a","name":"A","arr":1,"renewal_date":"31.12.2026","contract_start":"2026-01-01"}]`))
	res := im.Finish(nil)
	if len(res.Errors) != 0 || res.Patches[0].Core.RenewalDate != domain.MustDate("2026-12-31") || res.Patches[0].Core.ContractStart != domain.MustDate("2026-01-01") {
		t.Errorf("%+v %v", res.Patches, res.Errors)
	}
}

// JSON Lines saved as UTF-16 (PowerShell's default) is decoded as well.
func TestUTF16JSON(t *testing.T) {
	data, err := unicode.UTF16(unicode.LittleEndian, unicode.UseBOM).NewEncoder().Bytes([]byte(`{"id":"z","name":"Zürich AG","arr":"CHF 5'000","currency":"CHF"}` + "\n"))
	if err != nil {
		t.Fatal(err)
	}
	im := New(Options{})
	im.Add("z.jsonl", bytes.NewReader(data))
	res := im.Finish(nil)
	if len(res.Errors) != 0 || len(res.Patches) != 1 || res.Patches[0].Core.Name != "Zürich AG" || res.Patches[0].Core.ARR != 5_000_00 {
		t.Errorf("%+v %v", res.Patches, res.Errors)
	}
}
