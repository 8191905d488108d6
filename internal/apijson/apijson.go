// Package apijson reads the JSON answers of the vendors' APIs (HubSpot,
// Salesforce): the one way the CRM clients decode a response body.
//
// It uses github.com/go-json-experiment/json, the encoding/json/v2
// implementation before Go 1.27 (kept by the Go team; it becomes an alias
// of the standard library's under the goexperiment.jsonv2 tag), with
// encoding/json's v1 rules: the same values as json.NewDecoder(r).Decode,
// read in a fraction of the CPU. A full CRM load decodes hundreds of
// thousands of records, and v1's decoding was the largest cost after the
// store's.
package apijson

import (
	"io"

	json "github.com/go-json-experiment/json"
	jsonv1 "github.com/go-json-experiment/json/v1"
)

// v1 is encoding/json's behaviour: null into a string leaves "", invalid
// UTF-8 becomes U+FFFD, a repeated name's last value counts, names match
// case-insensitively.
var v1 = jsonv1.DefaultOptionsV1()

// Decode reads one JSON value from r into out and reads r to its end
// (only whitespace may follow the value). Reading to the end lets an HTTP
// client reuse the connection for the next request. A type may read
// itself from the tokens by implementing json v2's UnmarshalerFrom.
func Decode(r io.Reader, out any) error {
	return json.UnmarshalRead(r, out, v1)
}

// Unmarshal is Decode for a value already in memory: the evaluator's batch
// read of stored records (storage/badger), where encoding/json's decoding
// was a fifth of re-evaluating a changed account.
func Unmarshal(b []byte, out any) error {
	return json.Unmarshal(b, out, v1)
}
