package slack

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// Slack's documented example.
const (
	docSecret = "8f742231b10e8888abcd99yyyzzz85a5"
	docTS     = "1531420618"
	docBody   = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	docSig    = "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"
)

func sign(secret, ts string, body []byte) string {
	mac := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(mac, "v0:%s:", ts)
	mac.Write(body)
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}

func TestVerifierDocumentedExample(t *testing.T) {
	v := &Verifier{Secret: docSecret, Now: func() time.Time { return time.Unix(1531420618, 0) }}
	h := http.Header{}
	h.Set("X-Slack-Request-Timestamp", docTS)
	h.Set("X-Slack-Signature", docSig)
	if err := v.Check(h, []byte(docBody)); err != nil {
		t.Fatalf("documented example refused: %v", err)
	}
	if sign(docSecret, docTS, []byte(docBody)) != docSig {
		t.Fatal("test signer disagrees with Slack's example")
	}
}

func TestVerifierRefusals(t *testing.T) {
	now := time.Unix(1531420618, 0)
	v := &Verifier{Secret: docSecret, Now: func() time.Time { return now }}
	mux := v.Middleware(func(w http.ResponseWriter, r *http.Request, body []byte) { w.Write([]byte("ok")) })
	tests := []struct {
		name   string
		ts     string
		sig    string
		body   string
		status int
	}{
		{"valid", docTS, docSig, docBody, 200},
		{"tampered body", docTS, docSig, docBody + "x", 401},
		{"stale by 301 s", "1531420317", sign(docSecret, "1531420317", []byte(docBody)), docBody, 401},
		{"300 s old is accepted", "1531420318", sign(docSecret, "1531420318", []byte(docBody)), docBody, 200},
		{"future by 301 s", "1531420919", sign(docSecret, "1531420919", []byte(docBody)), docBody, 401},
		{"missing timestamp", "", docSig, docBody, 401},
		{"missing signature", docTS, "", docBody, 401},
		{"non-numeric timestamp", "abc", docSig, docBody, 401},
		{"no v0= prefix", docTS, strings.TrimPrefix(docSig, "v0="), docBody, 401},
		{"non-hex signature", docTS, "v0=zz" + docSig[5:], docBody, 401},
		{"wrong secret", docTS, sign("other", docTS, []byte(docBody)), docBody, 401},
		{"over 1 MiB", docTS, docSig, strings.Repeat("a", 1<<20+1), 413},
	}
	for _, tt := range tests {
		req := httptest.NewRequest(http.MethodPost, "/slack/commands", bytes.NewBufferString(tt.body))
		if tt.ts != "" {
			req.Header.Set("X-Slack-Request-Timestamp", tt.ts)
		}
		if tt.sig != "" {
			req.Header.Set("X-Slack-Signature", tt.sig)
		}
		w := httptest.NewRecorder()
		mux.ServeHTTP(w, req)
		if w.Code != tt.status {
			t.Errorf("%s: status %d, want %d", tt.name, w.Code, tt.status)
		}
		if tt.status == 401 && (strings.Contains(w.Body.String(), "v0=") || strings.TrimSpace(w.Body.String()) != "unauthorized") {
			t.Errorf("%s: body %q must be generic", tt.name, w.Body.String())
		}
	}
	req := httptest.NewRequest(http.MethodGet, "/slack/commands", nil)
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, req)
	if w.Code != http.StatusMethodNotAllowed {
		t.Errorf("GET = %d", w.Code)
	}
}
