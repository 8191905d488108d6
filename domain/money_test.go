package domain

import (
	"encoding/json"
	"testing"
)

func TestParseMajor(t *testing.T) {
	tests := []struct {
		in, cur string
		want    int64
		err     bool
	}{
		{"750000", "USD", 75_000_000, false},
		{"1,250.50", "USD", 125_050, false},
		{"-12.3", "GBP", -1230, false},
		{".5", "USD", 50, false},
		{"1000", "JPY", 1000, false},
		{"10.5", "JPY", 0, true},
		{"1.234", "USD", 0, true},
		{"12a", "USD", 0, true},
		{"", "USD", 0, true},
		{".", "USD", 0, true},
		{"99999999999999999999", "USD", 0, true},
	}
	for _, tt := range tests {
		got, err := ParseMajor(tt.in, tt.cur)
		if (err != nil) != tt.err || got != tt.want {
			t.Errorf("ParseMajor(%q,%s) = %d, %v; want %d, err %v", tt.in, tt.cur, got, err, tt.want, tt.err)
		}
	}
}

func TestMoneyFormat(t *testing.T) {
	tests := []struct {
		m           Money
		full, short string
	}{
		{Money{75_000_000, "USD"}, "$750,000", "$750K"},
		{Money{1_030_000, "GBP"}, "£10,300", "£10.3K"},
		{Money{120_000_000, "USD"}, "$1,200,000", "$1.2M"},
		{Money{-5050, "EUR"}, "-€50.50", "-€50.50"},
		{Money{120_000, "CHF"}, "1,200 CHF", "1.2K CHF"},
		{Money{5000, "JPY"}, "¥5,000", "¥5K"},
		// At least three significant figures: the seed's 3 × $750K.
		{Money{225_000_000, "USD"}, "$2,250,000", "$2.25M"},
		{Money{67_234_500, "USD"}, "$672,345", "$672K"},
		{Money{120_040_000, "USD"}, "$1,200,400", "$1.20M"},
		{Money{1_234_500, "USD"}, "$12,345", "$12.3K"},
		{Money{99_999_900, "USD"}, "$999,999", "$1.00M"},
		{Money{270_000_000, "USD"}, "$2,700,000", "$2.7M"},
		{Money{32_640_000, "USD"}, "$326,400", "$326K"},
		{Money{-225_000_000, "USD"}, "-$2,250,000", "-$2.25M"},
		{Money{450_000_000_000, "USD"}, "$4,500,000,000", "$4.5B"},
	}
	for _, tt := range tests {
		if got := tt.m.Format(); got != tt.full {
			t.Errorf("Format(%v) = %q, want %q", tt.m, got, tt.full)
		}
		if got := tt.m.Short(); got != tt.short {
			t.Errorf("Short(%v) = %q, want %q", tt.m, got, tt.short)
		}
	}
	if got := MajorString(125_050, "USD"); got != "1250.50" {
		t.Errorf("MajorString = %q", got)
	}
}

func TestMulDiv(t *testing.T) {
	tests := []struct{ a, b, c, want int64 }{
		{10, 1, 4, 3}, // 2.5 rounds away from zero
		{-10, 1, 4, -3},
		{7, 1, 3, 2},
		{1 << 40, 1 << 20, 1 << 30, 1 << 30}, // big path
		{5, 5, 0, 0},
	}
	for _, tt := range tests {
		if got := MulDiv(tt.a, tt.b, tt.c); got != tt.want {
			t.Errorf("MulDiv(%d,%d,%d) = %d, want %d", tt.a, tt.b, tt.c, got, tt.want)
		}
	}
}

func TestDate(t *testing.T) {
	d := MustDate("2026-01-31")
	if got := d.AddMonths(1).String(); got != "2026-02-28" {
		t.Errorf("AddMonths clamp = %s", got)
	}
	if got := MustDate("2026-03-01").DaysUntil(MustDate("2026-02-27")); got != -2 {
		t.Errorf("DaysUntil = %d", got)
	}
	var zero Date
	if !zero.IsZero() || zero.String() != "" {
		t.Error("zero date must be unset")
	}
	var s struct{ D, E Date }
	if err := json.Unmarshal([]byte(`{"D":"1970-01-01"}`), &s); err != nil || s.D.IsZero() || !s.E.IsZero() {
		t.Errorf("json: %v %v %v", err, s.D, s.E)
	}
	b, _ := json.Marshal(s)
	if string(b) != `{"D":"1970-01-01","E":null}` {
		t.Errorf("marshal = %s", b)
	}
	if _, err := ParseDate("2026-13-01"); ErrorCode(err) != EINVALID {
		t.Errorf("bad date err = %v", err)
	}
	if MustDate("1969-12-31") >= MustDate("1970-01-01") || MustDate("1969-12-31") <= 0 {
		t.Error("dates must stay positive and ordered")
	}
}

func TestErrorHelpers(t *testing.T) {
	err := Errorf(ENOTFOUND, "no account %q", "x")
	if ErrorCode(err) != ENOTFOUND || ErrorMessage(err) != `no account "x"` {
		t.Errorf("got %q %q", ErrorCode(err), ErrorMessage(err))
	}
	other := json.Unmarshal([]byte("{"), &struct{}{})
	if ErrorCode(other) != EINTERNAL || ErrorMessage(other) == other.Error() {
		t.Error("internal errors must not leak their text")
	}
}

func TestDateJSONFastPathAgreesWithParse(t *testing.T) {
	for _, s := range []string{"2026-02-28", "2024-02-29", "1999-12-31", "2026-02-30", "2025-02-29", "2026-13-01", "2026-1-01", "abcd-ef-gh"} {
		var d Date
		err := d.UnmarshalJSON([]byte(`"` + s + `"`))
		want, werr := ParseDate(s)
		if (err == nil) != (werr == nil) || (err == nil && d != want) {
			t.Errorf("%s: %v %v; ParseDate %v %v", s, d, err, want, werr)
		}
	}
}
