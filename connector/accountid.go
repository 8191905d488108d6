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
