package domain

// TierResult is an account's segment with the reason for it.
type TierResult struct {
	Tier            int    `json:"tier"`        // 1 high-touch, 2 mid-touch, 3 low-touch
	ByARR           int    `json:"tier_by_arr"` // the tier ARR alone gives
	Reason          string `json:"reason"`
	Engagement      string `json:"engagement"`   // the tier's engagement strategy
	CadenceDays     int    `json:"cadence_days"` // 0: automated engagement
	RenewalLeadDays int    `json:"renewal_lead_days"`
}

var tierStrategy = [3]string{
	"High-touch: monthly check-ins, executive alignment, custom success plan, strategic QBRs",
	"Mid-touch: check-ins every 8 weeks, quarterly business reviews, standard success framework",
	"Low-touch: automated engagement, reactive support, proactive only for renewal",
}

// majorToMinor converts a config amount in major units to a's minor units.
func majorToMinor(v int64, currency string) int64 { return v * pow10(MinorDigits(currency)) }

// AssignTier segments an account: ARR first, then the seed's overrides — a
// large expansion potential lifts it to Tier 1, and high renewal risk raises
// the touch level by one tier ("renewal risk overrides revenue").
func AssignTier(a *Account, h Health, cfg TierConfig) TierResult { return assignTier(a, h, cfg, true) }

// assignTier is AssignTier; without explain the reason is left empty.
func assignTier(a *Account, h Health, cfg TierConfig, explain bool) TierResult {
	say := sayer(explain)
	t1, t2 := majorToMinor(cfg.Tier1MinARR, a.Currency), majorToMinor(cfg.Tier2MinARR, a.Currency)
	// short is a money amount as text, only when explaining: Short is not cheap.
	short := func(v int64) string {
		if !explain {
			return ""
		}
		return a.Money(v).Short()
	}
	var r TierResult
	switch {
	case a.ARR >= t1:
		r.ByARR, r.Reason = 1, say("ARR %s is at least %s", short(a.ARR), short(t1))
	case a.ARR >= t2:
		r.ByARR, r.Reason = 2, say("ARR %s is between %s and %s", short(a.ARR), short(t2), short(t1))
	default:
		r.ByARR, r.Reason = 3, say("ARR %s is under %s", short(a.ARR), short(t2))
	}
	r.Tier = r.ByARR
	if lift := majorToMinor(cfg.ExpansionLiftMin, a.Currency); cfg.ExpansionLiftMin > 0 && r.Tier > 1 && a.ExpansionPotential >= lift {
		r.Tier = 1
		r.Reason += say("; lifted to Tier 1: expansion potential %s is at least %s", short(a.ExpansionPotential), short(lift))
	}
	if cfg.HighRiskRaisesTouch && h.RiskBand == BandHigh && r.Tier > 1 {
		r.Tier--
		r.Reason += say("; raised to Tier %d: high retention risk (%d)", r.Tier, h.RetentionRisk)
	}
	r.Engagement = tierStrategy[r.Tier-1]
	r.CadenceDays = cfg.CadenceDays[r.Tier-1]
	r.RenewalLeadDays = cfg.RenewalLeadDays[r.Tier-1]
	return r
}
