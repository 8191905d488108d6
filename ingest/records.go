package ingest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/json"
	"mime"
	"net/http"
	"slices"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage/importer"
)

// RecordError is one bad record: {index, field, reason}.
type RecordError = importer.RecordError

// Answer is the reply to a records request that was stored (fully, or
// partially with ?partial=true).
type Answer struct {
	Received int               `json:"received"` // records in the body
	Applied  int               `json:"applied"`  // records written
	Rejected int               `json:"rejected"` // records refused (listed in errors)
	Errors   []RecordError     `json:"errors"`
	Stats    domain.ApplyStats `json:"stats"`
}

// records answers POST /api/v1/<kind>.
func (s *Server) records(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ndjson, ok := bodyFormat(w, r)
		if !ok {
			return
		}
		body, ok := readBody(w, r, s.cfg.MaxBodyBytes)
		if !ok {
			return
		}
		partial := r.URL.Query().Get("partial") == "true"
		key := r.Header.Get("Idempotency-Key")
		if key == "" {
			status, v := s.applyRecords(r.Context(), kind, body, ndjson, partial)
			writeJSON(w, status, v)
			return
		}
		s.idempotent(w, r, key, append([]byte(kind+"\x00"+r.URL.RawQuery+"\x00"), body...), func() (int, any) {
			return s.applyRecords(r.Context(), kind, body, ndjson, partial)
		})
	}
}

// bodyFormat tells a JSON array from NDJSON by Content-Type, sniffing the
// body when the type says neither (curl's default, text/plain).
func bodyFormat(w http.ResponseWriter, r *http.Request) (ndjson, ok bool) {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return false, true // sniffed by the decoder: '[' is an array
	}
	mt, _, err := mime.ParseMediaType(ct)
	switch {
	case err != nil:
	case mt == "application/json":
		return false, true
	case mt == "application/x-ndjson" || mt == "application/jsonl":
		return true, true
	case mt == "text/plain":
		return false, true
	}
	writeError(w, http.StatusUnsupportedMediaType, "unsupported_media_type", "send application/json (an array of records) or application/x-ndjson (one record per line), not "+ct)
	return false, false
}

// applyRecords decodes, validates and (unless refused) stores a body.
func (s *Server) applyRecords(ctx context.Context, kind string, body []byte, ndjson, partial bool) (int, any) {
	if !ndjson {
		// Sniff: anything but an array is taken as NDJSON.
		if t := bytes.TrimLeft(body, " \t\r\n\ufeff"); len(t) > 0 && t[0] != '[' {
			ndjson = true
		}
	}
	return s.storeRecords(ctx, kind, body, ndjson, partial, kind == importer.KindARR)
}

// storeRecords is applyRecords once the body's format is known. Records
// that add to an account must name a stored one; unless checkAccounts, no
// account is looked up beforehand: Apply refuses a patch on a missing
// account (ENOTFOUND) and stores nothing, and only then (or when some
// record is bad) is the body decoded again with a look-up per account, to
// name every bad record. A
// look-up per account was a fifth of an ingested event's CPU, for an
// answer the write finds anyway.
func (s *Server) storeRecords(ctx context.Context, kind string, body []byte, ndjson, partial, checkAccounts bool) (int, any) {
	exists := func(string) bool { return true }
	if checkAccounts {
		exists = func(id string) bool { ok, err := s.store.HasAccount(ctx, id); return ok && err == nil }
	}
	recs := importer.DecodeRecords(kind, body, ndjson, importer.Options{DefaultCurrency: s.cfg.Currency}, exists)
	if recs.Malformed != "" {
		return http.StatusBadRequest, ErrorBody{Error: ErrorDetail{Code: "malformed", Message: recs.Malformed}}
	}
	patches, arrErrs, err := s.arrPatches(ctx, recs.ARR)
	if err != nil {
		s.log.Error("ingest: reading accounts for arr", "err", err)
		return http.StatusInternalServerError, ErrorBody{Error: ErrorDetail{Code: "internal", Message: "the request could not be stored; nothing was changed, retry later"}}
	}
	errs := append(recs.Errors, arrErrs...)
	if len(errs) > 0 && !checkAccounts {
		// The answer names every bad record, missing accounts included.
		return s.storeRecords(ctx, kind, body, ndjson, partial, true)
	}
	slices.SortStableFunc(errs, func(a, b RecordError) int { return a.Index - b.Index })
	rejected := countIndexes(errs)
	if len(errs) > 0 && !partial {
		return http.StatusUnprocessableEntity, ErrorBody{Error: ErrorDetail{Code: "invalid_records",
			Message: "nothing was stored: fix the records listed, or add ?partial=true to store the good ones", Errors: errs}}
	}
	patches = append(patches, recs.Patches...)
	for i := range patches {
		patches[i].Source = domain.SourceAPI
	}
	st, err := s.store.Apply(ctx, patches)
	if domain.ErrorCode(err) == domain.ENOTFOUND && !checkAccounts {
		return s.storeRecords(ctx, kind, body, ndjson, partial, true)
	}
	if err != nil {
		if domain.ErrorCode(err) == domain.EINVALID {
			return http.StatusUnprocessableEntity, ErrorBody{Error: ErrorDetail{Code: "invalid_records", Message: domain.ErrorMessage(err)}}
		}
		s.log.Error("ingest: applying records", "kind", kind, "err", err)
		return http.StatusInternalServerError, ErrorBody{Error: ErrorDetail{Code: "internal", Message: "the request could not be stored; retry it (with the same Idempotency-Key)"}}
	}
	ids := make([]string, len(patches))
	for i, p := range patches {
		ids[i] = p.ID
	}
	s.changed(ctx, ids)
	if errs == nil {
		errs = []RecordError{}
	}
	return http.StatusOK, Answer{Received: recs.Count, Applied: recs.Count - rejected, Rejected: rejected, Errors: errs, Stats: st}
}

