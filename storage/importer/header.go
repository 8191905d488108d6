package importer

import (
	"bufio"
	"fmt"
	"sort"
	"strings"
	"time"

	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"

	"github.com/accountbot/accountbot/domain"
)

// decodeUTF16 turns a UTF-16 file with a byte-order mark (Excel's "Unicode
// Text" and "CSV UTF-16") into UTF-8; anything else passes untouched, so
// the common case pays nothing.
func decodeUTF16(br *bufio.Reader) *bufio.Reader {
	b, _ := br.Peek(2)
	if len(b) == 2 && (b[0] == 0xFF && b[1] == 0xFE || b[0] == 0xFE && b[1] == 0xFF) {
		return bufio.NewReader(transform.NewReader(br, unicode.BOMOverride(unicode.UTF8.NewDecoder())))
	}
	return br
}

// sniffComma picks the separator of a file whose header line has no comma
// outside quotes: ";" (European spreadsheets) or tab, whichever it has more of.
func sniffComma(br *bufio.Reader) rune {
	b, _ := br.Peek(br.Size())
	var commas, semis, tabs int
	quoted := false
scan:
	for _, c := range b {
		switch {
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '\n':
			break scan
		case c == ',':
			commas++
		case c == ';':
			semis++
		case c == '\t':
			tabs++
		}
	}
	switch {
	case commas > 0 || semis+tabs == 0:
		return ','
	case tabs > semis:
		return '\t'
	}
	return ';'
}

// mapHeader renames header cells in place: a mapped header becomes its
// field ("-" for a skipped column), any other is lowered and trimmed.
func (im *Importer) mapHeader(header []string) (orig []string) {
	orig = make([]string, len(header))
	for i, h := range header {
		orig[i] = strings.TrimSpace(h)
		low := strings.ToLower(orig[i])
		if k, ok := im.mapKey[low]; ok {
			im.mapUsed[k] = true
			header[i] = im.opt.Map[k]
		} else {
			header[i] = low
		}
		if len(im.headers) < 40 && orig[i] != "" {
			im.headers = append(im.headers, orig[i])
		}
	}
	return orig
}

// unknownHeader explains a header that is no field: the close fields, and
// how to map or skip it.
func unknownHeader(h string, fields []string) string {
	if close := closeFields(h, fields); len(close) > 0 {
		return fmt.Sprintf("did you mean %s? (or map it with --map \"%s=%s\")", quoteList(close), h, close[0])
	}
	return fmt.Sprintf("map it with --map \"%s=field\", or skip it with --map \"%s=-\"", h, h)
}

// unusedMappings reports --map headers no CSV file had: a typo in the
// mapping would otherwise drop the column's meaning silently.
func (im *Importer) unusedMappings() {
	var missing []string
	for k := range im.opt.Map {
		if !im.mapUsed[k] {
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	for _, k := range missing {
		seen := "no CSV file was imported; --map renames CSV headers only"
		if len(im.headers) > 0 {
			seen = "headers seen: " + strings.Join(im.headers, ", ")
		}
		im.fail("--map", 0, 0, "", "header %q is in no CSV file of this import; fix its spelling or drop it (%s)", k, seen)
	}
}

// parseDate reads a date in the --date-format layout, or YYYY-MM-DD.
func (im *Importer) parseDate(s string) (domain.Date, error) {
	if im.opt.DateLayout == "" {
		return domain.ParseDate(s)
	}
	if t, err := time.Parse(im.opt.DateLayout, s); err == nil {
		return domain.DateOf(t), nil
	}
	if d, err := domain.ParseDate(s); err == nil {
		return d, nil
	}
	return domain.NoDate, domain.Errorf(domain.EINVALID, "date %q matches neither --date-format %s nor YYYY-MM-DD", s, im.opt.DateLayout)
}
