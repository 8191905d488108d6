package domain

// RenewingTier is an account found by its renewal date, with the owner
// and tier of its stored evaluation (Tier 0 when none is stored): what
// planning renewal reminders needs to know before reading the account.
type RenewingTier struct {
	ID          string
	RenewalDate Date
	Owner       string
	Tier        int
}
