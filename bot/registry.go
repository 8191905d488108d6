package bot

import (
	"context"
	"fmt"
	"strings"
)

// Verb is one command: a noun ("account", "portfolio") and a verb name.
type Verb struct {
	Noun    string
	Name    string   // "" is the noun's default (e.g. the account overview)
	Aliases []string // other names for the same verb
	Args    string   // usage of the arguments, e.g. "<kind> [note]"
	Help    string
	Run     func(ctx context.Context, c *Call) (*Message, error)
}

// Registry holds the verbs. Registering a name twice is an error, so two
// features cannot silently claim the same command.
type Registry struct {
	byKey map[string]*Verb
	order []*Verb
}

// NewRegistry returns an empty registry.
func NewRegistry() *Registry { return &Registry{byKey: map[string]*Verb{}} }

// Register adds v under its name and aliases.
func (r *Registry) Register(v Verb) error {
	if v.Noun == "" || v.Run == nil {
		return fmt.Errorf("verb %q: noun and Run are required", v.Name)
	}
	names := append([]string{v.Name}, v.Aliases...)
	for _, n := range names {
		if _, dup := r.byKey[v.Noun+" "+n]; dup {
			return fmt.Errorf("command %q is registered twice", strings.TrimSpace(v.Noun+" "+n))
		}
	}
	vp := &v
	for _, n := range names {
		r.byKey[v.Noun+" "+n] = vp
	}
	r.order = append(r.order, vp)
	return nil
}

// MustRegister registers verbs and panics on a duplicate: a programming error.
func (r *Registry) MustRegister(vs ...Verb) {
	for _, v := range vs {
		if err := r.Register(v); err != nil {
			panic(err)
		}
	}
}

// Lookup finds a verb of noun by name or alias.
func (r *Registry) Lookup(noun, name string) (*Verb, bool) {
	v, ok := r.byKey[noun+" "+strings.ToLower(name)]
	return v, ok
}

// IsVerb reports whether name is a verb of noun (not its default).
func (r *Registry) IsVerb(noun, name string) bool {
	v, ok := r.Lookup(noun, name)
	return ok && name != "" && v != nil
}

// Verbs returns the registered verbs of noun in registration order.
func (r *Registry) Verbs(noun string) []*Verb {
	var out []*Verb
	for _, v := range r.order {
		if v.Noun == noun {
			out = append(out, v)
		}
	}
	return out
}

// Nouns returns the nouns in registration order.
func (r *Registry) Nouns() []string {
	seen := map[string]bool{}
	var out []string
	for _, v := range r.order {
		if !seen[v.Noun] {
			seen[v.Noun] = true
			out = append(out, v.Noun)
		}
	}
	return out
}

// Usage renders one verb's usage line.
func (v *Verb) Usage() string {
	parts := []string{v.Noun}
	if v.Noun == "account" {
		parts = append(parts, "<name>")
	}
	if v.Name != "" {
		parts = append(parts, v.Name)
	}
	if v.Args != "" {
		parts = append(parts, v.Args)
	}
	return strings.Join(parts, " ")
}

// Help generates the help message from the registry.
func (r *Registry) Help(topic string) *Message {
	m := &Message{Title: "AccountBot commands"}
	nouns := r.Nouns()
	if topic != "" {
		if len(r.Verbs(topic)) == 0 {
			return userError("There is no help topic %q. Try `help` for the list of commands.", topic)
		}
		nouns = []string{topic}
		m.Title = "AccountBot: " + topic + " commands"
	}
	type row struct{ usage, help string }
	var rows []Item
	for _, n := range nouns {
		var rs []row
		for _, v := range r.Verbs(n) {
			h := v.Help
			if len(v.Aliases) > 0 {
				h += " (also: " + strings.Join(v.Aliases, ", ") + ")"
			}
			rs = append(rs, row{v.Usage(), h})
		}
		for _, x := range rs {
			rows = append(rows, Item{Text: x.usage, Detail: x.help})
		}
	}
	m.Blocks = append(m.Blocks, List{Items: rows})
	m.Blocks = append(m.Blocks, Context{Text: "Names match the account id, name or an alias, in any case. Quote names that contain a command word: account \"Health Corp\" renewal."})
	var data []map[string]string
	for _, it := range rows {
		data = append(data, map[string]string{"usage": it.Text, "help": it.Detail})
	}
	m.Data = map[string]any{"commands": data}
	return m
}
