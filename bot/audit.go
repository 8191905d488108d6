package bot

import (
	"context"
	"errors"
	"fmt"
	"sort"

	"github.com/accountbot/accountbot/domain"
)

// AuditLog records what was asked and done (storage.DB appends it).
type AuditLog interface {
	AppendAudit(ctx context.Context, e domain.AuditEntry) error
}

// OnceStore writes a user's change together with its write id, once
// (storage.DB). Without it writes are not guarded against replays.
type OnceStore interface {
	ApplyOnce(ctx context.Context, id string, patches []domain.Patch) (domain.ApplyStats, bool, error)
	AddOutcomeOnce(ctx context.Context, id string, o domain.Outcome) (bool, error)
}

// errReplayed: the write's id was recorded already; nothing changed.
var errReplayed = errors.New("write already recorded")

// ReplayedResult answers a write whose id was already recorded: a
// replayed request, a double click or a redelivery.
type ReplayedResult struct {
	Replayed bool   `json:"replayed"`
	Text     string `json:"text"`
}

// Message says nothing changed.
func (r *ReplayedResult) Message() *Message {
	return &Message{Title: "Already recorded", Blocks: []Block{Section{Text: r.Text}}}
}

// replayed turns errReplayed into its answer.
func replayed(r Result, err error) (Result, error) {
	if errors.Is(err, errReplayed) {
		return &ReplayedResult{Replayed: true, Text: "Already recorded — nothing changed."}, nil
	}
	return r, err
}

// apply writes patches under the request's write id.
func (e *Engine) apply(ctx context.Context, c *Call, patches []domain.Patch) error {
	c.stamp(patches)
	if os, ok := e.Store.(OnceStore); ok && c.Req.WriteID != "" {
		_, seen, err := os.ApplyOnce(ctx, c.Req.WriteID, patches)
		if err == nil && seen {
			return errReplayed
		}
		return err
	}
	_, err := e.Store.Apply(ctx, patches)
	return err
}

// addOutcome logs an outcome under the request's write id.
func (e *Engine) addOutcome(ctx context.Context, c *Call, o domain.Outcome) error {
	if os, ok := e.Store.(OnceStore); ok && c.Req.WriteID != "" {
		seen, err := os.AddOutcomeOnce(ctx, c.Req.WriteID, o)
		if err == nil && seen {
			return errReplayed
		}
		return err
	}
	return e.Store.AddOutcome(ctx, o)
}

// audit appends the record of one command, button or form: who, what
// (the verb and its typed arguments, free text truncated) and how it
// ended. A write that succeeded is recorded as a write.
func (e *Engine) audit(ctx context.Context, kind domain.AuditKind, c *Call, text string, r Result, err error) {
	if e.Audit == nil {
		return
	}
	u := c.Req.User
	en := domain.AuditEntry{At: c.Req.Now, Platform: u.Platform, Workspace: u.Workspace, UserID: u.ID, Email: u.Email,
		Kind: kind, Result: domain.AuditOK, WriteID: c.Req.WriteID}
	if c.Verb != nil {
		en.Verb = c.Verb.Noun + " " + c.Verb.Name
		if c.Verb.Name == "" {
			en.Verb = c.Verb.Noun
		}
		if c.Verb.Writes && err == nil && kind == domain.AuditCommand {
			en.Kind = domain.AuditWrite
		}
	} else {
		en.Args = []domain.AuditArg{{Name: "text", Value: text}}
	}
	if c.Account != nil {
		en.Account = c.Account.ID
	}
	names := make([]string, 0, len(c.Args))
	for n := range c.Args {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		v := c.Args[n]
		val := v.Text
		switch {
		case val != "":
		case v.Flag:
			val = "true"
		case v.Int != 0:
			val = fmt.Sprint(v.Int)
		default:
			continue
		}
		en.Args = append(en.Args, domain.AuditArg{Name: n, Value: val})
	}
	var rf *refusal
	switch {
	case errors.As(err, &rf):
		en.Result, en.Reason = domain.AuditRefused, fmt.Sprintf("%s (needs %s)", rf.d.Reason, rf.d.Role)
	case err != nil:
		en.Result, en.Reason = domain.AuditError, domain.ErrorCode(err)
	default:
		if rr, ok := r.(*ReplayedResult); ok && rr.Replayed {
			en.Result = domain.AuditReplayed
		}
	}
	if aerr := e.Audit.AppendAudit(ctx, en); aerr != nil {
		e.Log.Error("audit record not written", "verb", en.Verb, "err", aerr)
	}
}
