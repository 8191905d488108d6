package replay

import (
	"sort"

	"github.com/accountbot/accountbot/domain"
)

// merge adds up the workers' totals into the diff.
func (r *replay) merge(ws []*worker) *Diff {
	d := &Diff{Today: r.today, From: r.from, Weeks: r.weeks, ByWeek: make([]WeekNudges, r.weeks), ByCSM: []CSMNudges{},
		Names: map[string]string{}}
	owners := map[string][]*ownerWeeks{}
	var risk, exp [2]domain.Tally
	for _, wk := range ws {
		d.Accounts += wk.accounts
		d.AccountWeeks += wk.accountWeeks
		d.BaselineWeeks += wk.baseline
		addCounts(&d.Changed, wk.changedNow)
		addCounts(&d.ChangedAnyWeek, wk.changedAny)
		for _, c := range wk.largest {
			d.Largest = keepLargest(d.Largest, c)
		}
		for email, ow := range wk.owners {
			owners[email] = append(owners[email], ow)
		}
		for k := range 2 {
			risk[k].Merge(&wk.risk[k])
			exp[k].Merge(&wk.expansion[k])
		}
	}
	for k := range 2 {
		risk[k].Finish()
		exp[k].Finish()
	}
	d.Backtest = Backtest{Risk: TallyPair{risk[0], risk[1]}, Expansion: TallyPair{exp[0], exp[1]}}
	for w := range r.weeks {
		d.ByWeek[w].Date = r.week(w)
	}
	for email, parts := range owners {
		c := CSMNudges{Owner: email, Digests: []DigestDiff{}}
		for w := range r.weeks {
			var top [2][]entry
			for _, ow := range parts {
				for k := range 2 {
					for _, e := range ow.top[w][k] {
						top[k] = offer(top[k], e, topN(k, r))
					}
					c.Alerts.add(k, ow.alerts[w][k])
					d.ByWeek[w].Alerts.add(k, ow.alerts[w][k])
				}
			}
			if added, dropped := digestDiff(top[0], top[1], d.Names); len(added)+len(dropped) > 0 {
				n := len(added) + len(dropped)
				c.Digests = append(c.Digests, DigestDiff{Date: r.week(w), Added: added, Dropped: dropped})
				c.DigestsChanged++
				c.EntriesChanged += n
				d.ByWeek[w].DigestsChanged++
				d.ByWeek[w].EntriesChanged += n
			}
		}
		d.Alerts.Current += c.Alerts.Current
		d.Alerts.Candidate += c.Alerts.Candidate
		d.ByCSM = append(d.ByCSM, c)
	}
	sort.Slice(d.ByCSM, func(i, j int) bool { return d.ByCSM[i].Owner < d.ByCSM[j].Owner })
	if d.Largest == nil {
		d.Largest = []AccountChange{}
	}
	return d
}

func topN(k int, r *replay) int {
	if k == 0 {
		return r.cur.Priority.TopN
	}
	return r.cand.Priority.TopN
}

func (p *Pair) add(k, n int) {
	if k == 0 {
		p.Current += n
	} else {
		p.Candidate += n
	}
}

func addCounts(dst *ChangeCounts, c ChangeCounts) {
	dst.Accounts += c.Accounts
	dst.Tier += c.Tier
	dst.Bands += c.Bands
	dst.Priority += c.Priority
}

// digestDiff returns the account ids only in cand's digest and only in
// cur's (the order within a digest is not a difference), each sorted, and
// records their names in names.
func digestDiff(cur, cand []entry, names map[string]string) (added, dropped []string) {
	in := make(map[string]string, len(cur))
	for _, e := range cur {
		in[e.key.ID] = e.name
	}
	added, dropped = []string{}, []string{}
	for _, e := range cand {
		if _, ok := in[e.key.ID]; ok {
			delete(in, e.key.ID)
		} else {
			added = append(added, e.key.ID)
			names[e.key.ID] = e.name
		}
	}
	for id, name := range in {
		dropped = append(dropped, id)
		names[id] = name
	}
	sort.Strings(added)
	sort.Strings(dropped)
	return added, dropped
}
