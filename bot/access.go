package bot

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/accountbot/accountbot/domain"
)

// verbAccess is the scope each verb needs (Verb.Access) where the noun's
// default does not fit: account verbs need the account (ScopeAccount) and
// portfolio verbs an owner's book (ScopeOwner, resolved from `for`).
var verbAccess = map[string]domain.Scope{
	"help":                ScopeHelp,
	"portfolio.owners":    domain.ScopeBook,
	"portfolio.settings":  domain.ScopeSelf,
	"portfolio.nudges":    domain.ScopeSelf,
	"portfolio.dashboard": domain.ScopeOwner,
}

// ScopeHelp is help's scope: anyone.
const ScopeHelp = domain.ScopePublic

// readOnlyWrites are writes that change only the asker's own data, so
// they need to read the account, not to own it (a snooze is per person).
var readOnlyWrites = map[string]bool{"account.snooze": true}

// declareAccess fills in Access for every verb that did not declare one.
// A verb of an unknown noun is admin-only (Authorize's default).
func (r *Registry) declareAccess() {
	for _, v := range r.order {
		if v.Writes {
			v.Also = append(v.Also, &ReplayedResult{}) // a write id seen before
		}
		if v.Access != "" {
			continue
		}
		if s, ok := verbAccess[v.Key()]; ok {
			v.Access = s
			continue
		}
		switch v.Noun {
		case "account":
			v.Access = domain.ScopeAccount
		case "portfolio":
			v.Access = domain.ScopeOwner
		case "help":
			v.Access = domain.ScopePublic
		default:
			v.Access = domain.ScopeAdmin
		}
	}
}

// need is the verb's requirement as enforced.
func (v *Verb) need() domain.Requirement {
	r := v.Requirement()
	if readOnlyWrites[v.Key()] {
		r.Write = false
	}
	return r
}

// principal is who asks, for domain.Authorize. Platforms put an e-mail on
// the User only when they trust it (a full member of the home workspace
// or tenant), and mark guests. InBook is left false here: Authorize
// consults it only for stakeholder access, so accountTarget looks it up
// only when the asker is named on the account.
func (e *Engine) principal(_ context.Context, u User) (domain.Principal, error) {
	if u.Operator {
		return domain.Principal{Operator: true}, nil
	}
	email := strings.ToLower(strings.TrimSpace(u.Email))
	return domain.Principal{Email: email, Guest: u.Guest, Home: email != ""}, nil
}

// refused is the user-facing refusal: the role needed, nothing that exists.
func refused(d domain.Decision) error {
	return &refusal{d: d}
}

type refusal struct{ d domain.Decision }

func (r *refusal) Error() string { return "refused: " + r.d.Reason }

// Unwrap makes the refusal a domain error the user sees.
func (r *refusal) Unwrap() error { return domain.Errorf(domain.EFORBIDDEN, "%s", r.d.Message) }

// authorize decides the call: c.Verb and its arguments are bound, and for
// account verbs c.Account is the resolved account.
func (e *Engine) authorize(ctx context.Context, c *Call) error {
	need := c.Verb.need()
	var target domain.Target
	switch need.Scope {
	case domain.ScopeAccount:
		if c.Account != nil {
			t, err := e.accountTarget(ctx, &c.Who, c.Account)
			if err != nil {
				return err
			}
			target = t
		}
	case domain.ScopeOwner:
		t, book, err := e.ownerTarget(ctx, c)
		if err != nil {
			return err
		}
		if book {
			need.Scope = domain.ScopeBook
		}
		target = t
	}
	d := domain.Authorize(c.Who, need, target, e.Rules().Access)
	c.decision = d
	if !d.Allowed {
		return refused(d)
	}
	return nil
}

// ownerTarget is whose book a portfolio verb reads: the owner named by
// `for`, the asker's own, or the whole book (book is true). A name that
// matches no owner is authorized as typed, so that someone who may not
// read other books learns nothing from "no such owner".
func (e *Engine) ownerTarget(ctx context.Context, c *Call) (domain.Target, bool, error) {
	if c.Who.Operator {
		return domain.Target{}, false, nil
	}
	switch c.Verb.Key() {
	case "portfolio.dashboard":
		c.Args = Args{}
	case "portfolio.outcomes":
		if !c.Args.Has("for") { // win rates are the whole book's unless `for` is given
			return domain.Target{}, true, nil
		}
	}
	s, err := e.resolveScope(ctx, c)
	if err != nil {
		var de *domain.Error
		if errors.As(err, &de) && (de.Code == domain.ENOTFOUND || de.Code == domain.EINVALID) {
			typed := strings.ToLower(strings.TrimSpace(c.Args.Text("for")))
			if typed == "me" {
				typed = c.Who.Email
			}
			d := domain.Authorize(c.Who, c.Verb.need(), domain.Target{Owner: typed}, e.Rules().Access)
			if !d.Allowed {
				return domain.Target{}, false, refused(d)
			}
		}
		return domain.Target{}, false, err
	}
	if s.Owner == "" {
		return domain.Target{}, true, nil
	}
	return domain.Target{Owner: s.Owner}, false, nil
}

// accountTarget is account a as Authorize's target for who. When who is
// named on it as an internal stakeholder, whether they are a known CSM
// (InBook: they own accounts) is looked up once and kept on who.
func (e *Engine) accountTarget(ctx context.Context, who *domain.Principal, a *domain.Account) (domain.Target, error) {
	t := domain.AccountTarget(a, who.Email)
	if len(t.Stakeholders) == 0 || who.InBook {
		return t, nil
	}
	in, err := e.ownsAccounts(ctx, who.Email)
	if err != nil {
		return t, fmt.Errorf("checking who asks: %w", err)
	}
	who.InBook = in
	return t, nil
}

// ownsAccounts reports whether email owns accounts: from the store's owner
// index when it has a direct question for it, else from IDsByOwner.
func (e *Engine) ownsAccounts(ctx context.Context, email string) (bool, error) {
	if o, ok := e.Store.(interface {
		OwnsAccounts(ctx context.Context, email string) (bool, error)
	}); ok {
		return o.OwnsAccounts(ctx, email)
	}
	ids, err := e.Store.IDsByOwner(ctx, email)
	return len(ids) > 0, err
}

// mayRead reports whether the asker may read account a: names resolve
// and suggestions come only among those, so that a refusal and "no such
// account" cannot be told apart.
func (e *Engine) mayRead(ctx context.Context, who *domain.Principal, a *domain.Account) (bool, error) {
	t, err := e.accountTarget(ctx, who, a)
	if err != nil {
		return false, err
	}
	return domain.Authorize(*who, domain.Requirement{Scope: domain.ScopeAccount}, t, e.Rules().Access).Allowed, nil
}

// readable keeps the ids of accounts the asker may read; one is the
// account read on the way when exactly one id is kept (the engine answers
// about it, so it is not read twice).
func (e *Engine) readable(ctx context.Context, who domain.Principal, ids []string) (out []string, one *domain.Account, err error) {
	if who.Operator {
		return ids, nil, nil
	}
	out = ids[:0:0]
	for _, id := range ids {
		a, err := e.Store.Account(ctx, id)
		if err != nil {
			if domain.ErrorCode(err) == domain.ENOTFOUND {
				continue
			}
			return nil, nil, err
		}
		ok, err := e.mayRead(ctx, &who, a)
		if err != nil {
			return nil, nil, err
		}
		if ok {
			out, one = append(out, id), a
		}
	}
	if len(out) != 1 {
		one = nil
	}
	return out, one, nil
}
