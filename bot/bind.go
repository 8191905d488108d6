package bot

import (
	"regexp"
	"strings"

	"github.com/accountbot/accountbot/domain"
)

// keyPat is the "name=" of a keyed argument: a plain word, unquoted.
var keyPat = regexp.MustCompile(`^([A-Za-z_]+)=`)

// binder reads a command's words into a verb's declared arguments.
type binder struct {
	v    *Verb
	in   string // the whole command, for free text taken verbatim
	toks []token
	cur  string
	out  Args
}

// bindWords reads the words after the verb: name=value for any argument,
// "name value" for keyword arguments, the rest in declaration order. An
// optional argument that does not fit the next word is skipped; free text
// takes the rest of the input exactly as typed.
func (v *Verb) bindWords(p Parsed, cur string) (Args, error) {
	b := &binder{v: v, in: p.input, toks: p.args, cur: cur, out: Args{}}
	if err := b.run(); err != nil {
		return nil, err
	}
	return v.finish(b.out, cur)
}

func (b *binder) run() error {
	pos := 0 // the next positional argument
	for i := 0; i < len(b.toks); {
		t := b.toks[i]
		if g, val, ok := b.keyed(t); ok {
			if g.Kind == KindText {
				return b.set(g, b.rest(t.start+strings.IndexByte(b.in[t.start:t.end], '=')+1, i, true))
			}
			if err := b.set(g, val); err != nil {
				return err
			}
			i++
			continue
		}
		if g, ok := b.keyword(t); ok {
			n, err := b.takeKeyword(g, i)
			if err != nil {
				return err
			}
			i = n
			continue
		}
		n, next, err := b.positional(i, pos)
		if err != nil {
			return err
		}
		i, pos = n, next
	}
	return nil
}

// keyed reads "name=value" when name is a declared argument.
func (b *binder) keyed(t token) (Arg, string, bool) {
	if t.unclosed {
		return Arg{}, "", false
	}
	m := keyPat.FindStringSubmatch(b.in[t.start:t.end])
	if m == nil {
		return Arg{}, "", false
	}
	g, ok := b.v.arg(m[1])
	if !ok || b.out[g.Name].Given {
		return Arg{}, "", false
	}
	return g, strings.TrimPrefix(t.text, m[0]), true
}

func (b *binder) keyword(t token) (Arg, bool) {
	if t.unclosed {
		return Arg{}, false
	}
	g, ok := b.v.arg(t.text)
	return g, ok && g.Form == Keyword && !b.out[g.Name].Given
}

// takeKeyword reads "name value" (or "for ana smith") starting at i.
func (b *binder) takeKeyword(g Arg, i int) (int, error) {
	j := i + 1
	for j < len(b.toks) && g.Kind == KindWords {
		if _, _, ok := b.keyed(b.toks[j]); ok {
			break
		}
		if _, ok := b.keyword(b.toks[j]); ok && j > i+1 {
			break
		}
		j++
	}
	if g.Kind != KindWords && j < len(b.toks) {
		j++
	}
	if j == i+1 {
		return 0, domain.Errorf(domain.EINVALID, "%q needs a value. Usage: %s", b.toks[i].text, b.v.Usage())
	}
	for _, t := range b.toks[i+1 : j] {
		if t.unclosed {
			return 0, unclosedError(b.in, t)
		}
	}
	return j, b.set(g, strings.Join(texts(b.toks[i+1:j]), " "))
}

// positional fills the next positional argument that fits toks[i].
func (b *binder) positional(i, pos int) (int, int, error) {
	t := b.toks[i]
	for ; pos < len(b.v.Args); pos++ {
		g := b.v.Args[pos]
		if g.Form != Positional || b.out[g.Name].Given {
			continue
		}
		switch {
		case g.Kind == KindText:
			return len(b.toks), pos + 1, b.set(g, b.rest(t.start, i, false))
		case t.unclosed:
			return 0, 0, unclosedError(b.in, t)
		case g.Kind == KindFlag:
			if strings.EqualFold(t.text, g.Name) {
				b.out[g.Name] = Value{Flag: true, Given: true}
				return i + 1, pos + 1, nil
			}
			continue
		case g.Kind == KindEnum && !g.Required && t.text == "-":
			return i + 1, pos + 1, nil // "-": deliberately left out
		}
		v, err := g.convert(t.text, b.cur)
		if err != nil {
			if !g.Required && b.laterPositional(pos) {
				continue // an optional argument that is not there
			}
			return 0, 0, err
		}
		b.out[g.Name] = v
		return i + 1, pos + 1, nil
	}
	if t.unclosed {
		return 0, 0, unclosedError(b.in, t)
	}
	if strings.Contains(t.text, "=") {
		return 0, 0, domain.Errorf(domain.EINVALID, "%q is not an input of `%s`. Use key=value with keys: %s.", t.text, b.v.Noun+" "+b.v.Name, strings.Join(b.keys(), ", "))
	}
	return 0, 0, domain.Errorf(domain.EINVALID, "I didn't expect %q here. Usage: %s", t.text, b.v.Usage())
}

func (b *binder) laterPositional(pos int) bool {
	for _, g := range b.v.Args[pos+1:] {
		if g.Form == Positional {
			return true
		}
	}
	return false
}

func (b *binder) keys() []string {
	var ks []string
	for _, g := range b.v.Args {
		ks = append(ks, g.Name)
	}
	return ks
}

// rest is free text from byte offset from to the end, exactly as typed;
// one quoted word ("QBR booked") loses its quotes.
func (b *binder) rest(from, i int, keyed bool) string {
	s := strings.TrimSpace(b.in[from:])
	if i == len(b.toks)-1 && !b.toks[i].unclosed {
		raw := b.in[b.toks[i].start:b.toks[i].end]
		if keyed {
			raw = raw[strings.IndexByte(raw, '=')+1:]
		}
		if len(raw) > 0 && strings.ContainsRune(`"'“‘`, []rune(raw)[0]) {
			return strings.TrimPrefix(b.toks[i].text, b.in[b.toks[i].start:from])
		}
	}
	return s
}

func (b *binder) set(g Arg, raw string) error {
	if strings.TrimSpace(raw) == "" {
		return nil // `note ""` is no note
	}
	v, err := g.convert(raw, b.cur)
	if err != nil {
		return err
	}
	b.out[g.Name] = v
	return nil
}
