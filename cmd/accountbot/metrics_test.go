package main

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os/exec"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestMetricsAndProbes runs serve against a fake Slack with nudges due,
// answers a command, then scrapes /metrics and the probes.
func TestMetricsAndProbes(t *testing.T) {
	f := newFakePlatform()
	srv := httptest.NewServer(http.HandlerFunc(f.slack))
	defer srv.Close()
	dir := burstBook(t, "")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := serveBurst(t, dir, "slack", srv.URL, "ACCOUNTBOT_ADDR="+addr)
	defer cmd.Wait()
	defer cmd.Process.Signal(syscall.SIGTERM)
	get := func(path string) (int, string) {
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			return 0, err.Error()
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	for i := 0; i < 600; i++ { // a minute: CI runs every package's tests at once
		if code, _ := get("/livez"); code == 200 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	for _, p := range []string{"/livez", "/healthz"} {
		if code, body := get(p); code != 200 || body != "ok\n" {
			t.Errorf("%s = %d %q", p, code, body)
		}
	}
	body := url.Values{"command": {"/portfolio"}, "text": {"top"}, "user_id": {"U_ana"}, "channel_id": {"C1"}, "team_id": {"T1"}, "api_app_id": {"A1"}}.Encode()
	at, _ := time.Parse(time.RFC3339, burstAt) // serve's clock (ACCOUNTBOT_FAKE_NOW)
	if code, _ := postSlash(t, addr, body, at); code != 200 {
		t.Errorf("slash command = %d", code)
	}
	for i := 0; i < 600; i++ {
		if _, posts, _ := f.counts(); posts >= 10 {
			break
		}
		time.Sleep(100 * time.Millisecond)
	}
	// An import sent to the running serve (through the control socket).
	if out, err := exec.Command(binary(t), append([]string{"--data", dir, "import"}, examples(t)...)...).CombinedOutput(); err != nil {
		t.Errorf("import through serve: %v %s", err, out)
	}
	code, out := get("/metrics")
	if code != 200 {
		t.Fatalf("/metrics = %d", code)
	}
	for _, want := range []string{
		`accountbot_commands_total{outcome="ok",verb="portfolio top"} 1`,
		`accountbot_answer_seconds_bucket{verb="portfolio top",le="+Inf"} 1`,
		`accountbot_nudges_total{kind="digest",outcome="sent",platform="slack"}`,
		`accountbot_nudges_total{kind="renewal",outcome="planned",platform=""}`,
		`accountbot_import_rows_total{outcome="imported"}`,
		`go_goroutines`,
	} {
		if !strings.Contains(out, want) {
			t.Errorf("/metrics lacks %s in\n%s", want, grepLines(out, "accountbot_"))
		}
	}
	// No label value names a person or an account.
	for _, lv := range regexp.MustCompile(`="([^"]*)"`).FindAllStringSubmatch(out, -1) {
		if strings.Contains(lv[1], "@") || regexp.MustCompile(`acct-\d+`).MatchString(lv[1]) {
			t.Errorf("label value %q identifies someone", lv[1])
		}
	}
	if code, body := get("/readyz"); code != 200 || !strings.Contains(body, `"scheduler":"ok"`) || !strings.Contains(body, `"slack":"ok"`) {
		t.Errorf("/readyz = %d %s", code, body)
	}
}

func grepLines(s, sub string) string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		if strings.Contains(l, sub) && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// TestReadyzNamesTheFailingCheck: 503 with a JSON body saying which check
// fails; 200 once all pass (after the cache's few seconds).
func TestReadyzNamesTheFailingCheck(t *testing.T) {
	down := errors.New("auth.test: invalid_auth")
	h := &readiness{checks: map[string]func(context.Context) error{
		"store": func(context.Context) error { return nil },
		"slack": func(context.Context) error { return down }, // read at each check
	}}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	var body struct {
		Ready  bool              `json:"ready"`
		Checks map[string]string `json:"checks"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if rec.Code != http.StatusServiceUnavailable || body.Ready || body.Checks["store"] != "ok" ||
		body.Checks["slack"] != "failing: auth.test: invalid_auth" {
		t.Errorf("readyz = %d %s", rec.Code, rec.Body)
	}
	down = nil
	h.at = time.Time{} // past the cache
	rec = httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest("GET", "/readyz", nil))
	if rec.Code != http.StatusOK {
		t.Errorf("readyz after recovery = %d %s", rec.Code, rec.Body)
	}
}
