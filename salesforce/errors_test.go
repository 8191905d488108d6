package salesforce

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/accountbot/accountbot/connector"
	"github.com/accountbot/accountbot/internal/apijson"
	"github.com/accountbot/accountbot/salesforce/salesforcetest"
)

func TestExpiredSessionLogsInAgain(t *testing.T) {
	e := setup(t, salesforcetest.LoadOrg(t), Config{})
	if _, err := e.sync(t, connector.Options{}); err != nil {
		t.Fatal(err)
	}
	e.f.Expire()
	e.clock.now = testNow.Add(time.Hour)
	if _, err := e.sync(t, connector.Options{Full: true}); err != nil {
		t.Fatal(err)
	}
	if e.f.Logins != 2 {
		t.Errorf("logins = %d, want a second JWT bearer login after INVALID_SESSION_ID", e.f.Logins)
	}
}

func TestLoginFailuresAreClearAndChangeNothing(t *testing.T) {
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	b, _ := x509.MarshalPKCS8PrivateKey(other)
	wrongKey := string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: b}))
	for _, tc := range []struct {
		name string
		edit func(*Creds)
	}{
		{"unknown user", func(c *Creds) { c.Username = "someone@else.example" }},
		{"wrong client id", func(c *Creds) { c.ClientID = "3MVG9Other" }},
		{"key not matching the certificate", func(c *Creds) { c.KeyPEM = wrongKey }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, salesforcetest.LoadOrg(t), Config{})
			tc.edit(&e.cl.cr)
			_, err := e.sync(t, connector.Options{})
			if err == nil {
				t.Fatal("want an error")
			}
			st := e.store.Statuses[Name]
			if !strings.Contains(st.LastError, "refused the JWT bearer login") || !strings.Contains(st.LastError, "pre-authorised") {
				t.Errorf("last error = %q", st.LastError)
			}
			if len(e.store.Accounts) != 0 || e.store.Cursors[Name] != "" || e.store.Commits != 0 {
				t.Error("a failed login must change nothing")
			}
		})
	}
}

func TestCredsFromEnv(t *testing.T) {
	_, pemKey := key(t)
	dir := t.TempDir()
	kf := filepath.Join(dir, "key.pem")
	os.WriteFile(kf, []byte(pemKey), 0o600)
	envs := map[string]string{"SALESFORCE_CLIENT_ID": testClientID, "SALESFORCE_USERNAME": testUser, "SALESFORCE_PRIVATE_KEY_FILE": kf}
	cr, err := Config{}.Creds(func(k string) string { return envs[k] })
	if err != nil || cr.LoginURL != DefaultLoginURL || cr.KeyPEM != pemKey {
		t.Fatalf("creds = %+v, %v", cr, err)
	}
	_, err = Config{}.Creds(func(string) string { return "" })
	if err == nil || !strings.Contains(err.Error(), "SALESFORCE_CLIENT_ID") || !strings.Contains(err.Error(), "SALESFORCE_PRIVATE_KEY_FILE") {
		t.Errorf("missing creds: %v", err)
	}
	os.WriteFile(kf, []byte("not a key"), 0o600)
	if _, err := (Config{}).Creds(func(k string) string { return envs[k] }); err == nil || !strings.Contains(err.Error(), "not a PEM private key") {
		t.Errorf("bad key file: %v", err)
	}
}

func TestPermissionAndMappingErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		deny string
		want string
	}{
		{"no read on Opportunity", Config{}, "Opportunity", "lacks a permission (INVALID_TYPE"},
		{"mapped field missing", Config{Mapping: Mapping{Plan: "Tier_Name__c"}}, "", "No such column 'Tier_Name__c' on entity 'Account'"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := setup(t, salesforcetest.LoadOrg(t), tc.cfg)
			e.f.Deny = tc.deny
			if _, err := e.sync(t, connector.Options{}); err == nil {
				t.Fatal("want an error")
			}
			st := e.store.Statuses[Name]
			if !strings.Contains(st.LastError, tc.want) {
				t.Errorf("last error = %q, want %q", st.LastError, tc.want)
			}
			if len(e.store.Accounts) != 0 {
				t.Error("nothing may be stored")
			}
		})
	}
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Mapping: Mapping{Required: []string{"seats"}}}, "set sync.salesforce.mapping.seats"},
		{Config{Mapping: Mapping{Required: []string{"arr"}, ARRFrom: "account"}}, "account_arr"},
		{Config{Mapping: Mapping{Plan: "Plan__c FROM User--"}}, "not a Salesforce field API name"},
		{Config{WriteBack: Writes{Tasks: true}}, "write_id_field"},
	} {
		if _, err := NewSource(nil, tc.cfg, "USD"); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%+v: err = %v, want %q", tc.cfg, err, tc.want)
		}
	}
}

