package bot

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/accountbot/accountbot/domain"
)

// Kind is the type of a verb's argument: it decides how text and form
// values are read, what help says and which form field a platform draws.
type Kind string

const (
	KindWord  Kind = "word"  // one word, kept as typed
	KindWords Kind = "words" // the following words, joined by one space ("for ana smith")
	KindText  Kind = "text"  // the rest of the input, verbatim (notes)
	KindInt   Kind = "int"   // a whole number within Min..Max
	KindMoney Kind = "money" // an amount in the account's currency, kept in minor units
	KindHours Kind = "hours" // a number of hours, kept in hundredths
	KindEnum  Kind = "enum"  // one of Enum (case-insensitive, '-' and '_' alike)
	KindFlag  Kind = "flag"  // the bare word Name ("renewal draft")
)

// ArgForm is how an argument is written in a command.
type ArgForm int

const (
	Positional ArgForm = iota // in order: "outcome won seats 12000"
	Keyed                     // only as name=value: "roi rate=80"
	Keyword                   // as "name value" or name=value: "settings digest 09:00", "top for ana"
)

// Arg declares one argument of a verb. Parsing, validation, help and the
// Slack/Teams form fields all come from it.
type Arg struct {
	Name    string
	Aliases []string // other names in name=value and keyword forms ("tz")
	Kind    Kind
	Form    ArgForm // Positional, Keyed or Keyword
	Help    string  // one line, for help and form hints
	Label   string  // the form field's label
	Default string  // used when the argument is absent, read like input
	Enum    []string
	Labels  []string // display labels of Enum values (forms); optional
	// NoneLabel is the form's choice for leaving an optional enum out ("-").
	NoneLabel string
	Initial   string // the form's preselected value
	Min, Max  int    // KindInt bounds
	Required  bool
	// Prompt is the reply when a required argument is missing; the usage
	// line is used otherwise.
	Prompt string
	// Suggest lists likely values for the prompt when they are only known
	// at run time (the drafter's objection kinds); they are not enforced.
	Suggest func() []string
	// Excludes names an argument that may not be given with this one
	// (hours_per_week or hours_per_month).
	Excludes string
	// Usage overrides the generated usage ("[for <owner>]"); "-" leaves
	// the argument out of the usage line.
	Usage string
}

// Value is one argument's typed value.
type Value struct {
	Text  string // word, words, text and enum values
	Int   int64  // int, money (minor units), hours (hundredths)
	Flag  bool
	Given bool // false when absent (a default may still fill it)
}

// Args are a call's typed arguments by name.
type Args map[string]Value

// Text returns a word, words, text or enum argument ("" when absent).
func (a Args) Text(name string) string { return a[name].Text }

// Int returns an int, money or hours argument (0 when absent).
func (a Args) Int(name string) int64 { return a[name].Int }

// Flag reports whether a flag was given.
func (a Args) Flag(name string) bool { return a[name].Flag }

// Has reports whether the argument was given (not defaulted).
func (a Args) Has(name string) bool { return a[name].Given }

// usage renders an argument for the usage line ("" leaves it out).
func (g Arg) usage() string {
	if g.Usage != "" {
		return strings.TrimPrefix(g.Usage, "-")
	}
	var s string
	switch {
	case g.Kind == KindFlag:
		s = g.Name
	case g.Form == Keyed && g.Default != "":
		s = g.Name + "=" + g.Default
	case g.Form == Keyed:
		s = g.Name + "=N"
	case g.Form == Keyword:
		s = g.Name + " <" + g.Name + ">"
	case g.Kind == KindEnum && len(g.Enum) <= 4:
		s = strings.Join(g.Enum, "|")
	default:
		s = g.Name
	}
	if g.Required {
		return "<" + s + ">"
	}
	return "[" + s + "]"
}

// normEnum folds case and treats '-' as '_' (champion-left, champion_left).
func normEnum(s string) string {
	return strings.ToLower(strings.ReplaceAll(strings.TrimSpace(s), "-", "_"))
}

