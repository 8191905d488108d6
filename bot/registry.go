package bot

import (
	"context"
	"fmt"
	"reflect"
	"strings"

	"github.com/accountbot/accountbot/domain"
)

// Verb is one command: a noun ("account", "portfolio") and a verb name,
// with everything the engine, help and the platforms need to know about it.
type Verb struct {
	Noun    string
	Name    string   // "" is the noun's default (e.g. the account overview)
	Aliases []string // other names for the same verb
	Args    []Arg    // declared arguments, in positional order
	Help    string
	// Writes marks verbs that change stored data (notes, outcomes, settings).
	Writes bool
	// Slow marks verbs that draft through the Drafter, which may call a
	// language model; with SlowFlag set only when that flag is given
	// ("renewal draft").
	Slow     bool
	SlowFlag string
	// Access is the scope the verb touches, for domain.Authorize (with
	// Writes: Requirement). Empty until access control is wired into the
	// engine, which fills it in for every verb.
	Access domain.Scope
	// Result is a zero value of the verb's result type: the JSON Schema of
	// `ask --json` is generated from it. Also lists the other result types
	// the verb may return (`renewal draft` answers a DraftResult).
	Result Result
	Also   []Result
	Run    func(ctx context.Context, c *Call) (Result, error)
}

// Requirement is what the verb needs from access control.
func (v *Verb) Requirement() domain.Requirement {
	return domain.Requirement{Scope: v.Access, Write: v.Writes}
}

// Key names the verb in schemas and logs: "account.health", "account" for
// the account overview.
func (v *Verb) Key() string {
	if v.Name == "" {
		return v.Noun
	}
	return v.Noun + "." + v.Name
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
	if v.Noun == "" || v.Run == nil || v.Result == nil {
		return fmt.Errorf("verb %q: noun, Result and Run are required", v.Name)
	}
	names := append([]string{v.Name}, v.Aliases...)
	for _, n := range names {
		if _, dup := r.byKey[v.Noun+" "+n]; dup {
			return fmt.Errorf("command %q is registered twice", strings.TrimSpace(v.Noun+" "+n))
		}
	}
	seen := map[string]bool{}
	for _, g := range v.Args {
		if seen[g.Name] || g.Name == "" {
			return fmt.Errorf("command %q: argument %q declared twice or unnamed", v.Key(), g.Name)
		}
		seen[g.Name] = true
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

// All returns every verb in registration order.
func (r *Registry) All() []*Verb { return append([]*Verb(nil), r.order...) }

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

// Usage renders one verb's usage line from its declaration.
func (v *Verb) Usage() string {
	parts := []string{v.Noun}
	if v.Noun == "account" {
		parts = append(parts, "<name>")
	}
	if v.Name != "" {
		parts = append(parts, v.Name)
	}
	for _, g := range v.Args {
		if u := g.usage(); u != "" {
			parts = append(parts, u)
		}
	}
	return strings.Join(parts, " ")
}

// HelpResult is the command list.
type HelpResult struct {
	Topic    string        `json:"topic,omitempty"`
	Commands []HelpCommand `json:"commands"`
}

// HelpCommand is one line of help.
type HelpCommand struct {
	Command string    `json:"command"`
	Usage   string    `json:"usage"`
	Help    string    `json:"help"`
	Writes  bool      `json:"writes,omitempty"`
	Args    []HelpArg `json:"args,omitempty"`
}

// HelpArg describes one declared argument.
type HelpArg struct {
	Name     string   `json:"name"`
	Kind     Kind     `json:"kind"`
	Help     string   `json:"help,omitempty"`
	Default  string   `json:"default,omitempty"`
	Enum     []string `json:"enum,omitempty"`
	Required bool     `json:"required,omitempty"`
}

// Help generates the command list from the registry.
func (r *Registry) Help(topic string) (*HelpResult, error) {
	nouns := r.Nouns()
	if topic != "" {
		if len(r.Verbs(topic)) == 0 {
			return nil, userErrorf("There is no help topic %q. Try `help` for the list of commands.", topic)
		}
		nouns = []string{topic}
	}
	res := &HelpResult{Topic: topic, Commands: []HelpCommand{}}
	for _, n := range nouns {
		for _, v := range r.Verbs(n) {
			h := v.Help
			if len(v.Aliases) > 0 {
				h += " (also: " + strings.Join(v.Aliases, ", ") + ")"
			}
			c := HelpCommand{Command: v.Key(), Usage: v.Usage(), Help: h, Writes: v.Writes}
			for _, g := range v.Args {
				c.Args = append(c.Args, HelpArg{Name: g.Name, Kind: g.Kind, Help: g.Help, Default: g.Default, Enum: g.Enum, Required: g.Required})
			}
			res.Commands = append(res.Commands, c)
		}
	}
	return res, nil
}

// Message draws the help.
func (h *HelpResult) Message() *Message {
	m := &Message{Title: "AccountBot commands"}
	if h.Topic != "" {
		m.Title = "AccountBot: " + h.Topic + " commands"
	}
	l := List{}
	for _, c := range h.Commands {
		l.Items = append(l.Items, Item{Text: c.Usage, Detail: c.Help})
	}
	m.Blocks = append(m.Blocks, l,
		Context{Text: "Names match the account id, name or an alias, in any case. Quote names that contain a command word: account \"Health Corp\" renewal."})
	return m
}

// Returns reports whether r is of one of the verb's declared result types.
func (v *Verb) Returns(r Result) bool {
	for _, d := range append([]Result{v.Result}, v.Also...) {
		if reflect.TypeOf(d) == reflect.TypeOf(r) {
			return true
		}
	}
	return false
}
