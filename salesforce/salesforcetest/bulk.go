package salesforcetest

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
)

// bulk answers Bulk API 2.0: /jobs/query and /jobs/ingest. A job moves
// UploadComplete → InProgress → JobComplete one state per poll.
func (f *Fake) bulk(w http.ResponseWriter, r *http.Request, parts []string) {
	if len(parts) == 0 {
		f.fail(w, 404, "NOT_FOUND")
		return
	}
	kind := parts[0]
	if len(parts) == 1 && r.Method == http.MethodPost {
		var req struct{ Operation, Query, Object, ContentType string }
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			f.failMsg(w, 400, "InvalidJob", err.Error())
			return
		}
		id := fmt.Sprintf("750D0000000%04dAAA", len(f.jobs)+1)
		j := &fakeJob{kind: kind, state: "UploadComplete", object: req.Object}
		if kind == "query" {
			st, err := parseSOQL(req.Query)
			if err != nil {
				f.failMsg(w, 400, "INVALIDJOB", err.Error())
				return
			}
			if !f.checkFields(w, st.object, st.usedFields()) {
				return
			}
			j.object, j.fields, j.rows = st.object, st.fields, f.run(st, false)
		} else {
			j.state = "Open"
		}
		f.jobs[id] = j
		f.json(w, 200, map[string]any{"id": id, "operation": req.Operation, "object": j.object, "state": j.state,
			"contentType": "CSV", "apiVersion": 63.0, "lineEnding": "LF", "columnDelimiter": "COMMA"})
		return
	}
	j, ok := f.jobs[parts[1]]
	if !ok || j.kind != kind {
		f.failMsg(w, 404, "NOT_FOUND", "The requested resource does not exist")
		return
	}
	switch {
	case len(parts) == 2 && r.Method == http.MethodGet:
		if j.state == "UploadComplete" {
			j.state = "InProgress"
		} else if j.state == "InProgress" {
			j.state = "JobComplete"
			if kind == "ingest" {
				f.applyIngest(j)
			}
		}
		failed := max(len(j.failed)-1, 0) // the header row
		f.json(w, 200, map[string]any{"id": parts[1], "state": j.state, "object": j.object, "errorMessage": j.errorMessage,
			"numberRecordsProcessed": j.processed, "numberRecordsFailed": failed})
	case len(parts) == 2 && r.Method == http.MethodPatch:
		var req struct{ State string }
		json.NewDecoder(r.Body).Decode(&req)
		if j.state != "Open" || req.State != "UploadComplete" {
			f.failMsg(w, 400, "INVALIDJOBSTATE", "Invalid job state transition")
			return
		}
		j.state = "UploadComplete"
		f.json(w, 200, map[string]any{"id": parts[1], "state": j.state})
	case len(parts) == 3 && parts[2] == "batches" && r.Method == http.MethodPut:
		b, _ := io.ReadAll(r.Body)
		if r.Header.Get("Content-Type") != "text/csv" || j.state != "Open" {
			f.failMsg(w, 400, "INVALIDJOB", "upload needs an Open job and text/csv")
			return
		}
		j.upload += string(b)
		w.WriteHeader(http.StatusCreated)
	case len(parts) == 3 && parts[2] == "results":
		f.results(w, r, j)
	case len(parts) == 3 && parts[2] == "failedResults":
		var buf bytes.Buffer
		cw := csv.NewWriter(&buf)
		cw.WriteAll(j.failed)
		w.Header().Set("Content-Type", "text/csv")
		w.Write(buf.Bytes())
	default:
		f.fail(w, 404, "NOT_FOUND")
	}
}

// results serves a query job's rows as CSV, maxRecords at a time, the
// locator being the offset of the next chunk.
func (f *Fake) results(w http.ResponseWriter, r *http.Request, j *fakeJob) {
	if j.state != "JobComplete" {
		f.failMsg(w, 400, "INVALIDJOBSTATE", "job is not complete")
		return
	}
	from, _ := strconv.Atoi(r.URL.Query().Get("locator"))
	n, _ := strconv.Atoi(r.URL.Query().Get("maxRecords"))
	if n <= 0 {
		n = 50000
	}
	to := min(from+n, len(j.rows))
	var buf bytes.Buffer
	cw := csv.NewWriter(&buf)
	cw.Write(j.fields)
	line := make([]string, len(j.fields))
	for _, x := range j.rows[from:to] {
		for i, fl := range j.fields {
			line[i] = str(x[fl])
		}
		cw.Write(line)
	}
	cw.Flush()
	loc := "null"
	if to < len(j.rows) {
		loc = strconv.Itoa(to)
	}
	w.Header().Set("Sforce-Locator", loc)
	w.Header().Set("Sforce-NumberOfRecords", strconv.Itoa(to-from))
	w.Header().Set("Content-Type", "text/csv")
	w.Write(buf.Bytes())
}

// applyIngest applies an update job's CSV: unknown or deleted records and
// unknown fields fail per row, as Salesforce reports them.
func (f *Fake) applyIngest(j *fakeJob) {
	rows, err := csv.NewReader(strings.NewReader(j.upload)).ReadAll()
	if err != nil || len(rows) == 0 {
		j.state = "Failed"
		return
	}
	head := rows[0]
	for _, h := range head[1:] {
		if !f.known(j.object, h) { // Salesforce fails the whole job
			j.state, j.errorMessage = "Failed", "InvalidBatch : Field name not found : "+h
			return
		}
	}
	j.failed = [][]string{append([]string{"sf__Id", "sf__Error"}, head...)}
	for _, row := range rows[1:] {
		j.processed++
		x, ok := f.ByID[row[0]]
		if !ok || x["IsDeleted"] == true || objectOf(x) != j.object {
			j.failed = append(j.failed, append([]string{"", "ENTITY_IS_DELETED:entity is deleted:--"}, row...))
			continue
		}
		for i, h := range head[1:] {
			if row[i+1] != "" {
				x[h] = row[i+1]
			}
		}
	}
}
