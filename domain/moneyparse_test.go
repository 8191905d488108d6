package domain

import (
	"strings"
	"testing"
)

// TestParseMajorAsSpreadsheetsWrite: amounts as spreadsheets and people
// export them, with the row's currency deciding the ambiguous cases.
func TestParseMajorAsSpreadsheetsWrite(t *testing.T) {
	tests := []struct {
		in, cur string
		want    int64
		err     string // a part of the error message; "" means no error
	}{
		// currency symbols and codes that match the row
		{"$120,000", "USD", 120_000_00, ""},
		{"$ 120,000.50", "USD", 120_000_50, ""},
		{"-$12.30", "USD", -12_30, ""},
		{"$-12.30", "USD", -12_30, ""},
		{"US$1,000", "USD", 1_000_00, ""},
		{"$1,000", "CAD", 1_000_00, ""},
		{"120000 USD", "USD", 120_000_00, ""},
		{"usd 120000", "USD", 120_000_00, ""},
		{"€ 18.000", "EUR", 18_000_00, ""},
		{"18.000 €", "EUR", 18_000_00, ""},
		{"18.000,50 €", "EUR", 18_000_50, ""},
		{"£10,300", "GBP", 10_300_00, ""},
		{"¥1,000", "JPY", 1000, ""},
		{"1 250 kr", "SEK", 1_250_00, ""},
		{"CHF 1'250.50", "CHF", 1_250_50, ""},
		{"1\u00a0250,50 €", "EUR", 1_250_50, ""},
		// symbols and codes that contradict the row's currency
		{"€ 18.000", "USD", 0, "written with € (EUR) but the row's currency is USD"},
		{"$120,000", "EUR", 0, "written with $"},
		{"120000 GBP", "USD", 0, "is in GBP but the row's currency is USD"},
		{"£5", "EUR", 0, "(GBP)"},
		// the decimal separator by currency
		{"18.000", "EUR", 18_000_00, ""},
		{"18,50", "EUR", 18_50, ""},
		{"18.5", "EUR", 18_50, ""},
		{"1.234.567,89", "EUR", 1_234_567_89, ""},
		{"1,234,567.89", "EUR", 1_234_567_89, ""},
		{"120,000", "EUR", 0, "more than 2 decimals for EUR: expected a number like 120000, 120.000,50"},
		{"120,000", "USD", 120_000_00, ""},
		{"1.000.000", "USD", 1_000_000_00, ""},
		{"1.234", "USD", 0, "more than 2 decimals for USD: expected a number like 120000 or 120,000.50 for USD"},
		{"18,5", "USD", 0, "not a number: expected a number like 120000 or 120,000.50 for USD"},
		{"1,2,3", "USD", 0, "not a number"},
		{"12,34.5", "USD", 0, "not a number"},
		{"1_000", "USD", 1_000_00, ""},
		{"10.5", "JPY", 0, "JPY has no minor unit: expected a whole number like 120000 or 120,000 for JPY"},
		// plain numbers, as before
		{"750000", "USD", 750_000_00, ""},
		{"1,250.50", "USD", 1_250_50, ""},
		{"-12.3", "GBP", -12_30, ""},
		{".5", "USD", 50, ""},
		{"+7", "USD", 7_00, ""},
		// not money
		{"12a", "USD", 0, `"12a" is not a number: expected a number like 120000`},
		{"12 dollars", "USD", 0, "not a number"},
		{"$", "USD", 0, "not a number"},
		{"", "USD", 0, "empty amount: expected"},
		{".", "USD", 0, "not a number"},
		{"1..0", "USD", 0, "not a number"},
		{"99999999999999999999", "USD", 0, "too large"},
	}
	for _, tt := range tests {
		got, err := ParseMajor(tt.in, tt.cur)
		switch {
		case tt.err == "" && (err != nil || got != tt.want):
			t.Errorf("ParseMajor(%q, %s) = %d, %v; want %d", tt.in, tt.cur, got, err, tt.want)
		case tt.err != "" && (err == nil || !strings.Contains(ErrorMessage(err), tt.err)):
			t.Errorf("ParseMajor(%q, %s) = %d, %v; want an error containing %q", tt.in, tt.cur, got, err, tt.err)
		}
	}
}

// TestParseMajorNumber: a JSON number's "." is the decimal point in every
// currency, so 1.250 EUR is not read as 1250.
func TestParseMajorNumber(t *testing.T) {
	tests := []struct {
		in, cur string
		want    int64
		err     bool
	}{
		{"120000.5", "EUR", 120_000_50, false},
		{"1.25", "EUR", 1_25, false},
		{"1.250", "EUR", 0, true},
		{"-3", "USD", -3_00, false},
		{"1e5", "USD", 0, true},
		{"1000", "JPY", 1000, false},
	}
	for _, tt := range tests {
		got, err := ParseMajorNumber(tt.in, tt.cur)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseMajorNumber(%q, %s) = %d, %v; want %d, err %v", tt.in, tt.cur, got, err, tt.want, tt.err)
		}
	}
}

// FuzzParseMajor: no input panics, and an accepted amount written back as
// a plain decimal parses to the same value.
func FuzzParseMajor(f *testing.F) {
	for _, s := range []string{"$120,000", "€ 18.000", "18.000,50 €", "120000 USD", "-£12.30", "1'000.50", ".5", "kr 1 250", "US$-1", "1.2.3,4"} {
		f.Add(s, "EUR")
		f.Add(s, "USD")
	}
	f.Fuzz(func(t *testing.T, s, cur string) {
		v, err := ParseMajor(s, cur)
		if err != nil {
			return
		}
		back, err := ParseMajorNumber(MajorString(v, cur), cur)
		if err != nil || back != v {
			t.Fatalf("ParseMajor(%q, %q) = %d, but %q parses to %d, %v", s, cur, v, MajorString(v, cur), back, err)
		}
	})
}
