package hubspot

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/accountbot/accountbot/connector"
)

// noteToCompany is HubSpot's default association type id from a note to a
// company (HUBSPOT_DEFINED).
const noteToCompany = 190

// Writer delivers write-backs to HubSpot (connector.Writer).
type Writer struct {
	c      *Client
	owners map[string]string // e-mail → owner id, read on first use
}

// NewWriter returns a Writer on c.
func NewWriter(c *Client) *Writer { return &Writer{c: c} }

func (w *Writer) ownerID(ctx context.Context, email string) (string, error) {
	if email == "" {
		return "", nil
	}
	if w.owners == nil {
		byID, err := w.c.Owners(ctx)
		if err != nil {
			return "", err
		}
		w.owners = make(map[string]string, len(byID))
		for id, e := range byID {
			w.owners[e] = id
		}
	}
	return w.owners[email], nil
}

// WriteNote implements connector.Writer: a note on the company with the
// CSM as owner. A retried write first searches for the note an earlier
// attempt may have created (same company, same hs_timestamp to the
// millisecond), so a lost response never yields a second note.
func (w *Writer) WriteNote(ctx context.Context, wr connector.Write) (string, error) {
	ts := strconv.FormatInt(wr.At.UnixMilli(), 10)
	if wr.Attempts > 0 {
		resp, err := w.c.Search(ctx, "notes", SearchRequest{FilterGroups: []FilterGroup{{Filters: []Filter{
			{PropertyName: "hs_timestamp", Operator: "EQ", Value: ts},
			{PropertyName: "associations.company", Operator: "EQ", Value: wr.ExternalID},
		}}}, Properties: []string{"hs_timestamp"}, Limit: 1})
		if err != nil {
			return "", classify(fmt.Errorf("looking for an earlier copy of note %s: %w", wr.ID, err))
		}
		if len(resp.Results) > 0 {
			return resp.Results[0].ID, nil
		}
	}
	owner, err := w.ownerID(ctx, wr.Owner)
	if err != nil {
		return "", classify(err)
	}
	body := wr.Body
	if len(body) > 65536 { // HubSpot's limit; cut on a character boundary
		body = strings.ToValidUTF8(body[:65536], "")
	}
	props := map[string]string{"hs_timestamp": ts, "hs_note_body": body}
	if owner != "" {
		props["hubspot_owner_id"] = owner
	}
	type typ struct {
		Category string `json:"associationCategory"`
		TypeID   int    `json:"associationTypeId"`
	}
	type assoc struct {
		To struct {
			ID string `json:"id"`
		} `json:"to"`
		Types []typ `json:"types"`
	}
	a := assoc{Types: []typ{{"HUBSPOT_DEFINED", noteToCompany}}}
	a.To.ID = wr.ExternalID
	var out Object
	err = w.c.call(ctx, http.MethodPost, objectsPath("notes"), nil, struct {
		Properties   map[string]string `json:"properties"`
		Associations []assoc           `json:"associations"`
	}{props, []assoc{a}}, &out, false)
	if err != nil {
		return "", classify(fmt.Errorf("creating note %s: %w", wr.ID, err))
	}
	return out.ID, nil
}

// WriteProperties implements connector.Writer with one batch update of
// up to 100 companies.
func (w *Writer) WriteProperties(ctx context.Context, ws []connector.Write) []error {
	type input struct {
		ID         string            `json:"id"`
		Properties map[string]string `json:"properties"`
	}
	in := make([]input, len(ws))
	for i, wr := range ws {
		in[i] = input{ID: wr.ExternalID, Properties: wr.Properties}
	}
	var out struct {
		Status string `json:"status"`
		Errors []struct {
			Message string `json:"message"`
			Context struct {
				IDs []string `json:"ids"`
			} `json:"context"`
		} `json:"errors"`
	}
	errs := make([]error, len(ws))
	err := w.c.do(ctx, http.MethodPost, objectsPath("companies")+"/batch/update", nil, struct {
		Inputs []input `json:"inputs"`
	}{in}, &out)
	if err != nil {
		err = classify(fmt.Errorf("updating %d HubSpot companies: %w", len(ws), err))
		for i := range errs {
			errs[i] = err
		}
		return errs
	}
	// A 207 multi-status names the ids that failed.
	for _, e := range out.Errors {
		for _, id := range e.Context.IDs {
			for i, wr := range ws {
				if wr.ExternalID == id {
					errs[i] = fmt.Errorf("%w: HubSpot refused company %s: %s", connector.ErrPermanent, id, e.Message)
				}
			}
		}
	}
	return errs
}

// classify marks errors retrying cannot fix (4xx other than 429) as
// permanent; 401 and 403 stay retryable: fixing the key fixes them.
func classify(err error) error {
	var ae *APIError
	if errors.As(err, &ae) && ae.Status >= 400 && ae.Status < 500 && ae.Status != 429 && ae.Status != 401 && ae.Status != 403 {
		return fmt.Errorf("%w: %w", connector.ErrPermanent, err)
	}
	return err
}
