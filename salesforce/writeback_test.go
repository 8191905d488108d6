package salesforce

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/accountbot/accountbot/connector"
	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/salesforce/salesforcetest"
)

func writeCfg() Config {
	return Config{WriteBack: Writes{Tasks: true, WriteIDField: "AccountBot_Write_Id__c",
		Scores: connector.ScoreFields{Health: "Health_Score__c", Tier: "Tier__c", Priority: "Priority__c", Readiness: "Renewal_Readiness__c"}}}
}

func TestTaskWriteIsIdempotent(t *testing.T) {
	e := setup(t, salesforcetest.LoadOrg(t), writeCfg())
	w := NewWriter(e.cl, e.src.cfg)
	ctx := context.Background()
	o := domain.Outcome{AccountID: "salesforce-001000000000001AAA", Date: domain.DateOf(testNow), Result: "renewed", By: "alice@acme.example", Note: "Signed for two years"}
	wr := connector.NoteWrite(Name, "001000000000001AAA", o, testNow)
	if err := e.store.Enqueue(ctx, wr); err != nil {
		t.Fatal(err)
	}
	e.f.LoseTaskPost = true // the Task is created but the answer is lost
	if n, err := connector.Deliver(ctx, e.store, w, Name, testNow, 100); err != nil || n != 0 {
		t.Fatalf("first delivery: %d, %v", n, err)
	}
	pending := e.store.Outbox[wr.ID]
	if pending.Attempts != 1 || pending.LastError == "" || pending.Failed {
		t.Fatalf("after a lost answer the write must wait for a retry: %+v", pending)
	}
	if n, err := connector.Deliver(ctx, e.store, w, Name, pending.NextAttempt, 100); err != nil || n != 1 {
		t.Fatalf("retry: %d, %v", n, err)
	}
	// Logged again (a retried chat command): the stored mapping refuses it.
	if err := e.store.Enqueue(ctx, wr); err != nil {
		t.Fatal(err)
	}
	if n, _ := connector.Deliver(ctx, e.store, w, Name, pending.NextAttempt.Add(time.Hour), 100); n != 0 {
		t.Errorf("a delivered write was sent again")
	}
	if len(e.f.Tasks) != 1 {
		t.Fatalf("%d Tasks created, want exactly 1", len(e.f.Tasks))
	}
	task := e.f.Tasks[0]
	if task["WhatId"] != "001000000000001AAA" || task["OwnerId"] != "005000000000002AAA" || task["AccountBot_Write_Id__c"] != wr.ID ||
		!strings.HasPrefix(task["Subject"].(string), "AccountBot: Outcome: renewed") || task["Status"] != "Completed" ||
		!strings.Contains(task["Description"].(string), "Signed for two years") {
		t.Errorf("task = %+v", task)
	}
	if e.store.Remote[wr.ID] != "00T000000000000001" {
		t.Errorf("remote id = %q", e.store.Remote[wr.ID])
	}
}

func TestTaskOnDeletedAccountIsPermanent(t *testing.T) {
	e := setup(t, salesforcetest.LoadOrg(t), writeCfg())
	w := NewWriter(e.cl, e.src.cfg)
	wr := connector.Write{ID: "note:x", Source: Name, Kind: connector.WriteNote, ExternalID: "001000000000099AAA", Body: "hi", At: testNow}
	_, err := w.WriteNote(context.Background(), wr)
	if err == nil || !strings.Contains(err.Error(), "INVALID_CROSS_REFERENCE_KEY") || !isPermanent(err) {
		t.Errorf("err = %v", err)
	}
}

func isPermanent(err error) bool {
	return err != nil && strings.Contains(err.Error(), connector.ErrPermanent.Error())
}

func TestScoresGoThroughBulkIngestOnlyWhenChanged(t *testing.T) {
	e := setup(t, salesforcetest.LoadOrg(t), writeCfg())
	w := NewWriter(e.cl, e.src.cfg)
	ctx := context.Background()
	vals := map[string]string{"Health_Score__c": "72", "Tier__c": "1", "Priority__c": "high", "Renewal_Readiness__c": "at_risk"}
	for _, ext := range []string{"001000000000001AAA", "001000000000002AAA", "001000000000077AAA"} {
		if ok, err := connector.EnqueueScores(ctx, e.store, Name, "salesforce-"+ext, ext, vals, testNow); !ok || err != nil {
			t.Fatalf("enqueue %s: %v %v", ext, ok, err)
		}
	}
	if n, err := connector.Deliver(ctx, e.store, w, Name, testNow, 200); err != nil || n != 2 {
		t.Fatalf("delivered %d, %v", n, err)
	}
	if got := e.asked("POST jobs/ingest"); got != 1 {
		t.Errorf("%d ingest jobs for one batch", got)
	}
	if a := e.f.ByID["001000000000002AAA"]; a["Health_Score__c"] != "72" || a["Renewal_Readiness__c"] != "at_risk" {
		t.Errorf("Globex = %+v", a)
	}
	failed := e.store.Outbox["props:salesforce-001000000000077AAA"]
	if !failed.Failed || !strings.Contains(failed.LastError, "ENTITY_IS_DELETED") {
		t.Errorf("the unknown account's write = %+v", failed)
	}
	// The same values again: nothing is queued, no job is created.
	if ok, _ := connector.EnqueueScores(ctx, e.store, Name, "salesforce-001000000000001AAA", "001000000000001AAA", vals, testNow); ok {
		t.Error("unchanged scores were queued again")
	}
	vals["Health_Score__c"] = "40"
	if ok, _ := connector.EnqueueScores(ctx, e.store, Name, "salesforce-001000000000001AAA", "001000000000001AAA", vals, testNow); !ok {
		t.Error("a changed score was not queued")
	}
	if _, err := connector.Deliver(ctx, e.store, w, Name, testNow, 200); err != nil {
		t.Fatal(err)
	}
	if got := e.asked("POST jobs/ingest"); got != 2 || e.f.ByID["001000000000001AAA"]["Health_Score__c"] != "40" {
		t.Errorf("jobs %d, Northwind health %v", got, e.f.ByID["001000000000001AAA"]["Health_Score__c"])
	}
}

func TestScoreFieldMissingFailsEveryRow(t *testing.T) {
	cfg := writeCfg()
	cfg.WriteBack.Scores.Health = "Health__c"
	e := setup(t, salesforcetest.LoadOrg(t), cfg)
	w := NewWriter(e.cl, e.src.cfg)
	errs := w.WriteProperties(context.Background(), []connector.Write{{ID: "props:a", ExternalID: "001000000000001AAA", Properties: map[string]string{"Health__c": "50"}}})
	if len(errs) != 1 || !isPermanent(errs[0]) || !strings.Contains(errs[0].Error(), "Field name not found : Health__c") {
		t.Errorf("errs = %v", errs)
	}
}
