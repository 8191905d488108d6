package ingest

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage"
)

// RunSegmentWorker applies accepted Segment events until ctx ends. It
// starts with whatever the inbox holds, so events accepted before a
// restart are applied after it.
func (s *Server) RunSegmentWorker(ctx context.Context) {
	for {
		n, err := s.DrainSegment(ctx)
		wait := time.Second
		switch {
		case err != nil && ctx.Err() == nil:
			s.log.Error("ingest: applying Segment events (will retry)", "err", err)
			wait = 5 * time.Second
		case n > 0:
			continue
		}
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		case <-time.After(wait):
		}
	}
}

// DrainSegment applies one batch of inbox events and returns how many.
func (s *Server) DrainSegment(ctx context.Context) (int, error) {
	items, err := s.store.SegmentInbox(ctx, 256)
	if err != nil || len(items) == 0 {
		return 0, err
	}
	b := &segBatch{s: s, members: map[string]string{}, changed: map[string]bool{}}
	effects := make([]storage.SegmentEffect, 0, len(items))
	for _, it := range items {
		e, err := b.effect(ctx, it)
		if err != nil {
			return 0, err
		}
		effects = append(effects, e)
	}
	if err := s.store.ApplySegment(ctx, effects, s.now()); err != nil {
		if err := s.applyOneByOne(ctx, effects); err != nil {
			return 0, err
		}
	}
	if len(b.changed) > 0 {
		s.changed(ctx, slices.Sorted(func(yield func(string) bool) {
			for id := range b.changed {
				if !yield(id) {
					return
				}
			}
		}))
	}
	return len(items), nil
}

// applyOneByOne applies a batch that failed as a whole event by event, so
// one event the store refuses cannot block the inbox: it is logged and
// dropped. An infrastructure failure still stops the batch (to be retried).
func (s *Server) applyOneByOne(ctx context.Context, effects []storage.SegmentEffect) error {
	for _, e := range effects {
		err := s.store.ApplySegment(ctx, []storage.SegmentEffect{e}, s.now())
		if err == nil {
			continue
		}
		if domain.ErrorCode(err) == domain.EINTERNAL {
			return err
		}
		s.log.Warn("ingest: dropping a Segment event the store refused", "seq", e.Seq, "err", err)
		if err := s.store.ApplySegment(ctx, []storage.SegmentEffect{{Seq: e.Seq}}, s.now()); err != nil {
			return err
		}
	}
	return nil
}

// segBatch is one batch being applied: group calls earlier in the batch
// already place their users.
type segBatch struct {
	s       *Server
	members map[string]string // userId → account id
	changed map[string]bool
}

// effect works out what one event writes. Only infrastructure failures are
// errors: an event that matches nothing goes to the review list.
func (b *segBatch) effect(ctx context.Context, it storage.InboxItem) (storage.SegmentEffect, error) {
	eff := storage.SegmentEffect{Seq: it.Seq}
	var ev segmentEvent
	var raw map[string]any
	if json.Unmarshal(it.Raw, &ev) != nil || json.Unmarshal(it.Raw, &raw) != nil {
		b.s.log.Warn("ingest: dropping an undecodable Segment inbox item", "seq", it.Seq)
		return eff, nil
	}
	unmatched := func(ref string) {
		eff.Unmatched = &domain.UnmatchedRecord{Source: "segment", ExternalID: printableID(ref), Kind: ev.Type, Sample: shorten(string(it.Raw), 512)}
	}
	if ev.Type == "group" {
		id, err := b.resolve(ctx, ev.GroupID)
		if err != nil {
			return eff, err
		}
		if id == "" {
			unmatched(ev.GroupID)
		} else if ev.UserID != "" {
			eff.Member = [2]string{ev.UserID, id}
			b.members[ev.UserID] = id
		}
		return eff, nil
	}
	id, ref, err := b.account(ctx, raw, ev.UserID)
	if err != nil {
		return eff, err
	}
	if id == "" {
		unmatched(ref)
		return eff, nil
	}
	switch ev.Type {
	case "track":
		eff.Track = b.s.track(id, ev)
		if eff.Track != nil {
			b.changed[id] = true
		}
	case "identify":
		if err := b.s.identify(ctx, id, ev.Traits); err != nil {
			if domain.ErrorCode(err) == domain.EINTERNAL {
				return eff, err
			}
			unmatched(ref)
			eff.Unmatched.Kind = "identify rejected: " + domain.ErrorMessage(err)
			return eff, nil
		}
		b.changed[id] = true
	}
	return eff, nil
}

