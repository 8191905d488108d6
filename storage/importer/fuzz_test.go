package importer

import (
	"bytes"
	"testing"
)

// The importers must never panic, whatever the bytes; every input either
// yields patches or errors with a position.
func FuzzImportJSON(f *testing.F) {
	f.Add([]byte(`[{"id":"a","name":"A","arr":10,"usage":[{"date":"2026-01-01","active_users":3}]}]`))
	f.Add([]byte("{\"id\":\"a\",\"name\":\"A\",\"arr\":\"1.5\"}\n{\"id\":1}\n"))
	f.Add([]byte(`[{"id":"a","name":"A","arr":1e400,"stakeholders":[{"name":"x","left":"2026-13-01"}]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		im := New(Options{})
		im.Add("f.json", bytes.NewReader(data))
		res := im.Finish(func(string) bool { return true })
		for _, e := range res.Errors {
			if e.File != "f.json" || e.Message == "" {
				t.Fatalf("error without position or message: %+v", e)
			}
		}
	})
}

// FuzzImportCSV also drives the CRM options: a delimiter, a --map and a
// --date-format as a user would type them; options the flag parsers refuse
// are dropped, as the command would stop before reading.
func FuzzImportCSV(f *testing.F) {
	f.Add([]byte("id,name,arr,limits\na,A,10,API: 1/2\n"), "", "", "")
	f.Add([]byte("account_id,date,active_users,usage,tickets\na,2026-01-01,1,2,3\n"), "", "", "")
	f.Add([]byte("account_id,date,kind,note\na,2026-01-01,goal,\"multi\nline\"\n"), "", "", "")
	f.Add([]byte("account_id,name,function,executive\na,B,tech,yes\n"), "", "", "")
	f.Add([]byte("Kunde;Firma;Umsatz;Beginn\nk1;Müller;€ 18.000;01.04.2025\n"), ";", "Kunde=id,Firma=name,Umsatz=arr,Beginn=contract_start", "DD.MM.YYYY")
	f.Add([]byte("\xff\xfeA\x00\t\x00B\x00\n\x00"), "tab", "A=id,B=name", "MM/DD/YYYY")
	f.Add([]byte("Account Name,Acount Name,X\nA,B,C\n"), "", "Account Name=name,X=-", "01/02/2006")
	f.Fuzz(func(t *testing.T, data []byte, delim, mapping, dateFormat string) {
		opt := Options{DefaultCurrency: "EUR"}
		if c, err := ParseDelimiter(delim); err == nil {
			opt.Comma = c
		}
		if m := (Mapping{}); m.Parse(mapping) == nil {
			opt.Map = m
		}
		if l, err := ParseDateLayout(dateFormat); err == nil {
			opt.DateLayout = l
		}
		im := New(opt)
		im.Add("f.csv", bytes.NewReader(data))
		res := im.Finish(func(string) bool { return true })
		for _, e := range res.Errors {
			if (e.File != "f.csv" && e.File != "--map") || e.Message == "" {
				t.Fatalf("error without position or message: %+v", e)
			}
		}
	})
}
