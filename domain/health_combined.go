package domain

// CombinedScore is ScoreHealth(a, day, cfg).Combined without the reasons'
// labels and evidence: a weekly trend draws only the number, and
// formatting a dozen reasons for each of its twelve weeks was most of
// an `account X health` answer.
func CombinedScore(a *Account, day Date, cfg HealthConfig) int {
	return scoreHealth(a, day, cfg, false).Combined
}
