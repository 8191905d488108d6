package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/ingest"
	"github.com/accountbot/accountbot/storage"
)

// scopeList is a repeatable, comma-separated --scope flag.
type scopeList []string

func (s *scopeList) String() string { return strings.Join(*s, ",") }
func (s *scopeList) Set(v string) error {
	for part := range strings.SplitSeq(v, ",") {
		if part = strings.TrimSpace(strings.ToLower(part)); part != "" {
			*s = append(*s, part)
		}
	}
	return nil
}

// tokenSynopsis is the usage line for every token subcommand.
const tokenSynopsis = "token create --scope ingest|read|admin [--name NAME] | token list [--json] | token revoke ID"

// runToken manages the ingest API's bearer tokens.
func (m *Main) runToken(ctx context.Context) error {
	if sent, err := m.viaServer(ctx); sent {
		return err
	}
	if len(m.Args) == 0 {
		fmt.Fprintf(m.Stderr, "Usage: accountbot %s\n", tokenSynopsis)
		return errUsage
	}
	sub, args := m.Args[0], m.Args[1:]
	switch sub {
	case "create":
		return m.runTokenCreate(ctx, args)
	case "list":
		return m.runTokenList(ctx, args)
	case "revoke":
		return m.runTokenRevoke(ctx, args)
	}
	return domain.Errorf(domain.EINVALID, "unknown token command %q; usage: accountbot %s", sub, tokenSynopsis)
}

// runTokenCreate mints a token, stores its hash and prints the secret once.
func (m *Main) runTokenCreate(ctx context.Context, args []string) error {
	fs := m.subFlags("token create", "token create --scope ingest|read|admin [--scope …] [--name NAME]")
	var scopes scopeList
	fs.Var(&scopes, "scope", "what the token may do: ingest (write records), read (the review list), admin (all); repeat or comma-separate")
	name := fs.String("name", "", "a label for the token (who or what uses it)")
	if _, err := parseInterleaved(fs, args); err != nil {
		return err
	}
	t, secret, err := ingest.NewToken(*name, scopes, m.Now())
	if err != nil {
		return err
	}
	db, err := m.open(ctx)
	if err != nil {
		return err
	}
	if err := db.PutToken(ctx, t); err != nil {
		return err
	}
	fmt.Fprintf(m.Stderr, "Token %s created (scopes: %s). Its secret is shown only now; AccountBot keeps only a hash:\n", t.ID, strings.Join(t.Scopes, ", "))
	fmt.Fprintln(m.Stdout, secret)
	return nil
}

// runTokenList prints the stored tokens (never their secrets) as a table or JSON.
func (m *Main) runTokenList(ctx context.Context, args []string) error {
	fs := m.subFlags("token list", "token list [--json]")
	asJSON := fs.Bool("json", false, "print the tokens as JSON (never their secrets)")
	if _, err := parseInterleaved(fs, args); err != nil {
		return err
	}
	db, err := m.open(ctx)
	if err != nil {
		return err
	}
	toks, err := db.Tokens(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		return m.printTokensJSON(toks)
	}
	return m.printTokensTable(toks)
}

// printTokensJSON writes the tokens as a JSON array ([] when there are none).
func (m *Main) printTokensJSON(toks []storage.Token) error {
	type row struct {
		ID      string   `json:"id"`
		Name    string   `json:"name"`
		Scopes  []string `json:"scopes"`
		Created string   `json:"created"`
	}
	out := []row{}
	for _, t := range toks {
		out = append(out, row{t.ID, t.Name, t.Scopes, t.Created.Format("2006-01-02T15:04:05Z")})
	}
	return json.NewEncoder(m.Stdout).Encode(out)
}

// printTokensTable writes the tokens as an aligned table, or a hint when there are none.
func (m *Main) printTokensTable(toks []storage.Token) error {
	if len(toks) == 0 {
		fmt.Fprintln(m.Stdout, "No API tokens. Create one with `accountbot token create --scope ingest`.")
		return nil
	}
	tw := tabwriter.NewWriter(m.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tNAME\tSCOPES\tCREATED")
	for _, t := range toks {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", t.ID, t.Name, strings.Join(t.Scopes, ","), t.Created.Format("2006-01-02 15:04 UTC"))
	}
	return tw.Flush()
}

// runTokenRevoke revokes one token by ID.
func (m *Main) runTokenRevoke(ctx context.Context, args []string) error {
	if len(args) != 1 {
		fmt.Fprintln(m.Stderr, "Usage: accountbot token revoke ID   (IDs: accountbot token list)")
		return errUsage
	}
	db, err := m.open(ctx)
	if err != nil {
		return err
	}
	if err := db.RevokeToken(ctx, args[0]); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "Token %s revoked.\n", args[0])
	return nil
}
