package importer

import (
	"bufio"
	"reflect"
	"strings"
	"testing"
)

func TestMappingParse(t *testing.T) {
	tests := []struct {
		in      string
		want    Mapping
		wantErr string
	}{
		{"Account Name=name,ARR (USD)=arr", Mapping{"Account Name": "name", "ARR (USD)": "arr"}, ""},
		{"Revenue, USD=arr, Owner = OWNER ", Mapping{"Revenue, USD": "arr", "Owner": "owner"}, ""},
		{"Lifecycle Stage=-", Mapping{"Lifecycle Stage": "-"}, ""},
		{"Account Name=nmae", nil, "unknown field \"nmae\" (did you mean `name`?)"},
		{"Account Name=", nil, "no field after =; name one of"},
		{"=name", nil, "the header before = is empty"},
		{"Account Name", nil, `"Account Name" has no "=field"`},
		{"Name=name,name=id", nil, `header "name" is mapped twice`},
	}
	for _, tt := range tests {
		m := Mapping{}
		err := m.Parse(tt.in)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("Parse(%q) error = %v, want %q", tt.in, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(m, tt.want) {
			t.Errorf("Parse(%q) = %v, %v; want %v", tt.in, m, err, tt.want)
		}
	}
}

func TestReadMappingFile(t *testing.T) {
	tests := []struct {
		name, data string
		want       Mapping
		wantErr    string
	}{
		{"m.yaml", "Account Name: name\n\"ARR: USD\": arr\n", Mapping{"Account Name": "name", "ARR: USD": "arr"}, ""},
		{"m.yml", "", Mapping{}, ""},
		{"m.txt", "\ufeff# comment\n\nAccount Name=name\r\nA=B=arr\n", Mapping{"Account Name": "name", "A=B": "arr"}, ""},
		{"m.yaml", "- name\n", nil, `want lines of "Header Name: field"`},
		{"m.yaml", "A: [name]\n", nil, "m.yaml:1: want"},
		{"m.yaml", "A: name\nB: revenue\n", nil, `m.yaml:2: --map "B=revenue": unknown field "revenue"`},
		{"m.map", "A=name\nB: arr\n", nil, `m.map:2: "B: arr" has no "="; write "Header Name=field" (or name the file .yaml)`},
	}
	for _, tt := range tests {
		m, err := ReadMappingFile(tt.name, []byte(tt.data))
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s %q: error = %v, want %q", tt.name, tt.data, err, tt.wantErr)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(m, tt.want) {
			t.Errorf("%s %q = %v, %v; want %v", tt.name, tt.data, m, err, tt.want)
		}
	}
}

func TestParseDateLayout(t *testing.T) {
	good := map[string]string{
		"01/02/2006": "01/02/2006", "MM/DD/YYYY": "01/02/2006", "mm/dd/yyyy": "01/02/2006", "DD.MM.YYYY": "02.01.2006",
		"YYYY-MM-DD": "2006-01-02", "M/D/YY": "1/2/06", "DD MMM YYYY": "02 Jan 2006", "2006-01-02 15:04": "2006-01-02 15:04",
		"Jan 2, 2006": "Jan 2, 2006",
	}
	for in, want := range good {
		if got, err := ParseDateLayout(in); err != nil || got != want {
			t.Errorf("ParseDateLayout(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "MM/YYYY", "DD.MM", "2006", "01/01/2006", "YYYY/MM", "banana"} {
		if _, err := ParseDateLayout(bad); err == nil || !strings.Contains(err.Error(), "such as 01/02/2006") {
			t.Errorf("ParseDateLayout(%q) error = %v", bad, err)
		}
	}
}

func TestParseDelimiter(t *testing.T) {
	for in, want := range map[string]rune{";": ';', "|": '|', `\t`: '\t', "tab": '\t', "TAB": '\t', "\t": '\t', "¦": '¦'} {
		if got, err := ParseDelimiter(in); err != nil || got != want {
			t.Errorf("ParseDelimiter(%q) = %q, %v", in, got, err)
		}
	}
	for _, bad := range []string{";;", "", `"`, "\n", "ab", "\xff"} {
		if _, err := ParseDelimiter(bad); err == nil || !strings.Contains(err.Error(), "want exactly one character") {
			t.Errorf("ParseDelimiter(%q) error = %v", bad, err)
		}
	}
}

func TestSniffComma(t *testing.T) {
	for in, want := range map[string]rune{
		"a,b;c\n": ',', "a;b;c\nx,y": ';', "a\tb\tc\n": '\t', "\"x,y\";b\n": ';', "abc\n": ',', "a;b\tc\td\n": '\t',
	} {
		if got := sniffComma(bufioReader(in)); got != want {
			t.Errorf("sniffComma(%q) = %q, want %q", in, got, want)
		}
	}
}

func bufioReader(s string) *bufio.Reader { return bufio.NewReader(strings.NewReader(s)) }

func TestEditDistance(t *testing.T) {
	for _, c := range []struct {
		a, b string
		want int
	}{{"nmae", "name", 1}, {"kitten", "sitting", 3}, {"", "abc", 3}, {"arr", "arr", 0}, {"acount_name", "account_name", 1}} {
		if got := editDistance(c.a, c.b); got != c.want {
			t.Errorf("editDistance(%q, %q) = %d, want %d", c.a, c.b, got, c.want)
		}
	}
}
