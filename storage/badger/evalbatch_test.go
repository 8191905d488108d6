package badger

import (
	"context"
	"encoding/json"
	"reflect"
	"testing"
	"time"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/internal/apijson"
	"github.com/accountbot/accountbot/storage/demo"
)

// Stored account records and evaluations are decoded with apijson
// (getRecord, decodeEval) and written with encoding/json: decoding must give
// what encoding/json gives for every record the store writes, hostile text
// included.
func TestBatchDecodingAsEncodingJSON(t *testing.T) {
	today := domain.MustDate("2026-11-23")
	book := demo.Generate(demo.Options{Accounts: 200, Owners: 5, Weeks: 8, Seed: 3, Today: today})
	odd := *book[0].Core
	odd.ID, odd.Name = "odd", "Ünïcode \"quoted\" \\ back\u2028slash \U0001F600 <b>&amp;</b>"
	odd.Aliases = []string{"", "a\tb"}
	odd.DataChangedAt, odd.DataSource = time.Date(2026, 11, 23, 8, 9, 10, 0, time.UTC), "api"
	book = append(book, domain.Patch{ID: "odd", Core: &odd})
	for _, p := range book {
		a := *p.Core
		a.Usage, a.Signals = nil, nil
		decodesAsEncodingJSON[domain.Account](t, "account "+a.ID, mustJSON(&a))
		full := *p.Core
		ev := domain.Evaluate(&full, today, domain.DefaultConfig())
		rec := domain.RecordOf(&ev, domain.Alerts(&full, ev.Health, today, 7, domain.DefaultConfig()), "v3")
		rec.DataChangedAt, rec.DataSource = odd.DataChangedAt, "segment"
		decodesAsEncodingJSON[domain.EvalRecord](t, "evaluation "+a.ID, mustJSON(rec))
	}
}

// decodesAsEncodingJSON checks that apijson decodes raw into a T as
// encoding/json does.
func decodesAsEncodingJSON[T any](t *testing.T, what string, raw []byte) {
	t.Helper()
	var want, got T
	if err := json.Unmarshal(raw, &want); err != nil {
		t.Fatal(err)
	}
	if err := apijson.Unmarshal(raw, &got); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s decoded as\n%+v\nwant\n%+v", what, got, want)
	}
}

// EvalInputs gives each account as Account does, and each stored
// evaluation as Evaluation does, whatever order and repeats the ids come in.
func TestEvalInputsAsAccountAndEvaluation(t *testing.T) {
	ctx := context.Background()
	db := openMem(t)
	today := domain.MustDate("2026-11-23")
	book := demo.Generate(demo.Options{Accounts: 30, Owners: 3, Weeks: 6, Seed: 5, Today: today})
	if _, err := db.Apply(ctx, book); err != nil {
		t.Fatal(err)
	}
	var recs []domain.EvalRecord
	for _, p := range book[:20] { // the rest have no stored evaluation
		a, err := db.Account(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		ev := domain.Evaluate(a, today, domain.DefaultConfig())
		recs = append(recs, domain.RecordOf(&ev, nil, ""))
	}
	if err := db.PutEvaluations(ctx, recs); err != nil {
		t.Fatal(err)
	}
	ids := []string{"missing"}
	for i := len(book) - 1; i >= 0; i-- {
		ids = append(ids, book[i].ID, book[i].ID)
	}
	seen := map[string]bool{}
	err := db.EvalInputs(ctx, ids, func(id string, a *domain.Account, prev domain.EvalRecord, found bool) error {
		if seen[id] {
			t.Errorf("%s given twice", id)
		}
		seen[id] = true
		want, werr := db.Account(ctx, id)
		if domain.ErrorCode(werr) == domain.ENOTFOUND {
			if a != nil {
				t.Errorf("%s: got an account, want none", id)
			}
		} else if !reflect.DeepEqual(a, want) {
			t.Errorf("%s: account\n%#v\nwant\n%#v", id, a, want)
		}
		wantR, wantFound, err := db.Evaluation(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		if found != wantFound || !reflect.DeepEqual(prev, wantR) {
			t.Errorf("%s: evaluation %+v (%v), want %+v (%v)", id, prev, found, wantR, wantFound)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != len(book)+1 {
		t.Errorf("%d ids given, want %d", len(seen), len(book)+1)
	}
}
