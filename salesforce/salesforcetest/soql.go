package salesforcetest

import (
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The Fake's SOQL: just enough to answer the statements this package
// sends (SELECT fields or COUNT(), FROM one object, WHERE terms joined by
// AND whose terms may be parenthesised ORs, ORDER BY, LIMIT), with the
// INVALID_FIELD / INVALID_TYPE errors Salesforce gives.

type Rec = map[string]any

type cond struct {
	field, op string
	vals      []string
	null      bool
	t         time.Time // vals[0] as a datetime, when isTime
	isTime    bool
}

type soqlStmt struct {
	fields  []string
	count   bool
	object  string
	where   [][]cond // AND of ORs
	orderBy []string
	limit   int
}

var soqlRE = regexp.MustCompile(`(?is)^SELECT\s+(.+?)\s+FROM\s+(\w+)(?:\s+WHERE\s+(.+?))?(?:\s+ORDER BY\s+(.+?))?(?:\s+LIMIT\s+(\d+))?\s*$`)
var condRE = regexp.MustCompile(`(?s)^(\w+)\s*(!=|<=|>=|=|<|>|\sIN\s)\s*(.+)$`)

func parseSOQL(q string) (soqlStmt, error) {
	m := soqlRE.FindStringSubmatch(strings.TrimSpace(q))
	if m == nil {
		return soqlStmt{}, fmt.Errorf("unexpected token: %q", q)
	}
	st := soqlStmt{object: m[2]}
	if strings.EqualFold(strings.TrimSpace(m[1]), "COUNT()") {
		st.count = true
	} else {
		for _, f := range strings.Split(m[1], ",") {
			st.fields = append(st.fields, strings.TrimSpace(f))
		}
	}
	if m[3] != "" {
		for _, term := range splitTop(m[3], " AND ") {
			term = strings.TrimSpace(term)
			if strings.HasPrefix(term, "(") && strings.HasSuffix(term, ")") {
				term = term[1 : len(term)-1]
			}
			var ors []cond
			for _, c := range splitTop(term, " OR ") {
				cm := condRE.FindStringSubmatch(strings.TrimSpace(c))
				if cm == nil {
					return st, fmt.Errorf("unexpected condition %q", c)
				}
				cd := cond{field: cm[1], op: strings.TrimSpace(cm[2])}
				v := strings.TrimSpace(cm[3])
				if cd.op == "IN" {
					v = strings.TrimSuffix(strings.TrimPrefix(v, "("), ")")
					for _, x := range splitTop(v, ",") {
						cd.vals = append(cd.vals, literal(x))
					}
				} else if strings.EqualFold(v, "null") {
					cd.null = true
				} else {
					cd.vals = []string{literal(v)}
				}
				ors = append(ors, cd)
			}
			st.where = append(st.where, ors)
		}
	}
	if m[4] != "" {
		for _, f := range strings.Split(m[4], ",") {
			st.orderBy = append(st.orderBy, strings.TrimSpace(f))
		}
	}
	if m[5] != "" {
		st.limit, _ = strconv.Atoi(m[5])
	}
	return st, nil
}

// splitTop splits s at sep outside quotes and parentheses.
func splitTop(s, sep string) []string {
	var out []string
	depth, quoted, start := 0, false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case quoted && c == '\\':
			i++
		case c == '\'':
			quoted = !quoted
		case !quoted && c == '(':
			depth++
		case !quoted && c == ')':
			depth--
		case !quoted && depth == 0 && strings.HasPrefix(s[i:], sep):
			out = append(out, s[start:i])
			start = i + len(sep)
			i += len(sep) - 1
		}
	}
	return append(out, s[start:])
}

