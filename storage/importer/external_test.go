package importer

import (
	"strings"
	"testing"
)

func TestExternalIDsInFiles(t *testing.T) {
	im := New(Options{})
	im.AddFile("a.json", strings.NewReader(`[
 {"id":"acme","name":"Acme","arr":10,"external_ids":{"crm":"0015A","billing":"cus_1"}},
 {"id":"bad","name":"Bad","arr":1,"external_ids":{"CRM":"x"}},
 {"id":"worse","name":"Worse","arr":1,"external_ids":["crm"]}
]`))
	im.AddFile("b.jsonl", strings.NewReader("{\"id\":\"hooli\",\"name\":\"Hooli\",\"arr\":5,\"external_ids\":{\"support\":\"org-9\"}}\n"))
	im.AddFile("c.csv", strings.NewReader("id,name,external_id:crm,arr,External_ID:Segment\ninitech,Initech,0015C,7,grp_ini\n\n\"multi\nline\",Multi,,1,\nnull,Null,0015N,x,\nbad2,Bad2,\"x\x01\",1,\n"))
	im.AddFile("d.csv", strings.NewReader("id,name,arr\nplain,Plain,3\n"))
	res := im.Finish(nil)
	var got []string
	for _, e := range res.Errors {
		got = append(got, e.String())
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{
		`a.json:3: external_ids.CRM: source "CRM"`,
		"a.json:4: external_ids: must be an object",
		`c.csv:6:17: arr: amount "x"`,
		`c.csv:7:11: external_ids.crm: "x\x01"`,
		`c.csv:4:1: id: must be 1-128`, // the multi-line id starts on line 4 after a blank line
	} {
		if !strings.Contains(all, want) {
			t.Errorf("missing %q in\n%s", want, all)
		}
	}
	ids := map[string]map[string]string{}
	for _, p := range res.Patches {
		ids[p.ID] = p.Core.ExternalIDs
	}
	if ids["acme"]["crm"] != "0015A" || ids["acme"]["billing"] != "cus_1" || ids["hooli"]["support"] != "org-9" ||
		ids["initech"]["crm"] != "0015C" || ids["initech"]["segment"] != "grp_ini" || ids["plain"] != nil {
		t.Errorf("ids = %v", ids)
	}
	if _, ok := ids["bad"]; ok {
		t.Error("an account with a bad external id was kept")
	}
}

// TestExternalIDsTruncatedArray: a JSON array cut short is reported as
// broken, with or without external ids, not imported as if it were whole.
func TestExternalIDsTruncatedArray(t *testing.T) {
	for _, body := range []string{
		`[{"id":"acme","name":"Acme","arr":10,"external_ids":{"crm":"0015A"}}`,
		`[{"id":"acme","name":"Acme","arr":10}`,
	} {
		im := New(Options{})
		im.AddFile("a.json", strings.NewReader(body))
		res := im.Finish(nil)
		var got []string
		for _, e := range res.Errors {
			got = append(got, e.String())
		}
		if all := strings.Join(got, "\n"); !strings.Contains(all, "a.json:1: broken JSON") {
			t.Errorf("%s: errors %q, want broken JSON", body, all)
		}
	}
}