func countIndexes(errs []RecordError) int {
	n, last := 0, -2
	for _, e := range errs {
		if e.Index != last {
			n++
			last = e.Index
		}
	}
	return n
}

// arrPatches turns ARR points into account patches: the point joins the
// account's arr_history (replacing one on the same date) and, when it is the
// latest, becomes its ARR. Amounts are read in the account's currency.
func (s *Server) arrPatches(ctx context.Context, recs []importer.ARRRecord) ([]domain.Patch, []RecordError, error) {
	byID := map[string]*domain.Account{}
	var order []string
	var errs []RecordError
	for _, r := range recs {
		a, ok := byID[r.AccountID]
		if !ok {
			full, err := s.store.Account(ctx, r.AccountID)
			if err != nil {
				return nil, nil, err
			}
			a = full
			a.Usage, a.Signals = nil, nil
			byID[r.AccountID] = a
			order = append(order, r.AccountID)
		}
		v, err := r.Amount(a.Currency)
		if err != nil || v < 0 {
			errs = append(errs, RecordError{Index: r.Index, Field: "arr", Reason: "must be a non-negative amount in " + a.Currency + " major units, e.g. 120000.50"})
			continue
		}
		a.ARRHistory = slices.DeleteFunc(a.ARRHistory, func(p domain.ARRPoint) bool { return p.Date == r.Date })
		a.ARRHistory = append(a.ARRHistory, domain.ARRPoint{Date: r.Date, ARR: v, Motion: r.Motion})
		slices.SortFunc(a.ARRHistory, func(x, y domain.ARRPoint) int { return int(x.Date) - int(y.Date) })
		if a.ARRHistory[len(a.ARRHistory)-1].Date == r.Date {
			a.ARR = v
		}
	}
	out := make([]domain.Patch, 0, len(order))
	for _, id := range order {
		out = append(out, domain.Patch{ID: id, Core: byID[id]})
	}
	return out, errs, nil
}

// storedAnswer is what an Idempotency-Key keeps.
type storedAnswer struct {
	Request [32]byte        `json:"request"` // SHA-256 of the request
	Status  int             `json:"status"`
	Body    json.RawMessage `json:"body"`
}

// idempotent answers a request carrying an Idempotency-Key: a retry of an
// answered request gets the stored answer and changes nothing; the same key
// with another request is refused; a retry while the first is still being
// answered is told to wait.
func (s *Server) idempotent(w http.ResponseWriter, r *http.Request, key string, request []byte, run func() (int, any)) {
	if len(key) > 255 || !printable(key) {
		writeError(w, http.StatusBadRequest, "malformed", "Idempotency-Key must be 1-255 printable ASCII characters (a UUID is a good choice)")
		return
	}
	tok := tokenFrom(r.Context())
	sum := sha256.Sum256(request)
	// Claim the key first, so a stored answer cannot appear between the
	// look-up and the run.
	flight := tok + "\x00" + key
	s.mu.Lock()
	busy := s.inflight[flight]
	s.inflight[flight] = true
	s.mu.Unlock()
	if busy {
		w.Header().Set("Retry-After", "1")
		writeError(w, http.StatusConflict, "in_progress", "a request with this Idempotency-Key is still being answered; retry in a moment")
		return
	}
	defer func() { s.mu.Lock(); delete(s.inflight, flight); s.mu.Unlock() }()
	if b, ok, err := s.store.Idempotent(r.Context(), tok, key); err != nil {
		s.internalError(w, "reading idempotency record", err)
		return
	} else if ok {
		var a storedAnswer
		if err := json.Unmarshal(b, &a); err != nil {
			s.internalError(w, "decoding idempotency record", err)
			return
		}
		if a.Request != sum {
			writeError(w, http.StatusUnprocessableEntity, "idempotency_key_reused", "this Idempotency-Key was used for a different request; use a new key for new data")
			return
		}
		w.Header().Set("Idempotent-Replayed", "true")
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(a.Status)
		w.Write(append(a.Body, '\n'))
		return
	}
	status, v := run()
	body, _ := json.Marshal(v)
	if status < 500 {
		rec, _ := json.Marshal(storedAnswer{Request: sum, Status: status, Body: body})
		if err := s.store.PutIdempotent(r.Context(), tok, key, rec, s.cfg.IdempotencyTTL); err != nil {
			s.log.Error("ingest: storing idempotency record", "err", err) // the write itself is stored
		}
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
}

func printable(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x21 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
