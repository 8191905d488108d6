package domain

import (
	"bytes"
	"fmt"
	"reflect"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"
)

// ParseRules reads a candidate rule set: YAML with the keys of the config
// file's rules section at its top level (what `rules show` prints). Keys
// the candidate leaves out keep base's values. Every unknown key, value of
// the wrong type and value out of range is reported by its YAML path in one
// EINVALID error, before anything uses the candidate. Access (roles, audit
// retention) is not a scoring rule and stays in the config file.
func ParseRules(b []byte, base Config) (Config, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return base, Errorf(EINVALID, "the candidate is not valid YAML: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if len(doc.Content) == 0 {
		return base, Errorf(EINVALID, "the candidate is empty: write the rules keys to change (health:, priority:, tiers: …), or the output of `accountbot rules show`")
	}
	var bad []string
	checkNode(doc.Content[0], reflect.TypeFor[Config](), "", &bad)
	if len(bad) > 0 {
		return base, Errorf(EINVALID, "invalid candidate: %s", strings.Join(bad, "; "))
	}
	cfg := base
	cfg.Triggers.Modules = nil // a list in the candidate replaces the base's; absent, the base's is kept below
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil { // checkNode has seen every key and type; this is a backstop
		return base, Errorf(EINVALID, "invalid candidate: %s", strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if cfg.Triggers.Modules == nil {
		cfg.Triggers.Modules = base.Triggers.Modules
	}
	if err := cfg.Validate(); err != nil {
		return base, Errorf(EINVALID, "invalid candidate: %s", strings.TrimPrefix(ErrorMessage(err), "invalid configuration: "))
	}
	return cfg, nil
}

// RulesYAML prints a rule set as a candidate ParseRules reads back
// (without access, which is not versioned).
func RulesYAML(c Config) ([]byte, error) {
	var n yaml.Node
	if err := n.Encode(c); err != nil {
		return nil, fmt.Errorf("encoding rules: %w", err)
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == "access" {
			n.Content = append(n.Content[:i], n.Content[i+2:]...)
			break
		}
	}
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(&n); err != nil {
		return nil, fmt.Errorf("encoding rules: %w", err)
	}
	return b.Bytes(), nil
}

// checkNode compares a YAML node with the Go type it will be decoded into,
// appending one message per unknown key or mistyped value.
func checkNode(n *yaml.Node, t reflect.Type, path string, bad *[]string) {
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	switch {
	case t.Kind() == reflect.Struct && t != reflect.TypeFor[Date]():
		if n.Kind != yaml.MappingNode {
			if !(n.Kind == yaml.ScalarNode && n.Tag == "!!null") {
				*bad = append(*bad, fmt.Sprintf("%s: must be a section of key: value lines, got %s", orTop(path), describe(n)))
			}
			return
		}
		fields := yamlFields(t)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i].Value, n.Content[i+1]
			f, ok := fields[k]
			switch {
			case path == "" && k == "access":
				*bad = append(*bad, "access: roles and audit retention are not versioned rules; set them under rules.access in the config file")
			case !ok:
				*bad = append(*bad, fmt.Sprintf("unknown key %s%s", rulePath(path, k), suggestKey(path, k, fields)))
			default:
				checkNode(v, f, rulePath(path, k), bad)
			}
		}
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct && n.Kind == yaml.SequenceNode:
		for i, e := range n.Content {
			checkNode(e, t.Elem(), fmt.Sprintf("%s[%d]", path, i), bad)
		}
	default:
		if err := n.Decode(reflect.New(t).Interface()); err != nil {
			*bad = append(*bad, fmt.Sprintf("%s: must be %s, got %s", path, kindText(t), describe(n)))
		}
	}
}

// yamlFields maps a struct's YAML keys to their types, inline fields included.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for f := range t.Fields() {
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		switch {
		case name == "-" || !f.IsExported():
		case strings.Contains(opts, "inline"):
			for k, v := range yamlFields(f.Type) {
				out[k] = v
			}
		case name != "":
			out[name] = f.Type
		default:
			out[strings.ToLower(f.Name)] = f.Type
		}
	}
	return out
}

func rulePath(path, k string) string {
	if path == "" {
		return k
	}
	return path + "." + k
}

func orTop(path string) string {
	if path == "" {
		return "the candidate"
	}
	return path
}

// describe shows what the candidate wrote, briefly.
func describe(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a section"
	case yaml.SequenceNode:
		return fmt.Sprintf("a list of %d", len(n.Content))
	}
	v := n.Value
	if len(v) > 40 {
		v = v[:40] + "…"
	}
	return fmt.Sprintf("%q", v)
}

// kindText says what a rule value must be, in words.
func kindText(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int64, reflect.Int32:
		return "a whole number"
	case reflect.Float64, reflect.Float32:
		return "a number"
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "text"
	case reflect.Array:
		return fmt.Sprintf("a list of %d %ss", t.Len(), strings.TrimPrefix(kindText(t.Elem()), "a "))
	case reflect.Slice:
		return "a list"
	}
	return "a " + t.Kind().String()
}

// suggestKey names the keys of the same section within a few edits of k,
// or lists the section's keys when none is close.
func suggestKey(path, k string, fields map[string]reflect.Type) string {
	var near []string
	var ed editDistance // names.go
	best := max(2, len(k)/4) + 1
	for f := range fields {
		d := ed.within([]rune(k), []byte(f), best, false)
		if strings.Contains(f, k) && len(k) >= 4 {
			d = min(d, best-1)
		}
		switch {
		case d < best:
			best, near = d, []string{rulePath(path, f)}
		case d == best && near != nil:
			near = append(near, rulePath(path, f))
		}
	}
	if len(near) > 0 {
		slices.Sort(near)
		return " (did you mean " + strings.Join(near, " or ") + "?)"
	}
	keys := make([]string, 0, len(fields))
	for f := range fields {
		keys = append(keys, f)
	}
	slices.Sort(keys)
	return fmt.Sprintf(" (%s has: %s)", orTop(path), strings.Join(keys, ", "))
}
