package salesforcetest

import (
	"fmt"
	"testing"
)

// GenOrg makes an org of n accounts, each with a renewal and a won
// opportunity and three contacts, owned by 50 users; fields are the
// fixture's.
func GenOrg(t testing.TB, n int) Org {
	return MakeOrg(LoadOrg(t).Fields, n)
}

func MakeOrg(fields map[string][]string, n int) Org {
	o := Org{Fields: fields, Objects: map[string][]Rec{}}
	ms := "2026-11-01T10:00:00.000+0000"
	attrs := func(typ, id string) map[string]any { return map[string]any{"type": typ} }
	titles := []string{"Chief Executive Officer", "VP Engineering", "Head of Customer Support", "Procurement Manager"}
	for u := 1; u <= 50; u++ {
		id := fmt.Sprintf("005%012dAAA", u)
		o.Objects["User"] = append(o.Objects["User"], Rec{"attributes": attrs("User", id), "Id": id, "Email": fmt.Sprintf("csm%d@acme.example", u), "IsActive": true})
	}
	for i := 1; i <= n; i++ {
		id := fmt.Sprintf("001%012dAAA", i)
		o.Objects["Account"] = append(o.Objects["Account"], Rec{"attributes": attrs("Account", id), "Id": id, "Name": fmt.Sprintf("Customer %d", i),
			"OwnerId": fmt.Sprintf("005%012dAAA", i%50+1), "Plan__c": "Growth", "IsDeleted": false, "SystemModstamp": ms})
		for k, typ := range []string{"Renewal", "New Business"} {
			oid := fmt.Sprintf("006%012d%dAA", i, k)
			o.Objects["Opportunity"] = append(o.Objects["Opportunity"], Rec{"attributes": attrs("Opportunity", oid), "Id": oid, "AccountId": id,
				"Type": typ, "Amount": float64(10000 + i%1000*100), "CloseDate": fmt.Sprintf("2027-%02d-15", i%12+1),
				"IsClosed": k == 1, "IsWon": k == 1, "IsDeleted": false, "SystemModstamp": ms})
		}
		for k := 0; k < 3; k++ {
			cid := fmt.Sprintf("003%012d%dAA", i, k)
			o.Objects["Contact"] = append(o.Objects["Contact"], Rec{"attributes": attrs("Contact", cid), "Id": cid, "AccountId": id,
				"FirstName": fmt.Sprintf("First%d", k), "LastName": fmt.Sprintf("Last%d", i), "Email": fmt.Sprintf("c%d.%d@example.com", k, i),
				"Title": titles[(i+k)%len(titles)], "IsDeleted": false, "SystemModstamp": ms})
		}
	}
	return o
}
