package importer

import (
	"strings"
	"testing"
)

// TestKeyPartsRefuseHiddenCharacters: a NUL or another control or
// invisible character in a value that becomes part of a storage key (owner,
// name, alias; ids have their own pattern) is refused with its row and field.
func TestKeyPartsRefuseHiddenCharacters(t *testing.T) {
	tests := []struct {
		name, file, data string
		line             int
		field, msg       string
	}{
		{"NUL in owner, JSON Lines", "a.jsonl",
			`{"id":"a1","name":"Fine","arr":1}` + "\n" + `{"id":"a2","name":"Ana Co","owner":"ana\u0000x@example.com","arr":1000}` + "\n",
			2, "owner", `control character U+0000 after "ana"`},
		{"NUL in owner, CSV", "a.csv", "id,name,owner,arr\na1,Ana Co,\"ana\x00x@example.com\",1000\n",
			2, "owner", "U+0000"},
		{"bidi override in name", "a.jsonl", `{"id":"a1","name":"Acme \u202eexe.gnp","arr":1}` + "\n",
			1, "name", "invisible character U+202E"},
		{"zero-width space in alias, CSV", "a.csv", "id,name,aliases,arr\na1,Acme,ac\u200bme;ok,1\n",
			2, "aliases[0]", "U+200B"},
		{"newline in name", "a.jsonl", `{"id":"a1","name":"Acme\nCorp","arr":1}` + "\n",
			1, "name", "U+000A"},
		{"id with NUL", "a.jsonl", `{"id":"a\u00001","name":"Acme","arr":1}` + "\n",
			1, "id", "must be 1-128 letters"},
		{"stakeholder name, CSV", "s.csv", "account_id,name\na1,\"Bo\x1bb\"\n",
			2, "name", "U+001B"},
		{"stakeholder name, JSON", "a.jsonl", `{"id":"a1","name":"Acme","arr":1,"stakeholders":[{"name":"Bo\u2066b"}]}` + "\n",
			1, "stakeholders[0].name", "U+2066"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := parse(t, map[string]string{tt.file: tt.data}, func(string) bool { return true })
			for _, e := range res.Errors {
				if e.File == tt.file && e.Line == tt.line && e.Field == tt.field && strings.Contains(e.Message, tt.msg) {
					return
				}
			}
			t.Errorf("want an error at %s:%d field %s mentioning %q; got %v", tt.file, tt.line, tt.field, tt.msg, res.Errors)
		})
	}
	// Visible non-ASCII text stays welcome.
	res := parse(t, map[string]string{"a.jsonl": `{"id":"a1","name":"Zürich Café 東京","aliases":["ZC"],"owner":"zoë@example.com","arr":1}` + "\n"}, nil)
	if len(res.Errors) != 0 {
		t.Errorf("clean non-ASCII names refused: %v", res.Errors)
	}
}
