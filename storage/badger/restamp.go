package badger

import (
	"encoding/json"
	"time"
)

// restamp returns a stored account record with its data stamp set to at
// and source, without decoding it: byte for byte what encoding the decoded
// record with that stamp gives. It relies on the stamp's two fields
// (data_changed_at, data_source) being the last of domain.Account, so that
// they are the record's last members when present; ok is false when raw is
// not such an object, and the caller decodes it instead. An activity-only
// write (usage, signals) changes nothing else in the record, and decoding
// and re-encoding a whole record for it was most of an ingested event's
// CPU.
func restamp(raw []byte, at time.Time, source string) (out []byte, ok bool) {
	cut, ok := stampCut(raw)
	if !ok {
		return nil, false
	}
	out = make([]byte, 0, cut+len(source)+64)
	out = append(out, raw[:cut]...)
	sep := func() {
		if out[len(out)-1] != '{' {
			out = append(out, ',')
		}
	}
	if !at.IsZero() {
		t, err := at.MarshalJSON()
		if err != nil {
			return nil, false // a year outside 0-9999: let the encoder say so
		}
		sep()
		out = append(out, `"data_changed_at":`...)
		out = append(out, t...)
	}
	if source != "" {
		s, _ := json.Marshal(source) // a string always encodes
		sep()
		out = append(out, `"data_source":`...)
		out = append(out, s...)
	}
	return append(out, '}'), true
}

// stampCut returns where the members of raw's data stamp begin (the comma
// before the first of them, or the closing brace when there are none);
// ok is false unless raw is one JSON object, compact as encoding/json
// writes it, whose stamp members come last.
func stampCut(raw []byte) (cut int, ok bool) {
	if len(raw) < 2 || raw[0] != '{' || raw[len(raw)-1] != '}' {
		return 0, false
	}
	cut = -1
	i := 1
	for i < len(raw)-1 {
		start := i // the member's first byte, or the comma before it
		if i > 1 {
			if raw[i] != ',' {
				return 0, false
			}
			i++
		}
		kEnd, ok := skipString(raw, i)
		if !ok || kEnd >= len(raw) || raw[kEnd] != ':' {
			return 0, false
		}
		key := string(raw[i+1 : kEnd-1])
		isStamp := key == "data_changed_at" || key == "data_source"
		switch {
		case isStamp && cut < 0:
			cut = start
		case !isStamp && cut >= 0:
			return 0, false // a member after the stamp: not a record we know
		}
		if i, ok = skipValue(raw, kEnd+1); !ok {
			return 0, false
		}
	}
	if i != len(raw)-1 {
		return 0, false
	}
	if cut < 0 {
		cut = len(raw) - 1
	}
	return cut, true
}

// skipString returns the offset just past the JSON string starting at i.
func skipString(raw []byte, i int) (int, bool) {
	if i >= len(raw) || raw[i] != '"' {
		return 0, false
	}
	for i++; i < len(raw); i++ {
		switch raw[i] {
		case '\\':
			i++
		case '"':
			return i + 1, true
		}
	}
	return 0, false
}

// skipValue returns the offset just past the compact JSON value starting
// at i: a string, an object or array (nested), or a literal.
func skipValue(raw []byte, i int) (int, bool) {
	if i >= len(raw) || raw[i] == ',' || raw[i] == '}' || raw[i] == ']' {
		return 0, false // no value
	}
	depth := 0
	for i < len(raw) {
		switch c := raw[i]; c {
		case '"':
			var ok bool
			if i, ok = skipString(raw, i); !ok {
				return 0, false
			}
		case '{', '[':
			depth++
			i++
		case '}', ']':
			if depth == 0 {
				return i, true // the enclosing object's end
			}
			depth--
			i++
		case ',':
			if depth == 0 {
				return i, true
			}
			i++
		case ' ', '\t', '\r', '\n':
			return 0, false // not compact: not what the store writes
		default:
			i++
		}
		if depth == 0 && i < len(raw) && (raw[i] == ',' || raw[i] == '}') {
			return i, true
		}
	}
	return 0, false
}