// convert reads one value of the argument from what was typed or submitted.
// cur is the account's currency for money (USD when there is no account).
func (g Arg) convert(raw, cur string) (Value, error) {
	v := Value{Text: raw, Given: true}
	bad := func(format string, args ...any) (Value, error) {
		return Value{}, domain.Errorf(domain.EINVALID, format, args...)
	}
	switch g.Kind {
	case KindFlag:
		v.Flag = true
	case KindInt:
		n, err := strconv.ParseInt(strings.TrimSpace(raw), 10, 64)
		if err != nil || n < int64(g.Min) || n > int64(g.Max) {
			return bad("%s must be a whole number from %d to %d (not %q).", g.Name, g.Min, g.Max, raw)
		}
		v.Int = n
	case KindMoney, KindHours:
		if g.Kind == KindHours {
			cur = "USD" // hours in hundredths, like cents
		}
		n, err := domain.ParseMajor(strings.TrimLeft(strings.TrimSpace(raw), "$£€"), cur)
		if err != nil || n < 0 {
			return bad("%s=%q is not a non-negative number.", g.Name, raw)
		}
		v.Int = n
	case KindEnum:
		n := normEnum(raw)
		i := slices.IndexFunc(g.Enum, func(e string) bool { return normEnum(e) == n })
		if i < 0 {
			return bad("%q is not a valid %s; use %s.", raw, g.Name, orList(g.Enum))
		}
		v.Text = g.Enum[i]
	}
	return v, nil
}

// missing is the error for an absent required argument.
func (v *Verb) missing(g Arg) error {
	if g.Prompt != "" {
		p := g.Prompt
		if g.Suggest != nil {
			if ks := g.Suggest(); len(ks) > 0 {
				p += " Kinds: " + strings.Join(ks, ", ") + "."
			}
		}
		return domain.Errorf(domain.EINVALID, "%s", p)
	}
	return domain.Errorf(domain.EINVALID, "%s is missing. Usage: %s", g.Name, v.Usage())
}

// arg finds a declared argument by name.
func (v *Verb) arg(name string) (Arg, bool) {
	for _, g := range v.Args {
		if strings.EqualFold(g.Name, name) || slices.ContainsFunc(g.Aliases, func(a string) bool { return strings.EqualFold(a, name) }) {
			return g, true
		}
	}
	return Arg{}, false
}

// finish applies defaults and checks required and exclusive arguments.
func (v *Verb) finish(out Args, cur string) (Args, error) {
	for _, g := range v.Args {
		if g.Excludes != "" && out[g.Name].Given && out[g.Excludes].Given {
			return nil, domain.Errorf(domain.EINVALID, "Give %s or %s, not both.", g.Name, g.Excludes)
		}
	}
	for _, g := range v.Args {
		if _, ok := out[g.Name]; ok {
			continue
		}
		if g.Required {
			return nil, v.missing(g)
		}
		if g.Default != "" {
			d, err := g.convert(g.Default, cur)
			if err != nil {
				return nil, fmt.Errorf("default of %s %s: %w", v.Name, g.Name, err)
			}
			d.Given = false
			out[g.Name] = d
		}
	}
	return out, nil
}

// BindValues reads a form's (or button's) values by argument name: no
// command text is composed, so a note keeps its quotes, '=' and newlines.
// An empty value, or "-" for an enum, counts as absent.
func (v *Verb) BindValues(values map[string]string, cur string) (Args, error) {
	out := Args{}
	for name, raw := range values {
		g, ok := v.arg(name)
		if !ok {
			return nil, domain.Errorf(domain.EINVALID, "%q is not an argument of %s.", name, v.Usage())
		}
		if strings.TrimSpace(raw) == "" || (g.Kind == KindEnum && strings.TrimSpace(raw) == "-") {
			continue
		}
		val, err := g.convert(raw, cur)
		if err != nil {
			return nil, err
		}
		out[g.Name] = val
	}
	return v.finish(out, cur)
}
