package bot

import (
	"strings"
	"unicode"

	"github.com/accountbot/accountbot/domain"
)

// token is one word of a command with where it starts in the input.
type token struct {
	text  string
	start int
	end   int
}

// tokenize splits on white space, keeping "double" or 'single' quoted
// runs (and “smart quotes”, which chat clients insert) as one token.
func tokenize(s string) ([]token, error) {
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
					return nil, domain.Errorf(domain.EINVALID, "a quote opened at character %d is never closed", i+1)
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
	return out, nil
}

// Parsed is a command split into its parts.
type Parsed struct {
	Noun   string   // account, portfolio, help
	Target string   // account name as typed (account commands)
	Verb   string   // "" for the noun's default
	Args   []string // words after the verb
	Rest   string   // the raw text after the verb, for free text such as notes
	// Longer is the other readings of an account command when the name
	// itself contains verb words ("Sterling Health health"), longest name
	// first; the engine takes the first whose name resolves.
	Longer []Parsed
}

// Parse splits a command. For account commands the name runs until the
// first word that is one of the registry's account verbs, so multi-word
// names need no quotes unless they contain a verb word.
func Parse(reg *Registry, text string) (Parsed, error) {
	text = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(text), "/"))
	toks, err := tokenize(text)
	if err != nil {
		return Parsed{}, err
	}
	if len(toks) == 0 {
		return Parsed{Noun: "help"}, nil
	}
	p := Parsed{Noun: strings.ToLower(strings.TrimSpace(toks[0].text))}
	if p.Noun == "" {
		return Parsed{}, domain.Errorf(domain.EINVALID, "Commands start with `account`, `portfolio` or `help`.")
	}
	if p.Noun == "accounts" {
		p.Noun = "account"
	}
	rest := toks[1:]
	rawAfter := func(i int) string {
		if i >= len(rest) {
			return ""
		}
		return strings.TrimSpace(text[rest[i].start:])
	}
	switch p.Noun {
	case "account":
		if len(rest) == 0 {
			return p, domain.Errorf(domain.EINVALID, "Which account? Try `account <name>` or `account <name> health`.")
		}
		// The first token is always part of the name, so an account may be
		// called "Renewal". The name runs to the first verb word; every later
		// verb word gives a longer reading, tried first by the engine.
		split := func(i int) Parsed {
			q := Parsed{Noun: p.Noun, Target: strings.Join(texts(rest[:i]), " ")}
			if i < len(rest) {
				q.Verb = strings.ToLower(rest[i].text)
				q.Args = texts(rest[i+1:])
				q.Rest = rawAfter(i + 1)
			}
			return q
		}
		var at []int
		for i := 1; i < len(rest); i++ {
			if reg.IsVerb("account", strings.ToLower(rest[i].text)) {
				at = append(at, i)
			}
		}
		if len(at) == 0 {
			return split(len(rest)), nil
		}
		p = split(at[0])
		for k := len(at) - 1; k > 0; k-- {
			p.Longer = append(p.Longer, split(at[k]))
		}
	default:
		if len(rest) > 0 {
			p.Verb = strings.ToLower(rest[0].text)
			p.Args = texts(rest[1:])
			p.Rest = rawAfter(1)
		}
	}
	return p, nil
}

func texts(ts []token) []string {
	out := make([]string, len(ts))
	for i, t := range ts {
		out[i] = t.text
	}
	return out
}
