package nudge

import (
	"strings"

	"github.com/accountbot/accountbot/domain"
)

// Nudges are checked against the access rules when their message is
// built, not only when they are planned: between the two an account may
// be reassigned (a sync, an import, a retry hours later), and the owner
// index read at planning may lag the account itself.

// readsAsOwner reports whether account a belongs in a personal nudge
// (digest, weekly review, alert) to the person with this e-mail: it is
// still theirs, and the access rules let them read it, as they would if
// they asked for it.
func (s *Scheduler) readsAsOwner(to string, a *domain.Account) bool {
	if to == "" || !strings.EqualFold(a.Owner, to) {
		return false
	}
	who := domain.Principal{Email: strings.ToLower(to), Home: true, InBook: true}
	return domain.Authorize(who, domain.Requirement{Scope: domain.ScopeAccount}, domain.AccountTarget(a, who.Email), s.Rules().Access).Allowed
}

// stillRoutedTo reports whether a renewal reminder planned for channel
// still goes there: the channel rules, applied to the account as it is
// now (at the tier it was planned with), choose the same channel.
func (s *Scheduler) stillRoutedTo(channel string, tier int, a *domain.Account) bool {
	return s.cfg.Channels.channelFor(tier, a.Owner) == channel
}
