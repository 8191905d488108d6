package main

import (
	"context"
	"fmt"
)

const rulesUsage = `Usage: accountbot rules <subcommand>

Subcommands:
  diff CANDIDATE.yaml [--weeks 26] [--json]   replay the current and the candidate rules on the
                                              book's past weeks, side by side, with a back-test
  apply CANDIDATE.yaml|vN --note "why" [--by NAME]
                                              record and use new rules (vN: roll back to version N)
  history [--json]                            every rules version: who, when, why, what changed
  show [vN]                                   a version as YAML (default: the one in force)
`

// runRules dispatches `accountbot rules …` (diff: rules_diff.go; apply,
// history, show: rules_version.go).
func (m *Main) runRules(ctx context.Context) error {
	if len(m.Args) == 0 {
		fmt.Fprint(m.Stderr, rulesUsage)
		return errUsage
	}
	// m.Args keeps the subcommand: a running serve is sent all of it.
	switch sub, args := m.Args[0], m.Args[1:]; sub {
	case "diff":
		return m.runRulesDiff(ctx)
	case "apply":
		return m.runRulesApply(ctx, args)
	case "history":
		return m.runRulesHistory(ctx, args)
	case "show":
		return m.runRulesShow(ctx, args)
	case "help", "-h", "--help":
		fmt.Fprint(m.Stdout, rulesUsage)
		return nil
	default:
		fmt.Fprintf(m.Stderr, "accountbot rules: unknown subcommand %q\n\n%s", sub, rulesUsage)
		return errUsage
	}
}
