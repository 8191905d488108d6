package hubspot

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/accountbot/accountbot/connector"
	"github.com/accountbot/accountbot/connector/connectortest"
	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/hubspot/hubspottest"
)

func TestNoteWriteBackIsIdempotent(t *testing.T) {
	f := hubspottest.New(t, hubspottest.LoadPortal(t))
	c := NewClient(f.URL(), f.Token, 0, f.Client(), &testClock{})
	w := NewWriter(c)
	st := connectortest.New()
	ctx := context.Background()
	o := domain.Outcome{AccountID: "hubspot-1001", Date: domain.DateOf(testNow), Result: domain.Won, Motion: domain.Motion("upsell"), ARR: 2_000_000, Currency: "USD", By: "ana@example.com", Note: "signed 50 seats"}
	wr := connector.NoteWrite(Name, "1001", o, testNow)
	// The first attempt creates the note but the answer is lost (502).
	f.LoseNoteReply = true
	if err := st.Enqueue(ctx, wr); err != nil {
		t.Fatal(err)
	}
	n, err := connector.Deliver(ctx, st, w, Name, testNow, 100)
	if err != nil || n != 0 {
		t.Fatalf("first delivery: n=%d err=%v", n, err)
	}
	if p, _, last, _ := st.Pending(ctx, Name); p != 1 || !strings.Contains(last, "502") {
		t.Fatalf("the failed write must stay queued with its error: pending %d, %q", p, last)
	}
	// The retry (after its backoff) finds the note instead of making another.
	n, err = connector.Deliver(ctx, st, w, Name, testNow.Add(connector.Backoff(1)), 100)
	if err != nil || n != 1 {
		t.Fatalf("retry: n=%d err=%v", n, err)
	}
	// Logging the same outcome again is a no-op: its write id was delivered.
	st.Enqueue(ctx, wr)
	connector.Deliver(ctx, st, w, Name, testNow.Add(time.Hour), 100)
	if len(f.Notes) != 1 {
		t.Fatalf("%d notes in HubSpot, want exactly 1", len(f.Notes))
	}
	note := f.Notes[0].Properties
	if note["hubspot_owner_id"] != "41629779" || note["_company"] != "1001" || !strings.Contains(note["hs_note_body"], "signed 50 seats") ||
		note["hs_timestamp"] != strconv.FormatInt(testNow.UnixMilli(), 10) {
		t.Errorf("note = %v", note)
	}
	if st.Remote[wr.ID] != f.Notes[0].ID {
		t.Errorf("write id not mapped to the note id: %v", st.Remote)
	}
}

func TestScoresBatchedOnlyWhenChanged(t *testing.T) {
	f := hubspottest.New(t, hubspottest.LoadPortal(t))
	w := NewWriter(NewClient(f.URL(), f.Token, 0, f.Client(), &testClock{}))
	st := connectortest.New()
	ctx := context.Background()
	fields := connector.ScoreFields{Health: "accountbot_health", Tier: "accountbot_tier", Priority: "accountbot_priority", Readiness: "accountbot_readiness"}
	ev := func(score int) domain.Evaluation {
		var e domain.Evaluation
		e.Health.Combined, e.Tier.Tier, e.Priority, e.Renewal.Readiness = score, 1, domain.PriorityTop, domain.Readiness("ready")
		return e
	}
	for i := range 150 {
		id := "a" + strconv.Itoa(i)
		if ok, err := connector.EnqueueScores(ctx, st, Name, id, strconv.Itoa(2000+i), fields.ScoreValues(ev(40)), testNow); err != nil || !ok {
			t.Fatal(ok, err)
		}
	}
	if n, err := connector.Deliver(ctx, st, w, Name, testNow, 100); err != nil || n != 150 {
		t.Fatalf("delivered %d, err %v", n, err)
	}
	if len(f.Updates) != 150 || len(f.Requests) != 2 {
		t.Errorf("%d updates in %d requests, want 150 in 2 batches", len(f.Updates), len(f.Requests))
	}
	// Unchanged scores are not queued again; a changed one is.
	if ok, _ := connector.EnqueueScores(ctx, st, Name, "a0", "2000", fields.ScoreValues(ev(40)), testNow); ok {
		t.Error("unchanged scores were queued")
	}
	if ok, _ := connector.EnqueueScores(ctx, st, Name, "a0", "2000", fields.ScoreValues(ev(12)), testNow); !ok {
		t.Error("changed scores were not queued")
	}
	connector.Deliver(ctx, st, w, Name, testNow, 100)
	last := f.Updates[len(f.Updates)-1]
	if last["id"] != "2000" || last["properties"].(map[string]any)["accountbot_health"] != "12" {
		t.Errorf("last update = %v", last)
	}
}

