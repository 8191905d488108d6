package domain

import (
	"fmt"
	"reflect"
	"strings"
	"time"
)

// RulesVersion is one applied rule set: v1 is the first rules the store
// saw; each `rules apply` adds the next. Versions are never edited, so a
// stored score's RulesVersion always names the rules that produced it.
type RulesVersion struct {
	Version int       `json:"version"`
	By      string    `json:"by"`   // OS user, --by, or "config file"
	At      time.Time `json:"at"`   // when it was applied
	Note    string    `json:"note"` // why
	// RestoredFrom is the version a rollback copied (0: a new rule set).
	RestoredFrom int          `json:"restored_from,omitempty"`
	Changes      []RuleChange `json:"changes"` // against the version before it
	Rules        Config       `json:"rules"`
}

// RuleChange is one rule key whose value changed, by its YAML path.
type RuleChange struct {
	Key string `json:"key"`
	Old string `json:"old"`
	New string `json:"new"`
}

func (c RuleChange) String() string { return fmt.Sprintf("%s %s → %s", c.Key, c.Old, c.New) }

// Label is "v3".
func (v RulesVersion) Label() string { return fmt.Sprintf("v%d", v.Version) }

// SummarizeChanges is a one-line diff summary, at most max keys spelled out.
func SummarizeChanges(cs []RuleChange, max int) string {
	if len(cs) == 0 {
		return "no rule changed"
	}
	parts := make([]string, 0, max+1)
	for i, c := range cs {
		if i == max {
			parts = append(parts, fmt.Sprintf("and %d more", len(cs)-max))
			break
		}
		parts = append(parts, c.String())
	}
	return strings.Join(parts, "; ")
}

// DiffRules lists the rule keys whose values differ between old and new,
// in the order of the YAML file. Access is not a versioned rule and is
// left out.
func DiffRules(old, new Config) []RuleChange {
	var out []RuleChange
	diffValue(reflect.ValueOf(old), reflect.ValueOf(new), "", &out)
	return out
}

func diffValue(a, b reflect.Value, path string, out *[]RuleChange) {
	t := a.Type()
	switch {
	case t.Kind() == reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
			if !f.IsExported() || name == "-" || (path == "" && name == "access") {
				continue
			}
			p := path
			if !strings.Contains(opts, "inline") {
				p = rulePath(path, name)
			}
			diffValue(a.Field(i), b.Field(i), p, out)
		}
	case t.Kind() == reflect.Slice && t.Elem().Kind() == reflect.Struct:
		for i := range max(a.Len(), b.Len()) {
			p := fmt.Sprintf("%s[%d]", path, i)
			switch {
			case i >= a.Len():
				*out = append(*out, RuleChange{p, "(none)", fmt.Sprintf("%v", b.Index(i).Interface())})
			case i >= b.Len():
				*out = append(*out, RuleChange{p, fmt.Sprintf("%v", a.Index(i).Interface()), "(removed)"})
			default:
				diffValue(a.Index(i), b.Index(i), p, out)
			}
		}
	default:
		if !reflect.DeepEqual(a.Interface(), b.Interface()) {
			*out = append(*out, RuleChange{path, leafText(a), leafText(b)})
		}
	}
}

// leafText prints a rule value as it would read in YAML.
func leafText(v reflect.Value) string {
	switch v.Kind() {
	case reflect.String:
		if v.String() == "" {
			return `""`
		}
		return v.String()
	case reflect.Slice, reflect.Array:
		parts := make([]string, v.Len())
		for i := range v.Len() {
			parts[i] = leafText(v.Index(i))
		}
		return "[" + strings.Join(parts, ", ") + "]"
	}
	return fmt.Sprint(v.Interface())
}

// OverlayRules returns base with the keys named in changes taken from
// from: the config file's edited keys over the version in force. A change
// inside a list of sections (triggers.modules[2].name) takes the whole list.
func OverlayRules(base, from Config, changes []RuleChange) Config {
	keys := make(map[string]bool, len(changes))
	for _, c := range changes {
		k, _, _ := strings.Cut(c.Key, "[")
		keys[k] = true
	}
	overlay(reflect.ValueOf(&base).Elem(), reflect.ValueOf(from), "", keys)
	return base
}

func overlay(dst, src reflect.Value, path string, keys map[string]bool) {
	t := dst.Type()
	for i := range t.NumField() {
		f := t.Field(i)
		name, opts, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if !f.IsExported() || name == "-" {
			continue
		}
		p := path
		if !strings.Contains(opts, "inline") {
			p = rulePath(path, name)
		}
		switch {
		case keys[p]:
			dst.Field(i).Set(src.Field(i))
		case f.Type.Kind() == reflect.Struct:
			overlay(dst.Field(i), src.Field(i), p, keys)
		}
	}
}
