// Package schema generates the JSON Schema of every command's result (what
// `accountbot ask --json` prints) from the Go result types the verbs
// declare. The schemas are committed under docs/schemas; a test fails when
// they are stale, so the contract cannot drift from the code.
package schema

//go:generate go run ./schemagen -out ../../docs/schemas

import (
	"encoding/json"
	"fmt"
	"reflect"

	"github.com/invopop/jsonschema"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/replay"
)

// BaseURL is where the schemas are published (their $id prefix).
const BaseURL = "https://github.com/accountbot/accountbot/docs/schemas/"

// ErrorFile is the schema of the one error shape every command may answer.
const ErrorFile = "error.json"

// RulesDiffFile is the schema of `accountbot rules diff --json` (package replay).
const RulesDiffFile = "rules.diff.json"

// File names a command's schema file: "account.health.json".
func File(v *bot.Verb) string { return v.Key() + ".json" }

// Generate returns every schema file by name, indented and ending in a
// newline, as committed.
func Generate(reg *bot.Registry) (map[string][]byte, error) {
	out := map[string][]byte{}
	add := func(name, title string, v any, also ...bot.Result) error {
		s := reflector().Reflect(v)
		oneOf(s, also)
		s.ID = jsonschema.ID(BaseURL + name)
		s.Title = title
		b, err := json.MarshalIndent(s, "", "  ")
		if err != nil {
			return fmt.Errorf("schema %s: %w", name, err)
		}
		out[name] = append(b, '\n')
		return nil
	}
	for _, v := range reg.All() {
		if err := add(File(v), v.Usage(), v.Result, v.Also...); err != nil {
			return nil, err
		}
	}
	if err := add(ErrorFile, "a command that failed", &bot.ErrorResult{}); err != nil {
		return nil, err
	}
	if err := add(RulesDiffFile, "accountbot rules diff CANDIDATE.yaml --json", &replay.Diff{}); err != nil {
		return nil, err
	}
	return out, nil
}

// oneOf widens s to any of its own type or the also types (whose
// definitions it takes in).
func oneOf(s *jsonschema.Schema, also []bot.Result) {
	if len(also) == 0 {
		return
	}
	refs := []*jsonschema.Schema{{Ref: s.Ref}}
	for _, a := range also {
		as := reflector().Reflect(a)
		for k, d := range as.Definitions {
			s.Definitions[k] = d
		}
		refs = append(refs, &jsonschema.Schema{Ref: as.Ref})
	}
	s.Ref, s.AnyOf = "", refs
}

// enums are the closed vocabularies of the domain's string types.
var enums = map[reflect.Type][]any{
	reflect.TypeOf(domain.Priority("")):  {domain.PriorityTop, domain.PriorityHigh, domain.PriorityMedium, domain.PriorityDecision},
	reflect.TypeOf(domain.Band("")):      {domain.BandHigh, domain.BandMedium, domain.BandLow},
	reflect.TypeOf(domain.Readiness("")): {domain.Green, domain.Yellow, domain.Red},
	reflect.TypeOf(domain.Result("")):    {domain.Won, domain.Lost, domain.Pending},
	reflect.TypeOf(domain.Stage("")): {domain.StageUnknown, domain.StageEarly, domain.StageGauge, domain.StageShowcase,
		domain.StageFinalize, domain.StageOverdue},
	// "" is an outcome that was not an expansion.
	reflect.TypeOf(domain.Motion("")): append(motions(), domain.MotionAdoptionFirst, ""),
}

func motions() []any {
	out := make([]any, len(domain.Motions))
	for i, m := range domain.Motions {
		out[i] = m
	}
	return out
}

func reflector() *jsonschema.Reflector {
	return &jsonschema.Reflector{Mapper: func(t reflect.Type) *jsonschema.Schema {
		switch t {
		case reflect.TypeOf(domain.Date(0)): // "YYYY-MM-DD", or null when unset
			return &jsonschema.Schema{OneOf: []*jsonschema.Schema{{Type: "string", Format: "date"}, {Type: "null"}}}
		case reflect.TypeOf(json.Number("")): // money in major units
			return &jsonschema.Schema{Type: "number"}
		}
		if e, ok := enums[t]; ok {
			return &jsonschema.Schema{Type: "string", Enum: e}
		}
		return nil
	}}
}
