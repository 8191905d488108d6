package importer

import (
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Mapping renames CSV header cells to field names: {"Account Name": "name"}.
// A field of "-" skips that column (a CRM export carries many columns
// AccountBot has no use for). Headers match ignoring case and surrounding
// spaces.
type Mapping map[string]string

// Skip is the mapping target that leaves a column out.
const Skip = "-"

// allFields are the column names of every CSV kind, sorted.
var allFields = func() []string {
	var fs []string
	for _, cols := range csvColumns {
		for _, c := range cols {
			if !slices.Contains(fs, c) {
				fs = append(fs, c)
			}
		}
	}
	sort.Strings(fs)
	return fs
}()

// Add records header=field, refusing an unknown field or a header mapped twice.
func (m Mapping) Add(header, field string) error {
	header, field = strings.TrimSpace(header), strings.ToLower(strings.TrimSpace(field))
	if header == "" {
		return fmt.Errorf("--map %q: the header before = is empty; write \"Header Name=field\"", header+"="+field)
	}
	if field == "" {
		return fmt.Errorf("--map %q: no field after =; name one of %s, or %s to skip the column", header+"=", strings.Join(allFields, ", "), Skip)
	}
	if field != Skip && !slices.Contains(allFields, field) {
		hint := ""
		if close := closeFields(field, allFields); len(close) > 0 {
			hint = " (did you mean " + quoteList(close) + "?)"
		}
		return fmt.Errorf("--map %q: unknown field %q%s; the fields are %s, or %s to skip the column", header+"="+field, field, hint, strings.Join(allFields, ", "), Skip)
	}
	for h := range m {
		if strings.EqualFold(h, header) {
			return fmt.Errorf("--map: header %q is mapped twice; keep one", header)
		}
	}
	m[header] = field
	return nil
}

// Parse adds "Header=field,Other Header=field" to m. Field names never
// hold "," or "=", so a piece without "=" belongs to the previous header
// ("Revenue, USD=arr"), and the last "=" of a piece separates the field.
func (m Mapping) Parse(s string) error {
	var pending string
	for piece := range strings.SplitSeq(s, ",") {
		if pending != "" {
			piece = pending + "," + piece
		}
		i := strings.LastIndex(piece, "=")
		if i < 0 {
			pending = piece
			continue
		}
		pending = ""
		if err := m.Add(piece[:i], piece[i+1:]); err != nil {
			return err
		}
	}
	if strings.TrimSpace(pending) != "" {
		return fmt.Errorf("--map: %q has no \"=field\"; write \"Header Name=field\" pairs separated by commas", strings.TrimSpace(pending))
	}
	return nil
}

// ReadMappingFile parses a mapping file: YAML ("Account Name: name") when
// its name ends in .yaml or .yml, otherwise one "Header=field" a line, with
// blank lines and lines starting with # ignored.
func ReadMappingFile(name string, data []byte) (Mapping, error) {
	m := Mapping{}
	if ext := strings.ToLower(filepath.Ext(name)); ext == ".yaml" || ext == ".yml" {
		var pairs yaml.Node
		if err := yaml.Unmarshal(data, &pairs); err != nil {
			return nil, fmt.Errorf("mapping file %s: %v", name, err)
		}
		if len(pairs.Content) == 0 {
			return m, nil
		}
		doc := pairs.Content[0]
		if doc.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("mapping file %s: want lines of \"Header Name: field\"", name)
		}
		for i := 0; i+1 < len(doc.Content); i += 2 {
			k, v := doc.Content[i], doc.Content[i+1]
			if k.Kind != yaml.ScalarNode || v.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("mapping file %s:%d: want \"Header Name: field\"", name, k.Line)
			}
			if err := m.Add(k.Value, v.Value); err != nil {
				return nil, fmt.Errorf("mapping file %s:%d: %v", name, k.Line, err)
			}
		}
		return m, nil
	}
	for i, line := range strings.Split(strings.TrimPrefix(string(data), "\ufeff"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		j := strings.LastIndex(line, "=")
		if j < 0 {
			return nil, fmt.Errorf("mapping file %s:%d: %q has no \"=\"; write \"Header Name=field\" (or name the file .yaml)", name, i+1, line)
		}
		if err := m.Add(line[:j], line[j+1:]); err != nil {
			return nil, fmt.Errorf("mapping file %s:%d: %v", name, i+1, err)
		}
	}
	return m, nil
}

// dateSpellings translates the spellings people write (MM/DD/YYYY) into Go
// layout pieces, longest first so YYYY is not read as two YY.
var dateSpellings = []struct{ from, to string }{
	{"YYYY", "2006"}, {"MMMM", "January"}, {"MMM", "Jan"}, {"DD", "02"}, {"MM", "01"}, {"YY", "06"}, {"D", "2"}, {"M", "1"},
}

