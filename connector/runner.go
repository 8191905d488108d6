package connector

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/accountbot/accountbot/domain"
)

// Options configures one run.
type Options struct {
	Full   bool // start a fresh full load instead of continuing from the cursor
	DryRun bool // report what would change; write nothing, not even status
	// Create makes an account for a record no account matches (id
	// "<source>-<external id>"); without it such records go to the review
	// list. Names are never used to match.
	Create          bool
	DefaultCurrency string        // for created accounts whose source gives no currency
	Every           time.Duration // the schedule, for Status.NextRun (0: none)
	MaxChanges      int           // dry run: changes listed in the report (default 200)
}

// Change is one line of a dry-run (or verbose) report.
type Change struct {
	ExternalID string   `json:"external_id"`
	AccountID  string   `json:"account_id,omitempty"`
	Action     string   `json:"action"` // create, update, mark, unmatched, refuse
	Details    []string `json:"details,omitempty"`
}

// Report is the outcome of a run.
type Report struct {
	Status  Status   `json:"status"`
	Changes []Change `json:"changes,omitempty"`
	More    int      `json:"more_changes,omitempty"` // changes not listed
}

// Runner applies a Source to a Store.
type Runner struct {
	Store Store
	Now   func() time.Time
	Log   *slog.Logger
}

// maxRefusals bounds the refused-record messages kept in Status.
const maxRefusals = 10

// Run syncs src from its stored cursor (or from scratch with Full). Each
// page is applied with the cursor after it in one transaction, so a run
// killed between pages resumes at the first page not applied. A page that
// cannot be fetched stops the run with the cursor where it was.
func (r *Runner) Run(ctx context.Context, src Source, opt Options) (Report, error) {
	name := src.Name()
	prev, st, err := r.Store.SyncState(ctx, name)
	if err != nil {
		return Report{}, fmt.Errorf("reading %s sync state: %w", name, err)
	}
	now := r.now()
	cur := src.Begin(prev, opt.Full, now)
	st = Status{Source: name, LastRun: now, LastSuccess: st.LastSuccess, Full: opt.Full || prev == "",
		Cursor: prev, WritesPending: st.WritesPending, WritesFailed: st.WritesFailed, LastWriteErr: st.LastWriteErr}
	if opt.Every > 0 {
		st.NextRun = now.Add(opt.Every)
	}
	if opt.MaxChanges == 0 {
		opt.MaxChanges = 200
	}
	rep := Report{}
	for {
		if err := ctx.Err(); err != nil {
			return r.fail(ctx, &rep, st, opt, err)
		}
		page, err := src.Fetch(ctx, cur)
		if err != nil {
			return r.fail(ctx, &rep, st, opt, err)
		}
		c, err := r.plan(ctx, name, page, opt, &st, &rep)
		if err != nil {
			return r.fail(ctx, &rep, st, opt, err)
		}
		c.Cursor = page.Next
		if !opt.DryRun {
			if err := r.Store.CommitPage(ctx, name, c); err != nil {
				return r.fail(ctx, &rep, st, opt, fmt.Errorf("applying a page of %s records: %w", name, err))
			}
			st.Cursor = page.Next
		}
		cur = page.Next
		if page.Done {
			break
		}
	}
	st.LastSuccess = now
	rep.Status = st
	if opt.DryRun {
		return rep, nil
	}
	if err := r.Store.SaveStatus(ctx, name, st); err != nil {
		return rep, fmt.Errorf("saving %s sync status: %w", name, err)
	}
	return rep, nil
}

// fail records err as the run's last error (what the user sees in `sync
// status`) and returns it.
func (r *Runner) fail(ctx context.Context, rep *Report, st Status, opt Options, err error) (Report, error) {
	st.LastError = errorText(err)
	rep.Status = st
	if !opt.DryRun {
		if serr := r.Store.SaveStatus(context.WithoutCancel(ctx), st.Source, st); serr != nil && r.Log != nil {
			r.Log.Error("saving sync status", "source", st.Source, "err", serr)
		}
	}
	return *rep, err
}

// errorText is the message shown for err: a domain.Error's message as is,
// anything else with its wrapping (connector errors are written for people).
func errorText(err error) string {
	if code := domain.ErrorCode(err); code != domain.EINTERNAL {
		return domain.ErrorMessage(err)
	}
	return err.Error()
}

