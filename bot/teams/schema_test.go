package teams

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// cardSchemas maps the `version` a card declares to the vendored official
// Adaptive Card schema for it (see testdata/schema/README.md).
var cardSchemas = map[string]string{"1.5": "adaptive-card-1.5.json"}

var (
	schemaMu sync.Mutex
	compiled = map[string]*jsonschema.Schema{}
)

// schemaFor compiles (once) the vendored schema for a card version.
func schemaFor(version string) (*jsonschema.Schema, error) {
	schemaMu.Lock()
	defer schemaMu.Unlock()
	if s, ok := compiled[version]; ok {
		return s, nil
	}
	file, ok := cardSchemas[version]
	if !ok {
		return nil, fmt.Errorf("card declares version %q, for which no schema is vendored under testdata/schema", version)
	}
	f, err := os.Open(filepath.Join("testdata", "schema", file))
	if err != nil {
		return nil, err
	}
	defer f.Close()
	doc, err := jsonschema.UnmarshalJSON(f)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", file, err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat() // uri, uri-reference and the like are checked too
	if err := c.AddResource("file:///"+file, doc); err != nil {
		return nil, err
	}
	s, err := c.Compile("file:///" + file)
	if err != nil {
		return nil, fmt.Errorf("compiling %s: %w", file, err)
	}
	compiled[version] = s
	return s, nil
}

// validateCard checks one card, as sent, against the official schema for
// the version it declares. The top-level `msteams` property is Teams'
// documented extension (https://learn.microsoft.com/microsoftteams/platform/task-modules-and-cards/cards/cards-format):
// it is checked here against its documented shape and removed before the
// schema sees the card; nothing else is exempt.
func validateCard(card any) error {
	raw, err := json.Marshal(card)
	if err != nil {
		return err
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		return err
	}
	obj, ok := inst.(map[string]any)
	if !ok {
		return fmt.Errorf("a card must be a JSON object, got %T", inst)
	}
	if ext, ok := obj["msteams"]; ok {
		if err := validateMSTeams(ext); err != nil {
			return err
		}
		delete(obj, "msteams")
	}
	version, _ := obj["version"].(string)
	schema, err := schemaFor(version)
	if err != nil {
		return err
	}
	if err := schema.Validate(obj); err != nil {
		return fmt.Errorf("schema for %s: %v", version, err)
	}
	return nil
}

// validateMSTeams accepts Teams' card extension as documented: `width`
// ("Full") and `entities` (mention entities).
func validateMSTeams(ext any) error {
	m, ok := ext.(map[string]any)
	if !ok {
		return fmt.Errorf("msteams must be an object, got %T", ext)
	}
	for k, v := range m {
		switch k {
		case "width":
			if v != "Full" {
				return fmt.Errorf("msteams.width must be \"Full\", got %v", v)
			}
		case "entities":
			if _, ok := v.([]any); !ok {
				return fmt.Errorf("msteams.entities must be an array")
			}
		default:
			return fmt.Errorf("msteams.%s is not a documented Teams card property", k)
		}
	}
	return nil
}

// requireValid fails the test for every card that the schema refuses.
func requireValid(t *testing.T, name string, cards ...Card) {
	t.Helper()
	for i, c := range cards {
		if err := validateCard(c); err != nil {
			t.Errorf("%s card %d: %v", name, i, err)
		}
	}
}

// TestGoldenCardsMatchSchema validates every golden card (and the
// installation greeting) against the official Adaptive Card schema.
func TestGoldenCardsMatchSchema(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "golden", "*.json"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no golden cards: %v", err)
	}
	for _, path := range files {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		var cards []Card
		if strings.HasPrefix(strings.TrimSpace(string(raw)), "[") {
			err = json.Unmarshal(raw, &cards)
		} else {
			var c Card
			err = json.Unmarshal(raw, &c)
			cards = []Card{c}
		}
		if err != nil {
			t.Fatalf("%s: %v", path, err)
		}
		requireValid(t, filepath.Base(path), cards...)
	}
	requireValid(t, "hello", helloCard())
}

// TestSchemaRefusesWhatTeamsRefuses proves the validator is not vacuous:
// unknown properties, a misspelt element type and an undocumented msteams
// key are refused.
func TestSchemaRefusesWhatTeamsRefuses(t *testing.T) {
	bad := []Card{
		{"type": "AdaptiveCard", "version": "1.5", "body": []any{map[string]any{"type": "TextBlock", "text": "x", "colour": "red"}}},
		{"type": "AdaptiveCard", "version": "1.5", "body": []any{map[string]any{"type": "Textblock", "text": "x"}}},
		{"type": "AdaptiveCard", "version": "1.5", "body": []any{map[string]any{"type": "FactSet", "facts": []any{map[string]any{"title": "a"}}}}},
		{"type": "AdaptiveCard", "version": "1.5", "msteams": map[string]any{"width": "Full", "theme": "dark"}, "body": []any{}},
		{"type": "AdaptiveCard", "version": "1.5", "extra": true, "body": []any{}},
		{"type": "AdaptiveCard", "version": "9.9", "body": []any{}},
	}
	for i, c := range bad {
		if err := validateCard(c); err == nil {
			t.Errorf("bad card %d passed the schema: %v", i, c)
		}
	}
}
