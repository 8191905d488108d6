package hubspot

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	jsonv1 "github.com/go-json-experiment/json/v1"
)

// Object is a CRM record as HubSpot returns it. Properties are strings
// (numbers and dates too); a property without a value is null, read as "".
type Object struct {
	ID         string            `json:"id"`
	Properties map[string]string `json:"properties"`
	Archived   bool              `json:"archived,omitempty"`
	CreatedAt  string            `json:"createdAt,omitempty"`
	UpdatedAt  string            `json:"updatedAt,omitempty"`
	ArchivedAt string            `json:"archivedAt,omitempty"`
}

// Paging is HubSpot's cursor block: paging.next.after is the next page.
type Paging struct {
	Next *struct {
		After string `json:"after"`
		Link  string `json:"link,omitempty"`
	} `json:"next,omitempty"`
}

// ListResponse is a page of a list or search.
type ListResponse struct {
	Total   int      `json:"total,omitempty"` // search only
	Results []Object `json:"results"`
	Paging  *Paging  `json:"paging,omitempty"`
}

func (r *ListResponse) next() string {
	if r.Paging == nil || r.Paging.Next == nil {
		return ""
	}
	return r.Paging.Next.After
}

// Filter is one search filter.
type Filter struct {
	PropertyName string `json:"propertyName"`
	Operator     string `json:"operator"`
	Value        string `json:"value,omitempty"`
}

// SearchRequest is the body of POST …/{object}/search.
type SearchRequest struct {
	FilterGroups []FilterGroup `json:"filterGroups"`
	Sorts        []Sort        `json:"sorts,omitempty"`
	Properties   []string      `json:"properties,omitempty"`
	Limit        int           `json:"limit"`
	After        string        `json:"after,omitempty"`
}

// FilterGroup ANDs its filters; groups are ORed.
type FilterGroup struct {
	Filters []Filter `json:"filters"`
}

// Sort orders search results.
type Sort struct {
	PropertyName string `json:"propertyName"`
	Direction    string `json:"direction"`
}

func objectsPath(object string) string { return "/crm/objects/" + Version + "/" + object }

// List returns a page of object records (archived ones with archived).
func (c *Client) List(ctx context.Context, object, after string, limit int, props []string, archived bool) (*ListResponse, error) {
	q := url.Values{"limit": {strconv.Itoa(limit)}}
	if after != "" {
		q.Set("after", after)
	}
	if len(props) > 0 {
		q.Set("properties", strings.Join(props, ","))
	}
	if archived {
		q.Set("archived", "true")
	}
	var out ListResponse
	if err := c.do(ctx, http.MethodGet, objectsPath(object), q, nil, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// Search runs a CRM search.
func (c *Client) Search(ctx context.Context, object string, req SearchRequest) (*ListResponse, error) {
	var out ListResponse
	if err := c.do(ctx, http.MethodPost, objectsPath(object)+"/search", nil, req, &out); err != nil {
		return nil, err
	}
	return &out, nil
}

// BatchRead returns the records with the given ids (at most 100).
func (c *Client) BatchRead(ctx context.Context, object string, ids, props []string) ([]Object, error) {
	type input struct {
		ID string `json:"id"`
	}
	body := struct {
		Properties []string `json:"properties"`
		Inputs     []input  `json:"inputs"`
	}{Properties: props}
	for _, id := range ids {
		body.Inputs = append(body.Inputs, input{id})
	}
	var out ListResponse
	if err := c.do(ctx, http.MethodPost, objectsPath(object)+"/batch/read", nil, body, &out); err != nil {
		return nil, err
	}
	return out.Results, nil
}

// assocResponse is the answer of associations batch read (2026-03).
type assocResponse struct {
	Results []struct {
		From struct {
			ID string `json:"id"`
		} `json:"from"`
		To []struct {
			ToObjectID jsonv1.Number `json:"toObjectId"` // a number; apijson decodes it as v1 did json.Number
		} `json:"to"`
		Paging *Paging `json:"paging,omitempty"`
	} `json:"results"`
}

// Associations returns, for each from-id, the ids of its associated
// to-records, following each id's association paging.
func (c *Client) Associations(ctx context.Context, from, to string, ids []string) (map[string][]string, error) {
	type input struct {
		ID    string `json:"id"`
		After string `json:"after,omitempty"`
	}
	out := make(map[string][]string, len(ids))
	inputs := make([]input, 0, len(ids))
	for _, id := range ids {
		inputs = append(inputs, input{ID: id})
	}
	path := "/crm/associations/" + Version + "/" + from + "/" + to + "/batch/read"
	for len(inputs) > 0 {
		var resp assocResponse
		if err := c.do(ctx, http.MethodPost, path, nil, struct {
			Inputs []input `json:"inputs"`
		}{inputs}, &resp); err != nil {
			return nil, err
		}
		inputs = inputs[:0]
		for _, r := range resp.Results {
			for _, t := range r.To {
				out[r.From.ID] = append(out[r.From.ID], t.ToObjectID.String())
			}
			if r.Paging != nil && r.Paging.Next != nil && r.Paging.Next.After != "" {
				inputs = append(inputs, input{ID: r.From.ID, After: r.Paging.Next.After})
			}
		}
	}
	return out, nil
}

// Owners returns every owner's e-mail by owner id.
func (c *Client) Owners(ctx context.Context) (map[string]string, error) {
	out := map[string]string{}
	after := ""
	for {
		q := url.Values{"limit": {"100"}}
		if after != "" {
			q.Set("after", after)
		}
		var resp struct {
			Results []struct {
				ID    string `json:"id"`
				Email string `json:"email"`
			} `json:"results"`
			Paging *Paging `json:"paging,omitempty"`
		}
		if err := c.do(ctx, http.MethodGet, "/crm/owners/"+Version, q, nil, &resp); err != nil {
			return nil, fmt.Errorf("listing HubSpot owners: %w", err)
		}
		for _, o := range resp.Results {
			out[o.ID] = strings.ToLower(o.Email)
		}
		if resp.Paging == nil || resp.Paging.Next == nil || resp.Paging.Next.After == "" {
			return out, nil
		}
		after = resp.Paging.Next.After
	}
}
