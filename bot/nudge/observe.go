package nudge

import "github.com/accountbot/accountbot/domain"

// Platform names the platforms pass to bot.SendHooks.
const (
	PlatformSlack = "slack"
	PlatformTeams = "teams"
)

// Outcomes of a nudge, as counted by an Observer.
const (
	OutcomePlanned          = "planned"
	OutcomeSent             = "sent"
	OutcomeFailed           = "failed"
	OutcomeAbandoned        = "abandoned"         // stopped before its POST; planned again at start
	OutcomeDoubleAvoided    = "doubled_avoided"   // an interrupted send found delivered, not resent
	OutcomeResentUnverified = "resent_unverified" // an interrupted Teams send resent: may arrive twice
)

// Observer counts nudge outcomes (the metrics package implements it).
type Observer interface {
	Nudge(kind domain.NudgeKind, platform, outcome string)
}

func (s *Scheduler) observe(kind domain.NudgeKind, platform, outcome string) {
	if s.Observer != nil {
		s.Observer.Nudge(kind, platform, outcome)
	}
}