func TestRequiredFieldRefusesRecord(t *testing.T) {
	e := setup(t, salesforcetest.LoadOrg(t), Config{Mapping: Mapping{Required: []string{"name", "plan"}}})
	rep, err := e.sync(t, connector.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := e.store.Accounts["salesforce-001000000000003AAA"]; ok {
		t.Error("Initech has no plan and must be refused")
	}
	if !strings.Contains(strings.Join(rep.Status.Refusals, "\n"), "001000000000003AAA: required field plan is empty (Salesforce Account.Plan__c)") {
		t.Errorf("refusals = %q", rep.Status.Refusals)
	}
}

func TestDryRunStoresNothing(t *testing.T) {
	e := setup(t, salesforcetest.LoadOrg(t), Config{})
	rep, err := e.sync(t, connector.Options{DryRun: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Changes) == 0 || len(e.store.Accounts) != 0 || e.store.Commits != 0 || len(e.store.Statuses) != 0 {
		t.Errorf("dry run changed the store or listed nothing: %+v", rep)
	}
}

func jsonUnmarshal(c connector.Cursor, v any) error { return json.Unmarshal([]byte(c), v) }

func TestQuoteEscapesSOQL(t *testing.T) {
	for in, want := range map[string]string{`a'b`: `'a\'b'`, `x\' OR Name != '`: `'x\\\' OR Name != \''`, "l1\nl2": `'l1\nl2'`} {
		if got := quote(in); got != want {
			t.Errorf("quote(%q) = %s, want %s", in, got, want)
		}
	}
}

// A record reads as a row: strings unescaped, numbers and booleans as
// written, null, objects and arrays left out, the last of a repeated name;
// invalid UTF-8 is replaced, as encoding/json did.
func TestRecordRows(t *testing.T) {
	body := `{"totalSize":3,"done":false,"nextRecordsUrl":"/services/data/v63.0/query/01g-200","records":[` +
		`{"attributes":{"type":"Account"},"Id":"001","Name":"A \"quoted\" \u00e9","Amount":1200.5,"Big":1.5E+5,"IsWon":true,"Plan__c":null,"Owner":{"Email":"x"},"Tags":[1,{"a":2}],"Seats__c":"4","Seats__c":"5","Dup":"x","Dup":null,"Bad":"\\xff` + "\xff" + `","Titl\u0065":"CEO","Odd` + "\xff" + `":"1"},` +
		`null,{}]}`
	var qr queryResponse
	if err := apijson.Decode(strings.NewReader(body), &qr); err != nil {
		t.Fatal(err)
	}
	want := row{"Id": "001", "Name": `A "quoted" é`, "Amount": "1200.5", "Big": "1.5E+5", "IsWon": "true", "Seats__c": "5", "Bad": "\\xff\ufffd", "Title": "CEO", "Odd\ufffd": "1"}
	if len(qr.Records) != 3 || len(qr.Records[0]) != len(want) || qr.TotalSize != 3 || qr.Done || qr.NextRecordsURL == "" {
		t.Fatalf("decoded %+v", qr)
	}
	for k, v := range want {
		if got := qr.Records[0][k]; got != v {
			t.Errorf("%s = %q, want %q", k, got, v)
		}
	}
	for _, bad := range []string{`{"records":[1]}`, `{"records":[{"Id":}]}`, `{"records":[{"Id":"1"`} {
		if err := apijson.Decode(strings.NewReader(bad), &qr); err == nil {
			t.Errorf("%s decoded", bad)
		}
	}
}

func TestGatewayPageIsExplained(t *testing.T) {
	e := setup(t, salesforcetest.LoadOrg(t), Config{})
	e.f.Mu.Lock()
	e.f.GatewayError = true
	e.f.Mu.Unlock()
	if _, err := e.sync(t, connector.Options{}); err == nil {
		t.Fatal("want an error")
	}
	if st := e.store.Statuses[Name]; !strings.Contains(st.LastError, "502") || !strings.Contains(st.LastError, "not Salesforce's JSON") {
		t.Errorf("last error = %q", st.LastError)
	}
}

func TestCallsCarryTheContext(t *testing.T) {
	e := setup(t, salesforcetest.LoadOrg(t), Config{})
	if err := e.cl.login(context.Background()); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_, err := e.cl.query(ctx, "SELECT Id FROM Account", 200, false)
	if !errors.Is(err, context.Canceled) || e.asked("GET") != 0 {
		t.Errorf("err = %v, requests %v", err, e.f.Requests)
	}
}

func TestHangingTokenEndpointDoesNotHangTheRun(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { <-release }))
	t.Cleanup(srv.Close)
	t.Cleanup(func() { close(release) })
	_, pemKey := key(t)
	cl := NewClient(Creds{ClientID: testClientID, Username: testUser, KeyPEM: pemKey, LoginURL: srv.URL}, Options{})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	if err := cl.login(ctx); !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 5*time.Second {
		t.Errorf("err = %v after %s", err, time.Since(start))
	}
}
