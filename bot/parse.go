package bot

import (
	"strings"
	"unicode"

	"github.com/accountbot/accountbot/domain"
)

// token is one word of a command with where it starts in the input.
type token struct {
	text     string
	start    int
	end      int
	unclosed bool // a quote opened here is never closed: text runs to the end
}

// tokenize splits on white space, keeping "double" or 'single' quoted
// runs (and “smart quotes”, which chat clients insert) as one token. A
// quote that is never closed makes a last token running to the end of the
// input: free text (a note) may contain one, anything else may not.
func tokenize(s string) []token {
	var out []token
	// Byte offsets come from ranging over the string itself: an invalid
	// UTF-8 byte is one byte wide there, though it becomes a 3-byte U+FFFD.
	var rs []rune
	var byteAt []int
	for i, r := range s {
		rs = append(rs, r)
		byteAt = append(byteAt, i)
	}
	byteAt = append(byteAt, len(s))
	closer := map[rune]rune{'"': '"', '\'': '\'', '“': '”', '‘': '’'}
	for i := 0; i < len(rs); {
		if unicode.IsSpace(rs[i]) {
			i++
			continue
		}
		start := i
		var sb strings.Builder
		for i < len(rs) && !unicode.IsSpace(rs[i]) {
			if c, ok := closer[rs[i]]; ok && (i == start || rs[i] != '\'') {
				j := i + 1
				for j < len(rs) && rs[j] != c && !(c == '"' && rs[j] == '”') {
					j++
				}
				if j == len(rs) {
					raw := strings.TrimSpace(s[byteAt[start]:])
					return append(out, token{text: raw, start: byteAt[start], end: len(s), unclosed: true})
				}
				sb.WriteString(string(rs[i+1 : j]))
				i = j + 1
				continue
			}
			sb.WriteRune(rs[i])
			i++
		}
		out = append(out, token{text: sb.String(), start: byteAt[start], end: byteAt[i]})
	}
	return out
}

// unclosedError is the error for a quote that is never closed.
func unclosedError(in string, t token) error {
	return domain.Errorf(domain.EINVALID, "a quote opened at character %d is never closed", len([]rune(in[:t.start]))+1)
}

// Parsed is a command split into its parts; its arguments are still words,
// bound to the verb's declared arguments once the verb is known.
type Parsed struct {
	Noun   string // account, portfolio, help
	Target string // account name as typed (account commands)
	Verb   string // "" for the noun's default
	input  string
	args   []token // the words after the verb
	// Longer is the other readings of an account command when the name
	// itself contains verb words ("Sterling Health health"), longest name
	// first; the engine takes the first whose name resolves.
	Longer []Parsed
	// Whole reads every word as the name (the noun's default verb): taken
	// when the usual reading's name is unknown or ambiguous but this one
	// names exactly one account ("account sterling health" for the account
	// "Sterling Health" when there are several Sterlings).
	Whole *Parsed
}

// Words returns the argument words as typed (quotes removed).
func (p Parsed) Words() []string { return texts(p.args) }

// Parse splits a command. For account commands the name runs until the
// first word that is one of the registry's account verbs, so multi-word
// names need no quotes unless they contain a verb word.
func Parse(reg *Registry, text string) (Parsed, error) {
	text = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(text), "/"))
	toks := tokenize(text)
	if len(toks) == 0 {
		return Parsed{Noun: "help", input: text}, nil
	}
	if toks[0].unclosed {
		return Parsed{}, unclosedError(text, toks[0])
	}
	p := Parsed{Noun: strings.ToLower(strings.TrimSpace(toks[0].text)), input: text}
	if p.Noun == "" {
		return Parsed{}, domain.Errorf(domain.EINVALID, "Commands start with `account`, `portfolio` or `help`.")
	}
	if p.Noun == "accounts" {
		p.Noun = "account"
	}
	if p.Noun == "?" {
		p.Noun = "help"
	}
	rest := toks[1:]
	switch p.Noun {
	case "account":
		return parseAccount(reg, p, rest)
	case "help":
		p.args = rest
	default:
		if len(rest) > 0 {
			if rest[0].unclosed {
				return Parsed{}, unclosedError(text, rest[0])
			}
			p.Verb = strings.ToLower(rest[0].text)
			p.args = rest[1:]
			if reg.IsVerb(p.Noun, p.Verb) || !argLike(reg, p.Noun, rest[0]) {
				return p, nil
			}
			// Arguments first ("portfolio for ana nrr months=6"): the
			// verb is the first later word that is one, the arguments
			// everything around it; none is the noun's default verb.
			p.Verb, p.args = "", rest
			for i := 1; i < len(rest); i++ {
				if w := strings.ToLower(rest[i].text); !rest[i].unclosed && reg.IsVerb(p.Noun, w) && !ownerWord(reg, p.Noun, rest, i) {
					p.Verb = w
					p.args = append(append([]token{}, rest[:i]...), rest[i+1:]...)
					break
				}
			}
		}
	}
	return p, nil
}

// argLike reports whether t starts an argument of some verb of noun: a
// name=value or a keyword argument's name ("for").
func argLike(reg *Registry, noun string, t token) bool {
	if t.unclosed {
		return false
	}
	name, _, keyed := strings.Cut(t.text, "=")
	for _, v := range reg.Verbs(noun) {
		if g, ok := v.arg(name); ok && (keyed || g.Form == Keyword) {
			return true
		}
	}
	return false
}

// ownerWord reports whether rest[i] is the value right after a keyword
// argument ("for top" names an owner called top, not the verb).
func ownerWord(reg *Registry, noun string, rest []token, i int) bool {
	prev := rest[i-1]
	return !strings.Contains(prev.text, "=") && argLike(reg, noun, prev)
}

// parseAccount reads "<name> [verb [args]]". The first token is always
// part of the name, so an account may be called "Renewal". The name runs to
// the first verb word; every later verb word gives a longer reading.
func parseAccount(reg *Registry, p Parsed, rest []token) (Parsed, error) {
	if len(rest) == 0 {
		return p, domain.Errorf(domain.EINVALID, "Which account? Try `account <name>` or `account <name> health`.")
	}
	split := func(i int) (Parsed, error) {
		q := Parsed{Noun: p.Noun, input: p.input}
		for _, t := range rest[:i] {
			if t.unclosed {
				return q, unclosedError(p.input, t)
			}
		}
		q.Target = strings.Join(texts(rest[:i]), " ")
		if i < len(rest) {
			q.Verb = strings.ToLower(rest[i].text)
			q.args = rest[i+1:]
		}
		return q, nil
	}
	var at []int
	for i := 1; i < len(rest); i++ {
		if !rest[i].unclosed && reg.IsVerb("account", strings.ToLower(rest[i].text)) {
			at = append(at, i)
		}
	}
	if len(at) == 0 {
		return split(len(rest))
	}
	q, err := split(at[0])
	if err != nil {
		return q, err
	}
	for k := len(at) - 1; k > 0; k-- {
		if l, err := split(at[k]); err == nil {
			q.Longer = append(q.Longer, l)
		}
	}
	if w, err := split(len(rest)); err == nil {
		q.Whole = &w
	}
	return q, nil
}

func texts(ts []token) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.text
	}
	return out
}
