package connector

import (
	"context"
	"fmt"

	"github.com/accountbot/accountbot/domain"
)

// AccountIDs is the Store for sources whose records carry the AccountBot
// account id itself, as the shared external account id: a Zendesk
// organization's external_id, a Stripe customer's metadata. Match looks the
// id up as an account id first, then falls back to the inner store's links.
// Such sources never create accounts; records naming no account go to the
// review list.
type AccountIDs struct {
	Store
	// Account returns the stored account of id, or an ENOTFOUND error.
	Account func(ctx context.Context, id string) (*domain.Account, error)
}

// Match implements Store.
func (s AccountIDs) Match(ctx context.Context, source string, ext []string) (map[string]*domain.Account, error) {
	out, err := s.Store.Match(ctx, source, ext)
	if err != nil {
		return nil, err
	}
	for _, e := range ext {
		if !domain.ValidID(e) {
			continue
		}
		a, err := s.Account(ctx, e)
		if domain.ErrorCode(err) == domain.ENOTFOUND {
			continue
		} else if err != nil {
			return nil, fmt.Errorf("reading account %s: %w", e, err)
		}
		a.Usage, a.Signals = nil, nil // the record only, as Match promises
		out[e] = a
	}
	return out, nil
}

// Combine merges the records of a page that name the same account (two
// Zendesk organizations, two Stripe customers with one account id) into
// one whose Contribute runs each in turn: the runner writes an account once
// per page, so two records for it would each start from the stored record
// and the second would undo the first. Refused and review-list records
// (no Contribute) are kept as they are.
func Combine(recs []Record) []Record {
	at := map[string]int{}
	out := recs[:0:0]
	for _, r := range recs {
		i, seen := at[r.ExternalID]
		if !seen || r.Contribute == nil || out[i].Contribute == nil {
			if r.Contribute != nil {
				at[r.ExternalID] = len(out)
			}
			out = append(out, r)
			continue
		}
		first, second := out[i].Contribute, r.Contribute
		out[i].Contribute = func(a *domain.Account) []string { return append(first(a), second(a)...) }
		out[i].Sample += "; " + r.Sample
	}
	return out
}
