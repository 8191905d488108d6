package salesforce

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"

	"github.com/accountbot/accountbot/connector"
)

// Writer delivers write-backs to Salesforce (connector.Writer).
type Writer struct {
	c       *Client
	idField string            // the Task field holding AccountBot's write id
	users   map[string]string // e-mail → active user id ("" when none)
}

// NewWriter returns a Writer; cfg must have passed NewSource's checks.
func NewWriter(c *Client, cfg Config) *Writer {
	return &Writer{c: c, idField: cfg.WriteBack.WriteIDField, users: map[string]string{}}
}

// userID finds the active user with the CSM's e-mail.
func (w *Writer) userID(ctx context.Context, email string) (string, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	if email == "" {
		return "", nil
	}
	if id, ok := w.users[email]; ok {
		return id, nil
	}
	p, err := w.c.query(ctx, "SELECT Id FROM User WHERE Email = "+quote(email)+" AND IsActive = true ORDER BY Id LIMIT 1", 200, false)
	if err != nil {
		return "", fmt.Errorf("finding the Salesforce user %s: %w", email, err)
	}
	id := ""
	if len(p.Rows) > 0 {
		id = p.Rows[0]["Id"]
	}
	w.users[email] = id
	return id, nil
}

// WriteNote implements connector.Writer: a completed Task on the account,
// owned by the CSM's Salesforce user, carrying the write id in the mapped
// field. A retried write first looks for the Task an earlier attempt may
// have created, so a lost response never yields a second Task.
func (w *Writer) WriteNote(ctx context.Context, wr connector.Write) (string, error) {
	if !validID(wr.ExternalID) {
		return "", fmt.Errorf("%w: %q is not a Salesforce account id", connector.ErrPermanent, wr.ExternalID)
	}
	if wr.Attempts > 0 {
		p, err := w.c.query(ctx, "SELECT Id FROM Task WHERE "+w.idField+" = "+quote(wr.ID)+" LIMIT 1", 200, false)
		if err != nil {
			return "", classify(fmt.Errorf("looking for an earlier copy of Task %s: %w", wr.ID, err))
		}
		if len(p.Rows) > 0 {
			return p.Rows[0]["Id"], nil
		}
	}
	owner, err := w.userID(ctx, wr.Owner)
	if err != nil {
		return "", classify(err)
	}
	subject, _, _ := strings.Cut(strings.TrimSpace(wr.Body), "\n")
	subject = cut("AccountBot: "+subject, 255)
	task := map[string]string{"WhatId": wr.ExternalID, "Subject": subject, "Description": cut(wr.Body, 32000),
		"ActivityDate": wr.At.UTC().Format("2006-01-02"), "Status": "Completed", w.idField: wr.ID}
	if owner != "" {
		task["OwnerId"] = owner
	}
	body, _ := json.Marshal(task)
	resp, err := w.c.do(ctx, http.MethodPost, "/sobjects/Task/", body)
	if err != nil {
		return "", classify(fmt.Errorf("creating Task %s: %w", wr.ID, err))
	}
	b, err := readAll(resp)
	if err != nil {
		return "", fmt.Errorf("reading the new Task %s: %w", wr.ID, err)
	}
	var out struct {
		ID      string `json:"id"`
		Success bool   `json:"success"`
	}
	if err := json.Unmarshal(b, &out); err != nil || out.ID == "" {
		return "", fmt.Errorf("the Task Salesforce created for %s has no id: %.200s", wr.ID, b)
	}
	return out.ID, nil
}

// cut shortens s to at most n bytes on a rune boundary.
func cut(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && n < len(s) && s[n]&0xC0 == 0x80 {
		n--
	}
	return s[:n]
}

// WriteProperties implements connector.Writer: one Bulk API 2.0 ingest job
// updates the score fields of every account in ws, so the org's daily
// request allowance is spent per job, not per account.
func (w *Writer) WriteProperties(ctx context.Context, ws []connector.Write) []error {
	errs := make([]error, len(ws))
	var fields []string
	for _, wr := range ws {
		for k := range wr.Properties {
			if !slices.Contains(fields, k) {
				fields = append(fields, k)
			}
		}
	}
	slices.Sort(fields)
	var rows [][]string
	var idx []int
	for i, wr := range ws {
		if !validID(wr.ExternalID) {
			errs[i] = fmt.Errorf("%w: %q is not a Salesforce account id", connector.ErrPermanent, wr.ExternalID)
			continue
		}
		r := []string{wr.ExternalID}
		for _, f := range fields {
			r = append(r, wr.Properties[f]) // empty: left as it is by Bulk
		}
		rows = append(rows, r)
		idx = append(idx, i)
	}
	if len(rows) == 0 {
		return errs
	}
	failed, err := w.c.updateBulk(ctx, "Account", fields, rows)
	if err != nil {
		err = classify(fmt.Errorf("updating %d Salesforce accounts: %w", len(rows), err))
		for _, i := range idx {
			errs[i] = err
		}
		return errs
	}
	for _, i := range idx {
		if msg, ok := failed[ws[i].ExternalID]; ok {
			errs[i] = fmt.Errorf("%w: Salesforce refused account %s: %s", connector.ErrPermanent, ws[i].ExternalID, msg)
		}
	}
	return errs
}

// permanentCodes are Salesforce error codes retrying cannot fix.
var permanentCodes = []string{"INVALID_FIELD", "INVALID_FIELD_FOR_INSERT_UPDATE", "MALFORMED_ID", "ENTITY_IS_DELETED",
	"INVALID_CROSS_REFERENCE_KEY", "REQUIRED_FIELD_MISSING", "STRING_TOO_LONG", "FIELD_CUSTOM_VALIDATION_EXCEPTION", "NOT_FOUND", "JOB_FAILED"}

// classify marks errors retrying cannot fix as permanent; limits, sessions
// and permissions stay retryable (fixing them in Salesforce fixes them).
func classify(err error) error {
	var ae *APIError
	if errors.As(err, &ae) && slices.Contains(permanentCodes, ae.Code) {
		return fmt.Errorf("%w: %w", connector.ErrPermanent, err)
	}
	return err
}
