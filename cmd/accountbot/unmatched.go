package main

import (
	"context"
	"encoding/json"
	"fmt"
	"text/tabwriter"

	"github.com/accountbot/accountbot/domain"
)

// runUnmatched prints the review list: records from sources that named
// no account by id or external id (Segment, the CRM sync: one list).
func (m *Main) runUnmatched(ctx context.Context) error {
	fs := m.subFlags("unmatched", "unmatched [--json]")
	asJSON := fs.Bool("json", false, "print the list as JSON")
	if _, err := parseInterleaved(fs, m.Args); err != nil {
		return err
	}
	db, err := m.open(ctx)
	if err != nil {
		return err
	}
	recs, err := db.Unmatched(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		if recs == nil {
			recs = []domain.UnmatchedRecord{}
		}
		return json.NewEncoder(m.Stdout).Encode(recs)
	}
	if len(recs) == 0 {
		fmt.Fprintln(m.Stdout, "Nothing to review: every record matched an account.")
		return nil
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tEXTERNAL ID\tKIND\tCOUNT\tLAST SEEN")
	for _, r := range recs {
		count, last := fmt.Sprint(r.Count), r.LastSeen.Format("2006-01-02 15:04 UTC")
		if r.LastSeen.IsZero() {
			count, last = "-", "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", r.Source, r.ExternalID, r.Kind, count, last)
	}
	tw.Flush()
	fmt.Fprintln(m.Stdout, "\nTo match them, give the account the id under external_ids (e.g. \"external_ids\": {\"segment\": \"grp_123\"}) and import it; the entry then leaves this list.")
	return nil
}