func TestWriteFailureShownAndRetriedWithBackoff(t *testing.T) {
	f := hubspottest.New(t, hubspottest.LoadPortal(t))
	f.Token = "revoked"
	w := NewWriter(NewClient(f.URL(), "pat-na1-test", 0, f.Client(), &testClock{}))
	st := connectortest.New()
	ctx := context.Background()
	st.Enqueue(ctx, connector.Write{ID: "props:a1", Source: Name, Kind: connector.WriteProperties, AccountID: "a1", ExternalID: "1001", Properties: map[string]string{"accountbot_tier": "1"}})
	connector.Deliver(ctx, st, w, Name, testNow, 100)
	p, failed, last, _ := st.Pending(ctx, Name)
	if p != 1 || failed != 0 || !strings.Contains(last, "HUBSPOT_TOKEN") {
		t.Fatalf("pending %d failed %d last %q", p, failed, last)
	}
	if due, _ := st.Due(ctx, Name, testNow.Add(10*time.Second), 10); len(due) != 0 {
		t.Error("a failed write was retried before its backoff")
	}
	if due, _ := st.Due(ctx, Name, testNow.Add(connector.Backoff(1)), 10); len(due) != 1 {
		t.Error("a failed write was not retried after its backoff")
	}
}

// Incremental paging stops before HubSpot's 10,000-result cap and starts a
// new search from the highest modification time seen.
func TestIncrementalMovesPastSearchCap(t *testing.T) {
	p := hubspottest.Portal{Owners: hubspottest.LoadPortal(t).Owners}
	base := testNow.Add(-48 * time.Hour)
	defer func(c int) { searchCap = c }(searchCap)
	searchCap = 500 // HubSpot's 10,000, scaled down with the fake's
	for i := range 1_250 {
		id := strconv.Itoa(100000 + i)
		p.Companies = append(p.Companies, hubspottest.Object{ID: id, Properties: map[string]string{"name": "Co " + id, "hubspot_owner_id": "41629779",
			"hs_lastmodifieddate": base.Add(time.Duration(i) * time.Second).Format(time.RFC3339)}})
	}
	e := setup(t, Config{Mapping: Mapping{ARRFrom: "none", Stakeholders: new(bool)}}, p)
	e.f.SearchCap = searchCap
	e.store.Cursors[Name] = cursor{Phase: phaseIdle, Since: base.Add(-time.Hour).UnixMilli()}.encode()
	rep := e.sync(t, false)
	if rep.Status.Created != 1_250 {
		t.Fatalf("created %d of 1250 (status %+v)", rep.Status.Created, rep.Status)
	}
}

func TestIncrementalStuckAtOneInstantSaysSo(t *testing.T) {
	defer func(c int) { searchCap = c }(searchCap)
	searchCap = 300
	p := hubspottest.Portal{Owners: hubspottest.LoadPortal(t).Owners}
	at := testNow.Add(-time.Hour).Format(time.RFC3339)
	for i := range 400 {
		id := strconv.Itoa(100000 + i)
		p.Companies = append(p.Companies, hubspottest.Object{ID: id, Properties: map[string]string{"name": "Co " + id, "hs_lastmodifieddate": at}})
	}
	e := setup(t, Config{Mapping: Mapping{ARRFrom: "none", Stakeholders: new(bool)}}, p)
	e.f.SearchCap = searchCap
	e.store.Cursors[Name] = cursor{Phase: phaseIdle, Since: testNow.Add(-2 * time.Hour).UnixMilli()}.encode()
	_, err := e.run.Run(context.Background(), e.src, connector.Options{Create: true, DefaultCurrency: "USD"})
	if err == nil || !strings.Contains(e.store.Statuses[Name].LastError, "share the modification time") {
		t.Errorf("err %v, status %+v", err, e.store.Statuses[Name])
	}
}