// resolve maps a reference to an account id ("" if none matches).
func (b *segBatch) resolve(ctx context.Context, ref string) (string, error) {
	if ref == "" {
		return "", nil
	}
	id, err := b.s.store.ResolveAccount(ctx, "segment", ref)
	if domain.ErrorCode(err) == domain.ENOTFOUND {
		return "", nil
	}
	return id, err
}

// account finds an event's account: the configured paths first, then the
// account a group call placed the user in. ref is what was tried, for the
// review list.
func (b *segBatch) account(ctx context.Context, raw map[string]any, userID string) (id, ref string, err error) {
	for _, p := range b.s.seg.AccountPaths {
		if ref = path(raw, p); ref != "" {
			id, err = b.resolve(ctx, ref)
			return id, ref, err
		}
	}
	if userID == "" {
		return "", "(no account and no userId)", nil
	}
	if id, ok := b.members[userID]; ok {
		return id, "", nil
	}
	id, _, err = b.s.store.SegmentUserAccount(ctx, userID)
	return id, "user:" + userID, err
}

// track classifies a track event: usage (with its user counted active
// once a day), a support ticket, or nothing.
func (s *Server) track(id string, ev segmentEvent) *storage.SegmentTrack {
	now := s.now()
	d := eventDate(ev.Timestamp, now)
	if today := domain.DateOf(now.UTC()); d > today {
		d = today // a sender's clock ahead of ours must not write the future
	}
	t := &storage.SegmentTrack{AccountID: id, Date: d}
	switch {
	case slices.Contains(s.seg.TicketEvents, ev.Event):
		t.Tickets = 1
	case slices.Contains(s.seg.IgnoreEvents, ev.Event):
		return nil
	case len(s.seg.UsageEvents) == 0 || slices.Contains(s.seg.UsageEvents, ev.Event):
		t.Usage, t.UserID = 1, ev.UserID
	default:
		return nil
	}
	return t
}

// identify adds or updates the stakeholder an identify call describes.
// Stakeholders are matched by name within the account.
func (s *Server) identify(ctx context.Context, id string, traits map[string]any) error {
	str := func(k string) string {
		if k == "" {
			return ""
		}
		v, _ := traits[k].(string)
		return shorten(strings.TrimSpace(v), 200)
	}
	flag := func(k string) (bool, bool) {
		switch v := traits[k].(type) {
		case bool:
			return v, true
		case string:
			return v == "true" || v == "yes", v != ""
		}
		return false, false
	}
	tm := s.seg.Traits
	name := str(tm.Name)
	if name == "" {
		name = strings.TrimSpace(str("firstName") + " " + str("lastName"))
	}
	if name == "" {
		name = str(tm.Email)
	}
	if name == "" {
		return domain.Errorf(domain.EINVALID, "no name or e-mail trait to name a stakeholder")
	}
	a, err := s.store.Account(ctx, id)
	if err != nil {
		return err
	}
	list := slices.Clone(a.Stakeholders)
	i := slices.IndexFunc(list, func(st domain.Stakeholder) bool { return strings.EqualFold(st.Name, name) })
	if i < 0 {
		list = append(list, domain.Stakeholder{Name: name})
		i = len(list) - 1
	}
	st := &list[i]
	if v := str(tm.Role); v != "" {
		st.Role = v
	}
	if f := domain.Function(strings.ToLower(str(tm.Function))); domain.KnownFunction(f) {
		st.Function = f
	}
	if v, ok := flag(tm.Champion); ok {
		st.Champion = v
	}
	if v, ok := flag(tm.Executive); ok {
		st.Executive = v
	}
	// A customer contact's e-mail, for reference. One of our own people
	// (internal, set by import only) keeps theirs: their e-mail gives a
	// CSM access, and anyone can send an identify call with any traits.
	if v := strings.ToLower(str(tm.Email)); v != "" && domain.ValidEmail(v) && !st.Internal {
		st.Email = v
	}
	_, err = s.store.Apply(ctx, []domain.Patch{{ID: id, ReplaceStakeholders: true, Stakeholders: list, Source: domain.SourceSegment}})
	return err
}

// printableID makes an id a sender chose fit the review list: control
// characters become '?', at most 256 bytes, never empty.
func printableID(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, shorten(s, 256))
	if s == "" {
		return "(empty)"
	}
	return s
}

func shorten(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
