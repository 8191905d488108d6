package bot

import (
	"strings"
	"unicode/utf8"
)

// CutMark ends a text that a renderer had to cut to fit a platform's
// limits, so the reader knows something is missing.
const CutMark = "…cut"

// Sanitize makes data-derived text (names, notes, signals, anything
// imported or typed) safe to display on every platform. Every renderer
// calls it on every string it did not write itself, before its own
// escaping:
//   - Unicode bidirectional controls (U+202A–U+202E embeddings and
//     overrides, U+2066–U+2069 isolates, U+200E/U+200F/U+061C marks) are
//     removed, so "invoice_\u202Egnp.exe" can never display as
//     "invoice_exe.png": text is shown in the order it is stored;
//   - other control characters (C0 except tab and newline, DEL, C1), which
//     a terminal would obey (ESC starts colour and cursor sequences), become
//     U+FFFD, visible but inert; CR LF and lone CR become a newline;
//   - invalid UTF-8 becomes U+FFFD.
func Sanitize(s string) string {
	if clean(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		r, n := utf8.DecodeRuneInString(s[i:])
		i += n
		switch {
		case r == utf8.RuneError && n == 1:
			b.WriteRune(utf8.RuneError)
		case isBidiControl(r):
			// dropped
		case r == '\r':
			if i < len(s) && s[i] == '\n' {
				continue // the newline follows
			}
			b.WriteByte('\n')
		case isControl(r):
			b.WriteRune(utf8.RuneError)
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// clean reports whether Sanitize would leave s unchanged (the common case,
// which then costs no allocation).
func clean(s string) bool {
	for i, r := range s {
		if r == utf8.RuneError {
			if _, n := utf8.DecodeRuneInString(s[i:]); n == 1 {
				return false
			}
		}
		if isBidiControl(r) || r == '\r' || isControl(r) {
			return false
		}
	}
	return true
}

func isBidiControl(r rune) bool {
	return r == 0x061C || r == 0x200E || r == 0x200F || (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069)
}

func isControl(r rune) bool {
	return (r < 0x20 && r != '\t' && r != '\n') || (r >= 0x7F && r <= 0x9F)
}

// Split cuts text into pieces a platform can carry: each piece costs at
// most budget, where cost(r) is what rune r costs once the platform has
// escaped and encoded it (runes for Slack, JSON bytes for Teams). A piece
// ends at the last line break or space in its final quarter when there is
// one, so words stay whole. After maxPieces pieces the rest is dropped and
// the last piece ends with CutMark. The text should already be sanitized;
// Split returns at least one piece.
func Split(s string, budget, maxPieces int, cost func(rune) int) []string {
	maxPieces = max(maxPieces, 1)
	markCost := 0
	for _, r := range CutMark {
		markCost += cost(r)
	}
	var pieces []string
	for {
		if len(pieces) == maxPieces-1 {
			// The last allowed piece: everything that fits, or cut.
			if total(s, cost) <= budget {
				return append(pieces, s)
			}
			head, _ := fit(s, budget-markCost, cost, false)
			return append(pieces, head+CutMark)
		}
		if total(s, cost) <= budget {
			return append(pieces, s)
		}
		head, rest := fit(s, budget, cost, true)
		if head == "" { // budget below one rune: cannot progress
			return append(pieces, CutMark)
		}
		pieces = append(pieces, head)
		if s = rest; s == "" {
			return pieces
		}
	}
}

// Cut is Split with one piece: s as it is when it fits, otherwise its
// longest head that fits followed by CutMark.
func Cut(s string, budget int, cost func(rune) int) string {
	return Split(s, budget, 1, cost)[0]
}

// Runes is the cost function of limits counted in characters.
func Runes(rune) int { return 1 }

func total(s string, cost func(rune) int) int {
	n := 0
	for _, r := range s {
		n += cost(r)
	}
	return n
}

// fit returns the longest head of s costing at most budget and the rest;
// with words set it prefers to end the head at a line break or space.
func fit(s string, budget int, cost func(rune) int, words bool) (head, rest string) {
	used, end := 0, 0
	for end < len(s) {
		r, n := utf8.DecodeRuneInString(s[end:])
		if used+cost(r) > budget {
			break
		}
		used += cost(r)
		end += n
	}
	if end == 0 {
		return "", s
	}
	if words && end < len(s) {
		if i := strings.LastIndexAny(s[:end], "\n "); i > 0 && i >= end*3/4 {
			return s[:i], strings.TrimLeft(s[i:], " \n")
		}
	}
	return s[:end], s[end:]
}
