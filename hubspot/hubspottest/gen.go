package hubspottest

import (
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Generated is a synthetic portal computed on demand (nothing is held in
// memory), for benchmarks: n companies, each with one open renewal deal and
// two contacts. Company i was last modified at Base + i s, except the last
// Changed companies, modified at ChangedAt (+ i ms).
type Generated struct {
	Companies, Changed int
	Base, ChangedAt    time.Time
	Rev                int // appended to the names of the changed companies
}

const (
	companyBase = 10_000_000
	dealBase    = 20_000_000
	contactBase = 30_000_000
)

func (g *Generated) modified(i int) time.Time {
	if i >= g.Companies-g.Changed {
		return g.ChangedAt.Add(time.Duration(i) * time.Millisecond)
	}
	return g.Base.Add(time.Duration(i) * time.Second)
}

func (g *Generated) company(i int) Object {
	id := strconv.Itoa(companyBase + i)
	name := "Company " + id
	if i >= g.Companies-g.Changed && g.Rev > 0 {
		name += " rev " + strconv.Itoa(g.Rev)
	}
	return Object{ID: id, Properties: map[string]string{"name": name, "hubspot_owner_id": "41629779",
		"plan": "pro", "seats": strconv.Itoa(10 + i%500), "hs_lastmodifieddate": g.modified(i).UTC().Format(time.RFC3339Nano), "hs_object_id": id}}
}

func (g *Generated) object(kind string, id int) (Object, bool) {
	switch kind {
	case "deals":
		i := id - dealBase
		if i < 0 || i >= g.Companies {
			return Object{}, false
		}
		return Object{ID: strconv.Itoa(id), Properties: map[string]string{"amount": strconv.Itoa(1000+i%100_000) + ".00",
			"closedate": "2027-06-30T00:00:00.000Z", "deal_currency_code": "USD", "dealstage": "contractsent", "hs_is_closed_lost": "false"}}, true
	case "contacts":
		j := id - contactBase
		if j < 0 || j >= 2*g.Companies {
			return Object{}, false
		}
		title := [2]string{"CFO", "Head of Operations"}[j%2]
		return Object{ID: strconv.Itoa(id), Properties: map[string]string{"firstname": "Person", "lastname": strconv.Itoa(j), "jobtitle": title}}, true
	}
	return Object{}, false
}

// serve answers the read endpoints from the generator; false: not one.
func (g *Generated) serve(f *Fake, w http.ResponseWriter, r *http.Request, body map[string]json.RawMessage) bool {
	p := r.URL.Path
	switch {
	case r.Method == "GET" && p == "/crm/objects/2026-03/companies":
		q := r.URL.Query()
		lo, hi := 0, g.Companies
		if q.Get("archived") == "true" {
			hi = 0
		}
		g.page(f, w, lo, hi, q.Get("after"), q.Get("limit"), strings.Split(q.Get("properties"), ","), false)
	case r.Method == "POST" && p == "/crm/objects/2026-03/companies/search":
		var req SearchRequest
		b, _ := json.Marshal(body)
		json.Unmarshal(b, &req)
		v, _ := strconv.ParseInt(req.FilterGroups[0].Filters[0].Value, 10, 64)
		lo := sort.Search(g.Companies, func(i int) bool { return g.modified(i).UnixMilli() >= v })
		g.page(f, w, lo, g.Companies, req.After, strconv.Itoa(req.Limit), req.Properties, true)
	case r.Method == "POST" && strings.HasPrefix(p, "/crm/associations/2026-03/companies/"):
		to := strings.TrimSuffix(strings.TrimPrefix(p, "/crm/associations/2026-03/companies/"), "/batch/read")
		var inputs []struct{ ID string }
		json.Unmarshal(body["inputs"], &inputs)
		res := make([]map[string]any, 0, len(inputs))
		for _, in := range inputs {
			n, _ := strconv.Atoi(in.ID)
			i := n - companyBase
			ids := []int{dealBase + i}
			if to == "contacts" {
				ids = []int{contactBase + 2*i, contactBase + 2*i + 1}
			}
			var tos []map[string]any
			for _, id := range ids {
				tos = append(tos, map[string]any{"toObjectId": id, "associationTypes": []map[string]any{{"category": "HUBSPOT_DEFINED", "typeId": 6}}})
			}
			res = append(res, map[string]any{"from": map[string]string{"id": in.ID}, "to": tos})
		}
		f.writeJSON(w, map[string]any{"status": "COMPLETE", "results": res})
	case r.Method == "POST" && strings.HasSuffix(p, "/batch/read"):
		kind := strings.TrimSuffix(strings.TrimPrefix(p, "/crm/objects/2026-03/"), "/batch/read")
		var inputs []struct{ ID string }
		json.Unmarshal(body["inputs"], &inputs)
		res := make([]Object, 0, len(inputs))
		for _, in := range inputs {
			n, _ := strconv.Atoi(in.ID)
			if o, ok := g.object(kind, n); ok {
				res = append(res, o)
			}
		}
		f.writeJSON(w, map[string]any{"status": "COMPLETE", "results": res})
	default:
		return false
	}
	return true
}

func (g *Generated) page(f *Fake, w http.ResponseWriter, lo, hi int, after, limit string, props []string, search bool) {
	off, _ := strconv.Atoi(after)
	n, _ := strconv.Atoi(limit)
	if n <= 0 || n > 100 {
		n = 10
	}
	start := min(lo+off, hi)
	end := min(start+n, hi)
	res := make([]Object, 0, end-start)
	for i := start; i < end; i++ {
		res = append(res, project(g.company(i), props))
	}
	out := map[string]any{"results": res}
	if search {
		out["total"] = hi - lo
	}
	if end < hi {
		out["paging"] = map[string]any{"next": map[string]string{"after": strconv.Itoa(end - lo)}}
	}
	f.writeJSON(w, out)
}