// ParseDateLayout accepts a Go layout ("01/02/2006") or a common spelling
// (MM/DD/YYYY, DD.MM.YYYY, YYYY-MM-DD, M/D/YY, DD MMM YYYY) and returns the
// Go layout, refusing one that cannot carry a whole date.
func ParseDateLayout(s string) (string, error) {
	s = strings.TrimSpace(s)
	layout := s
	if strings.ContainsAny(s, "YDyd") && !strings.Contains(s, "2006") && !strings.Contains(s, "Jan") {
		var out strings.Builder
		for i := 0; i < len(s); {
			matched := false
			for _, sp := range dateSpellings {
				// Byte-wise, so text that is not UTF-8 cannot shift the index.
				if n := len(sp.from); len(s)-i >= n && strings.EqualFold(s[i:i+n], sp.from) {
					out.WriteString(sp.to)
					i, matched = i+n, true
					break
				}
			}
			if !matched {
				out.WriteByte(s[i])
				i++
			}
		}
		layout = out.String()
	}
	// A layout that carries a year, a month and a day gives back a date
	// whose day cannot be mistaken for its month.
	ref := time.Date(2031, 11, 23, 0, 0, 0, 0, time.UTC)
	if back, err := time.Parse(layout, ref.Format(layout)); s == "" || err != nil || !back.Equal(ref) {
		return "", fmt.Errorf("--date-format %q does not spell a whole date: write a Go layout such as 01/02/2006 or a spelling such as MM/DD/YYYY, DD.MM.YYYY or YYYY-MM-DD (year, month and day)", s)
	}
	return layout, nil
}

// ParseDelimiter accepts one character, or "tab" / "\t".
func ParseDelimiter(s string) (rune, error) {
	switch strings.ToLower(s) {
	case `\t`, "tab":
		return '\t', nil
	}
	r, n := utf8.DecodeRuneInString(s)
	if n == 0 || n != len(s) || r == utf8.RuneError || r == '"' || r == '\r' || r == '\n' {
		return 0, fmt.Errorf("--delimiter %q: want exactly one character other than a quote or newline, such as ';', '|' or tab (written \\t or tab)", s)
	}
	return r, nil
}

// crmNames are header spellings CRM exports use, pointing at the field a
// user most likely means; they only feed suggestions, never a silent mapping.
var crmNames = map[string]string{
	"account_name": "name", "company_name": "name", "company": "name", "account": "name",
	"account_owner": "owner", "company_owner": "owner", "owner_email": "owner", "csm": "owner",
	"annual_revenue": "arr", "annual_recurring_revenue": "arr", "arr_usd": "arr", "revenue": "arr",
	"account_id": "id", "record_id": "id", "company_id": "id", "renewal": "renewal_date",
	"contract_end_date": "renewal_date", "contract_start_date": "contract_start", "seats": "seats_purchased",
}

var crmKeys = func() []string {
	ks := make([]string, 0, len(crmNames))
	for k := range crmNames {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}()

// normalize lowers a header and turns every run of other characters into
// one "_": "ARR (USD)" → "arr_usd".
func normalize(s string) string {
	var b strings.Builder
	under := false
	for _, r := range strings.ToLower(strings.TrimSpace(s)) {
		if (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
			under = false
		} else if !under && b.Len() > 0 {
			b.WriteByte('_')
			under = true
		}
	}
	return strings.TrimSuffix(b.String(), "_")
}

// closeFields names the fields a header probably means: equal once
// normalised, a CRM spelling, a small edit away, or one word of it.
func closeFields(header string, fields []string) []string {
	n := normalize(header)
	var out []string
	add := func(f string) {
		if slices.Contains(fields, f) && !slices.Contains(out, f) && len(out) < 3 {
			out = append(out, f)
		}
	}
	for _, f := range fields {
		if n == f {
			add(f)
		}
	}
	add(crmNames[n])
	// The fields fewest edits away, within about a quarter of their length.
	best, near := 1<<30, []string(nil)
	for _, f := range fields {
		d := editDistance(n, f)
		if d > max(1, len(f)/4) {
			continue
		}
		if d < best {
			best, near = d, near[:0]
		}
		if d == best {
			near = append(near, f)
		}
	}
	for _, f := range near {
		add(f)
	}
	for _, f := range fields {
		if len(f) >= 3 && (strings.HasSuffix(n, "_"+f) || strings.HasPrefix(n, f+"_")) {
			add(f)
		}
	}
	// "Acount Name": a word one edit from a CRM spelling.
	for _, name := range crmKeys {
		if editDistance(n, name) <= max(1, len(name)/6) {
			add(crmNames[name])
		}
	}
	return out
}

// editDistance counts the insertions, deletions, substitutions and swaps
// of neighbours turning a into b (in bytes: headers are short).
func editDistance(a, b string) int {
	rows := [3][]int{make([]int, len(b)+1), make([]int, len(b)+1), make([]int, len(b)+1)}
	for j := range rows[1] {
		rows[1][j] = j
	}
	for i := 1; i <= len(a); i++ {
		pp, prev, cur := rows[0], rows[1], rows[2]
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
			if i > 1 && j > 1 && a[i-1] == b[j-2] && a[i-2] == b[j-1] {
				cur[j] = min(cur[j], pp[j-2]+1)
			}
		}
		rows[0], rows[1], rows[2] = prev, cur, pp
	}
	return rows[1][len(b)]
}

func quoteList(fs []string) string {
	q := make([]string, len(fs))
	for i, f := range fs {
		q[i] = "`" + f + "`"
	}
	return strings.Join(q, " or ")
}
