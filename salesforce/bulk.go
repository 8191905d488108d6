package salesforce

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	gsf "github.com/k-capehart/go-salesforce/v3"

	"github.com/accountbot/accountbot/domain"
)

// bulkJob is a Bulk API 2.0 job's info.
type bulkJob struct {
	ID                  string `json:"id"`
	State               string `json:"state"`
	ErrorMessage        string `json:"errorMessage,omitempty"`
	NumberRecordsFailed int    `json:"numberRecordsFailed,omitempty"`
}

// jobTimeout bounds the wait for one Bulk job (measured on the Clock).
const jobTimeout = 30 * time.Minute

func (c *Client) createJob(ctx context.Context, kind string, req any) (bulkJob, error) {
	body, err := json.Marshal(req)
	if err != nil {
		return bulkJob{}, err
	}
	resp, err := c.do(ctx, http.MethodPost, "/jobs/"+kind, body)
	if err != nil {
		return bulkJob{}, fmt.Errorf("creating a Bulk API 2.0 %s job: %w", kind, err)
	}
	b, err := readAll(resp)
	if err != nil {
		return bulkJob{}, fmt.Errorf("reading the new Bulk %s job: %w", kind, err)
	}
	var j bulkJob
	if err := json.Unmarshal(b, &j); err != nil || j.ID == "" {
		return bulkJob{}, fmt.Errorf("the Bulk %s job Salesforce created has no id: %.200s", kind, b)
	}
	return j, nil
}

// waitJob polls a job until it is complete, 1 s doubling to 15 s apart.
func (c *Client) waitJob(ctx context.Context, kind, id string) (bulkJob, error) {
	deadline := c.clock.Now().Add(jobTimeout)
	wait := time.Second
	for {
		var j bulkJob
		if err := c.getJSON(ctx, "/jobs/"+kind+"/"+id, &j); err != nil {
			return j, fmt.Errorf("reading Bulk %s job %s: %w", kind, id, err)
		}
		switch j.State {
		case "JobComplete":
			return j, nil
		case "Failed", "Aborted":
			// e.g. "InvalidBatch : Field name not found : Health__c":
			// the same upload would fail again.
			ae := &APIError{Status: http.StatusOK, Code: "JOB_FAILED", Message: j.ErrorMessage}
			return j, fmt.Errorf("%w: %w", ae, domain.Errorf(domain.EINVALID, "Salesforce Bulk %s job %s ended %s: %s", kind, id, j.State, j.ErrorMessage))
		}
		if c.clock.Now().After(deadline) {
			return j, fmt.Errorf("Bulk %s job %s still %s after %s", kind, id, j.State, jobTimeout)
		}
		if err := c.clock.Sleep(ctx, wait); err != nil {
			return j, err
		}
		wait = min(2*wait, 15*time.Second)
	}
}

// startQuery creates a Bulk API 2.0 query job and waits for it.
func (c *Client) startQuery(ctx context.Context, soql string) (string, error) {
	j, err := c.createJob(ctx, "query", struct {
		Operation string `json:"operation"`
		Query     string `json:"query"`
	}{"query", soql})
	if err != nil {
		return "", err
	}
	if _, err := c.waitJob(ctx, "query", j.ID); err != nil {
		return "", err
	}
	return j.ID, nil
}

// chunk is one results download of a query job.
type chunk struct {
	Job, Locator string
	Rows         []row
	Next         string // Sforce-Locator of the next chunk, "" at the end
}

// results downloads the chunk of job at locator ("" for the first).
func (c *Client) results(ctx context.Context, job, locator string, maxRecords int) (chunk, error) {
	q := url.Values{"maxRecords": {strconv.Itoa(maxRecords)}}
	if locator != "" {
		q.Set("locator", locator)
	}
	resp, err := c.do(ctx, http.MethodGet, "/jobs/query/"+job+"/results?"+q.Encode(), nil, gsf.WithHeader("Accept", "text/csv"))
	if err != nil {
		return chunk{}, fmt.Errorf("downloading results of Bulk query job %s: %w", job, err)
	}
	next := resp.Header.Get("Sforce-Locator")
	if next == "null" {
		next = ""
	}
	b, err := readAll(resp)
	if err != nil {
		return chunk{}, fmt.Errorf("downloading results of Bulk query job %s: %w", job, err)
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil {
		return chunk{}, domain.Errorf(domain.EINVALID, "the results of Salesforce Bulk query job %s are not valid CSV (%v); run `accountbot sync salesforce --full`", job, err)
	}
	ch := chunk{Job: job, Locator: locator, Next: next}
	if len(recs) == 0 {
		return ch, nil
	}
	head := recs[0]
	ch.Rows = make([]row, 0, len(recs)-1)
	for _, rec := range recs[1:] {
		r := make(row, len(head))
		for i, h := range head {
			if i < len(rec) && rec[i] != "" {
				r[h] = rec[i]
			}
		}
		ch.Rows = append(ch.Rows, r)
	}
	return ch, nil
}

// updateBulk updates records of object through one Bulk API 2.0 ingest
// job (no daily API requests per record) and returns the failures by id.
// rows are id followed by the values of fields.
func (c *Client) updateBulk(ctx context.Context, object string, fields []string, rows [][]string) (map[string]string, error) {
	j, err := c.createJob(ctx, "ingest", struct {
		Object      string `json:"object"`
		Operation   string `json:"operation"`
		ContentType string `json:"contentType"`
		LineEnding  string `json:"lineEnding"`
	}{object, "update", "CSV", "LF"})
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	w := csv.NewWriter(&buf)
	_ = w.Write(append([]string{"Id"}, fields...))
	_ = w.WriteAll(rows)
	csvType := gsf.WithHeader("Content-Type", "text/csv")
	if err := c.send(ctx, http.MethodPut, "/jobs/ingest/"+j.ID+"/batches", buf.Bytes(), csvType); err != nil {
		return nil, fmt.Errorf("uploading %d %s updates to Bulk job %s: %w", len(rows), object, j.ID, err)
	}
	if err := c.send(ctx, http.MethodPatch, "/jobs/ingest/"+j.ID, []byte(`{"state":"UploadComplete"}`)); err != nil {
		return nil, fmt.Errorf("closing Bulk job %s: %w", j.ID, err)
	}
	done, err := c.waitJob(ctx, "ingest", j.ID)
	if err != nil {
		return nil, err
	}
	failed := map[string]string{}
	if done.NumberRecordsFailed == 0 {
		return failed, nil
	}
	resp, err := c.do(ctx, http.MethodGet, "/jobs/ingest/"+j.ID+"/failedResults/", nil, gsf.WithHeader("Accept", "text/csv"))
	if err != nil {
		return nil, fmt.Errorf("reading the failures of Bulk job %s: %w", j.ID, err)
	}
	b, err := readAll(resp)
	if err != nil {
		return nil, fmt.Errorf("reading the failures of Bulk job %s: %w", j.ID, err)
	}
	recs, err := csv.NewReader(bytes.NewReader(b)).ReadAll()
	if err != nil || len(recs) == 0 {
		return nil, fmt.Errorf("the failures of Bulk job %s are not CSV: %v", j.ID, err)
	}
	idCol, errCol := -1, -1
	for i, h := range recs[0] {
		switch strings.ToLower(h) {
		case "sf__id", "id":
			if idCol < 0 || h == "Id" {
				idCol = i
			}
		case "sf__error":
			errCol = i
		}
	}
	for _, r := range recs[1:] {
		if idCol >= 0 && errCol >= 0 && idCol < len(r) && errCol < len(r) {
			failed[r[idCol]] = r[errCol]
		}
	}
	return failed, nil
}
