package domain

import (
	"fmt"
	"unicode"
	"unicode/utf8"
)

// HiddenRune returns the first character of s that a person cannot see or
// that changes how the text around it is shown: control characters (NUL,
// tab, newline, DEL, C1), format characters (bidirectional overrides and
// isolates U+202A–U+202E and U+2066–U+2069, zero-width spaces and joiners,
// the byte-order mark, soft hyphen), line and paragraph separators, and
// bytes that are not UTF-8 (returned as utf8.RuneError).
//
// Such a character inside an id, an owner e-mail, a name or an alias would
// be part of a storage key (storage separates key parts with NUL) and of
// what people type to find the account, so two values that look the same
// would not be, and a NUL could end one key part early.
func HiddenRune(s string) (rune, int, bool) {
	// Printable ASCII, the usual text, is checked a byte at a time; the
	// first other byte goes through the Unicode tables.
	start := 0
	for start < len(s) && s[start] >= 0x20 && s[start] < 0x7f {
		start++
	}
	if start == len(s) {
		return 0, 0, false
	}
	for i, r := range s[start:] {
		i += start
		if r == utf8.RuneError {
			if _, size := utf8.DecodeRuneInString(s[i:]); size == 1 {
				return r, i, true
			}
		}
		if unicode.In(r, unicode.Cc, unicode.Cf, unicode.Zl, unicode.Zp) {
			return r, i, true
		}
	}
	return 0, 0, false
}

// hiddenMessage explains a HiddenRune finding, or is "" when s is clean.
func hiddenMessage(s string) string {
	r, at, ok := HiddenRune(s)
	if !ok {
		return ""
	}
	what := fmt.Sprintf("the invisible character U+%04X", r)
	if r == utf8.RuneError {
		what = "bytes that are not UTF-8 text"
	} else if unicode.Is(unicode.Cc, r) {
		what = fmt.Sprintf("the control character U+%04X", r)
	}
	return fmt.Sprintf("contains %s after %q; remove it (control and invisible formatting characters are not allowed here)", what, s[:at])
}

// CheckVisible returns a field error when s holds a control or invisible
// formatting character (see HiddenRune), for inputs validated outside
// Account.Validate such as stakeholder rows.
func CheckVisible(field, s string) *FieldError {
	if m := hiddenMessage(s); m != "" {
		return &FieldError{Field: field, Message: m}
	}
	return nil
}