func literal(v string) string {
	v = strings.TrimSpace(v)
	if strings.HasPrefix(v, "'") && strings.HasSuffix(v, "'") && len(v) >= 2 {
		return strings.NewReplacer(`\'`, `'`, `\\`, `\`, `\n`, "\n").Replace(v[1 : len(v)-1])
	}
	return v
}

// str renders a JSON value as the Fake compares it.
func str(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(x)
	}
	return fmt.Sprint(v)
}

// sfTimes remembers parsed datetimes. A query on SystemModstamp compares
// every record of the object (300,000 contacts in the benchmarks' org),
// and parsing both sides for each made the Fake take a second per query
// where Salesforce answers from its SystemModstamp index; the records
// share few distinct values, so each is parsed once.
var sfTimes = struct {
	sync.Mutex
	m map[string]sfTime
}{m: map[string]sfTime{}}

type sfTime struct {
	t  time.Time
	ok bool
}

func parseSFTime(s string) (time.Time, bool) {
	sfTimes.Lock()
	x, ok := sfTimes.m[s]
	sfTimes.Unlock()
	if ok {
		return x.t, x.ok
	}
	for _, l := range []string{"2006-01-02T15:04:05.000-0700", time.RFC3339Nano} {
		if t, err := time.Parse(l, s); err == nil {
			x = sfTime{t, true}
			break
		}
	}
	if len(s) >= 19 && s[4] == '-' && s[10] == 'T' { // remember datetimes only, not every value compared
		sfTimes.Lock()
		sfTimes.m[s] = x
		sfTimes.Unlock()
	}
	return x.t, x.ok
}

func (c cond) match(r Rec) bool {
	v := str(r[c.field])
	if c.null {
		if c.op == "=" {
			return v == ""
		}
		return v != ""
	}
	switch c.op {
	case "=":
		return strings.EqualFold(v, c.vals[0])
	case "!=":
		return !strings.EqualFold(v, c.vals[0])
	case "IN":
		return slices.Contains(c.vals, v)
	}
	cmp := strings.Compare(v, c.vals[0])
	if a, ok := parseSFTime(v); ok {
		if b, ok := parseSFTime(c.vals[0]); ok {
			cmp = a.Compare(b)
		}
	}
	switch c.op {
	case ">":
		return cmp > 0
	case ">=":
		return cmp >= 0
	case "<":
		return cmp < 0
	case "<=":
		return cmp <= 0
	}
	return false
}

func (st soqlStmt) match(r Rec) bool {
	for _, ors := range st.where {
		ok := false
		for _, c := range ors {
			if c.match(r) {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// usedFields are the fields a statement names, for INVALID_FIELD checks.
func (st soqlStmt) usedFields() []string {
	out := append([]string(nil), st.fields...)
	for _, ors := range st.where {
		for _, c := range ors {
			out = append(out, c.field)
		}
	}
	for _, o := range st.orderBy {
		out = append(out, strings.Fields(o)[0])
	}
	return out
}

// stampConds are the statement's AND-ed comparisons of SystemModstamp
// with a datetime (each alone in its OR group).
func (st soqlStmt) stampConds() []cond {
	var out []cond
	for _, ors := range st.where {
		if c := ors[0]; len(ors) == 1 && strings.EqualFold(c.field, "SystemModstamp") && !c.null && len(c.vals) == 1 && strings.ContainsAny(c.op, "<>") {
			if t, ok := parseSFTime(c.vals[0]); ok {
				c.t, c.isTime = t, true
				out = append(out, c)
			}
		}
	}
	return out
}

// stampMeets reports whether t meets every comparison of conds.
func stampMeets(t time.Time, conds []cond) bool {
	for _, c := range conds {
		n := t.Compare(c.t)
		if !(c.op == ">" && n > 0 || c.op == ">=" && n >= 0 || c.op == "<" && n < 0 || c.op == "<=" && n <= 0) {
			return false
		}
	}
	return true
}

// indexed returns the one IN condition on Id or AccountId, if any: the
// Fake answers it from an index instead of scanning.
func (st soqlStmt) indexed() (cond, bool) {
	for _, ors := range st.where {
		if len(ors) == 1 && ors[0].op == "IN" && (ors[0].field == "Id" || ors[0].field == "AccountId") {
			return ors[0], true
		}
	}
	return cond{}, false
}

func (st soqlStmt) sort(rs []Rec) {
	if len(st.orderBy) == 0 {
		return
	}
	slices.SortStableFunc(rs, func(a, b Rec) int {
		for _, o := range st.orderBy {
			f := strings.Fields(o)[0]
			if c := strings.Compare(str(a[f]), str(b[f])); c != 0 {
				return c
			}
		}
		return 0
	})
}
