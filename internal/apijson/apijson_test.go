package apijson

import (
	"encoding/json"
	"io"
	"reflect"
	"strings"
	"testing"
)

type page struct {
	Total   int               `json:"total"`
	Results []map[string]any  `json:"results"`
	Props   map[string]string `json:"properties"`
	Next    *struct {
		After string `json:"after"`
	} `json:"next"`
}

// Decode gives what encoding/json gave for the answers' shapes, including
// the cases where json v2's own rules differ.
func TestDecodeAsEncodingJSON(t *testing.T) {
	for _, in := range []string{
		`{"total":2,"results":[{"id":"1","n":1.5,"b":true,"x":null,"o":{"a":[1,"2"]}}],"properties":{"a":"1","b":null},"next":{"after":"x"}}`,
		`{"TOTAL":3,"Properties":{"a":"1","a":"2"}}`,                        // names case-insensitive; the last of a repeated name
		`{"properties":{"bad":"` + "\xff\xfe" + `","esc":"\u00e9\n\"q\""}}`, // invalid UTF-8 replaced
		`{"results":null,"next":null}` + "\n \n",
	} {
		var got, want page
		if err := Decode(strings.NewReader(in), &got); err != nil {
			t.Fatalf("Decode(%q): %v", in, err)
		}
		if err := json.Unmarshal([]byte(in), &want); err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Decode(%q) = %+v; encoding/json gave %+v", in, got, want)
		}
	}
}

func TestDecodeRefusesWhatIsNotOneJSONValue(t *testing.T) {
	for _, in := range []string{``, `<html>502 Bad Gateway</html>`, `{"total":`, `{"total":1} {"total":2}`, `{"total":"1"}`} {
		var p page
		if err := Decode(strings.NewReader(in), &p); err == nil {
			t.Errorf("Decode(%q) = nil; want an error", in)
		}
	}
}

// The reader is read to its end, so an HTTP body can be reused.
func TestDecodeReadsToTheEnd(t *testing.T) {
	r := strings.NewReader(`{"total":1}` + "\n")
	var p page
	if err := Decode(r, &p); err != nil {
		t.Fatal(err)
	}
	if n, _ := io.Copy(io.Discard, r); n != 0 {
		t.Errorf("%d bytes left unread", n)
	}
}
