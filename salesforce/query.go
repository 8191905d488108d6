package salesforce

import (
	"context"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/go-json-experiment/json/jsontext"
	gsf "github.com/k-capehart/go-salesforce/v3"
)

// row is one record with its fields as text ("" for null), the same for
// REST JSON and Bulk CSV results, so one mapper serves both.
type row map[string]string

// queryPage is one page of a SOQL query.
type queryPage struct {
	Rows  []row
	Next  string // nextRecordsUrl below /services/data/vXX.X, "" when done
	Total int
}

type queryResponse struct {
	TotalSize      int    `json:"totalSize"`
	Done           bool   `json:"done"`
	NextRecordsURL string `json:"nextRecordsUrl"`
	Records        []row  `json:"records"`
}

// UnmarshalJSONFrom reads a JSON record into a row straight from the
// tokens (json v2's UnmarshalerFrom, which apijson.Decode calls):
// strings as they are, numbers and booleans as written, null and objects
// (attributes, relationships) and arrays left out. Reading the records
// into maps of raw values first and then converting them was most of a
// full load's decoding.
func (r *row) UnmarshalJSONFrom(d *jsontext.Decoder) error {
	tok, err := d.ReadToken()
	if err != nil {
		return err
	}
	switch tok.Kind() {
	case 'n':
		*r = row{}
		return nil
	case '{':
	default:
		return fmt.Errorf("a record is a JSON %s, not an object", tok.Kind())
	}
	m := make(row, 8)
	for d.PeekKind() != '}' {
		name, err := d.ReadValue()
		if err != nil {
			return err
		}
		k := fieldName(name)
		switch d.PeekKind() {
		case '{', '[':
			delete(m, k) // a repeated name: the last value counts
			err = d.SkipValue()
		case 'n':
			delete(m, k)
			_, err = d.ReadToken()
		case 't', 'f':
			var v jsontext.Token
			if v, err = d.ReadToken(); err == nil {
				m[k] = strconv.FormatBool(v.Bool()) // "true", "false": no new string
			}
		default:
			var v jsontext.Token
			if v, err = d.ReadToken(); err == nil {
				m[k] = v.String()
			}
		}
		if err != nil {
			return err
		}
	}
	if _, err := d.ReadToken(); err != nil { // the closing brace
		return err
	}
	*r = m
	return nil
}

// query runs soql (all: through /queryAll/, which includes deleted
// records) and returns its first page of up to batch records.
func (c *Client) query(ctx context.Context, soql string, batch int, all bool) (queryPage, error) {
	res := "/query/?q="
	if all {
		res = "/queryAll/?q="
	}
	return c.page(ctx, res+url.QueryEscape(soql), batch)
}

// page reads one page at uri (a query or a nextRecordsUrl).
func (c *Client) page(ctx context.Context, uri string, batch int) (queryPage, error) {
	var qr queryResponse
	opt := gsf.WithHeader("Sforce-Query-Options", "batchSize="+strconv.Itoa(batch))
	if err := c.getJSON(ctx, uri, &qr, opt); err != nil {
		return queryPage{}, err
	}
	p := queryPage{Total: qr.TotalSize, Rows: make([]row, 0, len(qr.Records))}
	if !qr.Done {
		p.Next = strings.TrimPrefix(qr.NextRecordsURL, "/services/data/"+c.version)
	}
	for _, rec := range qr.Records {
		if rec == nil {
			rec = row{}
		}
		p.Rows = append(p.Rows, rec)
	}
	return p, nil
}

// queryEach runs soql and calls fn with every row, page by page.
func (c *Client) queryEach(ctx context.Context, soql string, fn func(row)) error {
	p, err := c.query(ctx, soql, 2000, false)
	for {
		if err != nil {
			return err
		}
		for _, r := range p.Rows {
			fn(r)
		}
		if p.Next == "" {
			return nil
		}
		p, err = c.page(ctx, p.Next, 2000)
	}
}

// fieldNames are the names the queries select, kept so that a record's
// names need no new strings (a full load reads hundreds of thousands of
// records, each naming its fields).
var fieldNames = func() map[string]string {
	m := map[string]string{}
	for _, n := range []string{"Id", "Name", "OwnerId", "SystemModstamp", "AccountId", "Amount", "CloseDate", "Type", "IsClosed", "IsWon",
		"CurrencyIsoCode", "FirstName", "LastName", "Email", "Title", "MasterRecordId", "IsDeleted", "Plan__c"} {
		m[n] = n
	}
	return m
}()

// fieldName is a record's field name: a string value the decoder read
// (so AppendUnquote's only error left is invalid UTF-8, which it replaces
// as encoding/json does).
func fieldName(v jsontext.Value) string {
	if len(v) >= 2 {
		if n, ok := fieldNames[string(v[1:len(v)-1])]; ok { // no escapes in these
			return n
		}
	}
	b, _ := jsontext.AppendUnquote(nil, v)
	return string(b)
}

var soqlEscaper = strings.NewReplacer(`\`, `\\`, `'`, `\'`, "\n", `\n`, "\r", `\r`)

// quote renders s as a SOQL string literal.
func quote(s string) string { return "'" + soqlEscaper.Replace(s) + "'" }

// inList renders ids as a SOQL IN list.
func inList(ids []string) string {
	var b strings.Builder
	b.WriteByte('(')
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(quote(id))
	}
	b.WriteByte(')')
	return b.String()
}

// soqlTime renders t as a SOQL datetime literal.
func soqlTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05Z") }

// changed is the answer of the `updated` resource.
type changed struct {
	IDs               []string `json:"ids"`
	LatestDateCovered string   `json:"latestDateCovered"`
}

// deleted is the answer of the `deleted` resource.
type deleted struct {
	DeletedRecords []struct {
		ID          string `json:"id"`
		DeletedDate string `json:"deletedDate"`
	} `json:"deletedRecords"`
	LatestDateCovered string `json:"latestDateCovered"`
}

// rangeQuery renders the start/end parameters of updated and deleted.
func rangeQuery(start, end time.Time) string {
	v := url.Values{"start": {start.UTC().Format("2006-01-02T15:04:05+00:00")}, "end": {end.UTC().Format("2006-01-02T15:04:05+00:00")}}
	return v.Encode()
}

// updatedIDs returns the ids of sobject records changed in [start, end].
func (c *Client) updatedIDs(ctx context.Context, sobject string, start, end time.Time) (changed, error) {
	var out changed
	if err := c.getJSON(ctx, "/sobjects/"+sobject+"/updated/?"+rangeQuery(start, end), &out); err != nil {
		return out, fmt.Errorf("listing %s records updated since %s: %w", sobject, start.UTC().Format(time.RFC3339), err)
	}
	return out, nil
}

// deletedIDs returns the ids of sobject records deleted in [start, end].
func (c *Client) deletedIDs(ctx context.Context, sobject string, start, end time.Time) ([]string, error) {
	var out deleted
	if err := c.getJSON(ctx, "/sobjects/"+sobject+"/deleted/?"+rangeQuery(start, end), &out); err != nil {
		return nil, fmt.Errorf("listing %s records deleted since %s: %w", sobject, start.UTC().Format(time.RFC3339), err)
	}
	ids := make([]string, 0, len(out.DeletedRecords))
	for _, d := range out.DeletedRecords {
		ids = append(ids, d.ID)
	}
	return ids, nil
}
