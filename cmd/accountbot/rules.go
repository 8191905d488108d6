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
	sub := m.Args[0]
	m.Args = m.Args[1:]
	switch sub {
	case "diff":
		return m.runRulesDiff(ctx)
	case "help", "-h", "--help":
		fmt.Fprint(m.Stdout, rulesUsage)
		return nil
	}
	fmt.Fprintf(m.Stderr, "accountbot rules: unknown subcommand %q\n\n%s", sub, rulesUsage)
	return errUsage
}
