package main

import (
	"context"
	"fmt"
)

const rulesUsage = `Usage: accountbot rules <subcommand>

Subcommands:
  diff CANDIDATE.yaml [--weeks 26] [--json]   replay the current and the candidate rules on the
                                              book's past weeks, side by side, with a back-test
`

// runRules dispatches `accountbot rules …`.
func (m *Main) runRules(ctx context.Context) error {
	if len(m.Args) == 0 {
		fmt.Fprint(m.Stderr, rulesUsage)
		return errUsage
	}
	// m.Args keeps the subcommand: a running serve is sent all of it.
	switch sub := m.Args[0]; sub {
	case "diff":
		return m.runRulesDiff(ctx)
	case "help", "-h", "--help":
		fmt.Fprint(m.Stdout, rulesUsage)
		return nil
	default:
		fmt.Fprintf(m.Stderr, "accountbot rules: unknown subcommand %q\n\n%s", sub, rulesUsage)
		return errUsage
	}
}