// plan matches a page's records to accounts and merges the CRM-owned
// fields into them, counting into st and listing changes into rep.
func (r *Runner) plan(ctx context.Context, source string, page Page, opt Options, st *Status, rep *Report) (Commit, error) {
	ids := make([]string, 0, len(page.Records))
	for i := range page.Records {
		ids = append(ids, page.Records[i].ExternalID)
	}
	matched, err := r.Store.Match(ctx, source, ids)
	if err != nil {
		return Commit{}, fmt.Errorf("matching %s records to accounts: %w", source, err)
	}
	var c Commit
	list := func(ch Change) {
		if len(rep.Changes) < opt.MaxChanges {
			rep.Changes = append(rep.Changes, ch)
		} else {
			rep.More++
		}
	}
	refuse := func(rec *Record, why string) {
		st.Refused++
		msg := fmt.Sprintf("%s record %s: %s", source, rec.ExternalID, why)
		if len(st.Refusals) < maxRefusals {
			st.Refusals = append(st.Refusals, msg)
		}
		list(Change{ExternalID: rec.ExternalID, Action: "refuse", Details: []string{why}})
	}
	for i := range page.Records {
		rec := &page.Records[i]
		st.Read++
		old := matched[rec.ExternalID]
		switch {
		case !validExternalID(rec.ExternalID):
			rec.ExternalID = fmt.Sprintf("%.40q", rec.ExternalID)
			refuse(rec, "the record's id is empty, longer than 256 bytes or holds control characters")
		case rec.Err != nil:
			refuse(rec, errorText(rec.Err))
		case rec.MergedInto != "" && !validExternalID(rec.MergedInto):
			refuse(rec, "the id it was merged into is malformed")
		case rec.Deleted || rec.MergedInto != "":
			if old == nil {
				continue // never synced: nothing to mark
			}
			m := Mark{AccountID: old.ID, Source: source, ExternalID: rec.ExternalID, Kind: "deleted", MergedInto: rec.MergedInto, At: r.now()}
			if rec.MergedInto != "" {
				m.Kind = "merged"
			}
			c.Marks = append(c.Marks, m)
			st.Marked++
			list(Change{ExternalID: rec.ExternalID, AccountID: old.ID, Action: "mark", Details: []string{m.Kind + " in " + source}})
		case old == nil && !opt.Create:
			c.Unmatched = append(c.Unmatched, Unmatched{Source: source, ExternalID: rec.ExternalID, Sample: rec.Sample})
			st.Unmatched++
			list(Change{ExternalID: rec.ExternalID, Action: "unmatched"})
		default:
			// Only a change that will be listed is put in words.
			next, diff, err := r.merge(source, old, rec, opt, len(rep.Changes) < opt.MaxChanges)
			if err != nil {
				refuse(rec, err.Error())
				continue
			}
			if diff.n == 0 {
				c.Alive = append(c.Alive, old.ID)
				continue
			}
			action := "update"
			if old == nil {
				action = "create"
				st.Created++
			}
			st.Changed++
			c.Accounts = append(c.Accounts, Linked{Account: next, ExternalID: rec.ExternalID, Created: old == nil})
			list(Change{ExternalID: rec.ExternalID, AccountID: next.ID, Action: action, Details: diff.list})
		}
	}
	return c, nil
}

// merge returns old with rec's CRM-owned fields written over it (a new
// account when old is nil) and what changed, described in words only when
// words is set. The result is validated: a record that would store an
// invalid account is refused.
func (r *Runner) merge(source string, old *domain.Account, rec *Record, opt Options, words bool) (*domain.Account, diff, error) {
	var next domain.Account
	d := diff{words: words}
	if old != nil {
		next = *old
		next.Stakeholders = append([]domain.Stakeholder(nil), old.Stakeholders...)
	} else {
		if rec.Fields.Has&FieldName == 0 || strings.TrimSpace(rec.Fields.Name) == "" {
			return nil, d, fmt.Errorf("has no name, which a new account needs; map a name property")
		}
		next.ID = source + "-" + rec.ExternalID
		next.Currency = opt.DefaultCurrency
		if d.count() {
			d.addf("new account %s", next.ID)
		}
	}
	applyFields(&next, rec.Fields, &d)
	if rec.Contribute != nil {
		for _, w := range rec.Contribute(&next) {
			if d.count() {
				d.list = append(d.list, w)
			}
		}
	}
	next.Normalize()
	if errs := next.Validate(); errs != nil {
		parts := make([]string, len(errs))
		for i, e := range errs {
			parts[i] = e.String()
		}
		return nil, d, fmt.Errorf("%s", strings.Join(parts, "; "))
	}
	return &next, d, nil
}

// validExternalID reports whether id can be stored and matched: 1-256
// bytes of valid UTF-8 without control characters (ids become parts of
// storage keys, which a NUL byte would split).
func validExternalID(id string) bool {
	if id == "" || len(id) > 256 || !utf8.ValidString(id) {
		return false
	}
	for _, r := range id {
		if r < 0x20 || r == 0x7f {
			return false
		}
	}
	return true
}

func (r *Runner) now() time.Time {
	if r.Now != nil {
		return r.Now()
	}
	return time.Now()
}
