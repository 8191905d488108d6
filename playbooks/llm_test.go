package playbooks_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/playbooks"
)

// fakeLLM is an OpenAI-compatible chat completions server whose answers
// are scripted per call.
type fakeLLM struct {
	*httptest.Server
	mu      sync.Mutex
	calls   int
	bodies  []string
	answers []func(w http.ResponseWriter, userMsg string)
}

func newFakeLLM(t *testing.T, answers ...func(w http.ResponseWriter, userMsg string)) *fakeLLM {
	f := &fakeLLM{answers: answers}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/chat/completions" {
			http.NotFound(w, r)
			return
		}
		b, _ := io.ReadAll(r.Body)
		var req struct {
			Messages []struct{ Role, Content string } `json:"messages"`
		}
		json.Unmarshal(b, &req)
		f.mu.Lock()
		i := f.calls
		f.calls++
		f.bodies = append(f.bodies, string(b))
		f.mu.Unlock()
		if len(req.Messages) != 2 || req.Messages[0].Role != "system" || req.Messages[1].Role != "user" {
			http.Error(w, "bad roles", 400)
			return
		}
		f.answers[min(i, len(f.answers)-1)](w, req.Messages[1].Content)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeLLM) count() int { f.mu.Lock(); defer f.mu.Unlock(); return f.calls }

func reply(text string) func(http.ResponseWriter, string) {
	return func(w http.ResponseWriter, _ string) {
		w.Header().Set("Content-Type", "application/json")
		b, _ := json.Marshal(text)
		fmt.Fprintf(w, `{"id":"c1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":%s},"finish_reason":"stop"}]}`, b)
	}
}

// echo answers with the draft from the prompt, lightly "polished".
func echo(w http.ResponseWriter, user string) {
	_, draft, _ := strings.Cut(user, "\n\nDraft:\n")
	reply("Polished: "+draft)(w, user)
}

func apiError(status int, code string) func(http.ResponseWriter, string) {
	return func(w http.ResponseWriter, _ string) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprintf(w, `{"error":{"message":"nope","type":%q,"code":%q}}`, code, code)
	}
}

func drafter(t *testing.T, url string, mask bool, timeout time.Duration) *playbooks.Drafter {
	t.Helper()
	d, err := playbooks.New("")
	if err != nil {
		t.Fatal(err)
	}
	p := playbooks.NewPolisher(playbooks.LLMConfig{APIKey: "sk-test", BaseURL: url + "/v1", Model: "test-model", Timeout: timeout, Mask: mask,
		Clock: noSleep{}}, nil)
	return d.WithLLM(p, nil)
}

// noSleep skips the waits between retries, so the retry tests take no time.
type noSleep struct{}

func (noSleep) Now() time.Time                                   { return time.Now() }
func (noSleep) Sleep(ctx context.Context, _ time.Duration) error { return ctx.Err() }

func draftQBR(t *testing.T, d *playbooks.Drafter) bot.Draft {
	t.Helper()
	a, ev := sample(t, 0)
	got, err := d.Draft(context.Background(), bot.DraftRequest{Kind: "qbr", Account: a, Evaluation: &ev})
	if err != nil {
		t.Fatal(err)
	}
	return got
}

func TestLLMPolish(t *testing.T) {
	tests := []struct {
		name    string
		answers []func(http.ResponseWriter, string)
		source  string
		reason  string
		calls   int
		timeout time.Duration
	}{
		{"good answer used", []func(http.ResponseWriter, string){echo}, "llm", "", 1, 0},
		{"429 then success", []func(http.ResponseWriter, string){apiError(429, "rate_limit_exceeded"), echo}, "llm", "", 2, 0},
		{"500 then success", []func(http.ResponseWriter, string){apiError(500, "server_error"), echo}, "llm", "", 2, 0},
		{"insufficient quota is not retried", []func(http.ResponseWriter, string){apiError(429, "insufficient_quota"), echo}, "template", "status 429", 1, 0},
		{"persistent error falls back", []func(http.ResponseWriter, string){apiError(503, "overloaded")}, "template", "status 503", 3, 0},
		{"bad request falls back at once", []func(http.ResponseWriter, string){apiError(400, "invalid_request")}, "template", "status 400", 1, 0},
		{"empty choices fall back", []func(http.ResponseWriter, string){func(w http.ResponseWriter, _ string) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"id":"c","object":"chat.completion","choices":[]}`)
		}}, "template", "no choices", 1, 0},
		{"invented number: regenerate once, then fall back", []func(http.ResponseWriter, string){reply("They will save $987,654 next year.")}, "template", "987,654", 2, 0},
		{"invented number then a grounded answer", []func(http.ResponseWriter, string){reply("Saves 31337 hours."), echo}, "llm", "", 2, 0},
		{"timeout falls back", []func(http.ResponseWriter, string){func(w http.ResponseWriter, u string) { time.Sleep(400 * time.Millisecond); echo(w, u) }}, "template", "timed out", 1, 100 * time.Millisecond}, // not retried: the user would wait 3× as long
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFakeLLM(t, tt.answers...)
			got := draftQBR(t, drafter(t, f.URL, false, tt.timeout))
			if got.Source != tt.source || !strings.Contains(got.FallbackReason, tt.reason) || f.count() != tt.calls {
				t.Errorf("source %q reason %q calls %d; want %q, %q, %d", got.Source, got.FallbackReason, f.count(), tt.source, tt.reason, tt.calls)
			}
			if tt.source == "llm" && !strings.HasPrefix(got.Text, "Polished: ") {
				t.Errorf("text = %.80q", got.Text)
			}
			if tt.source == "template" && strings.HasPrefix(got.Text, "Polished") {
				t.Error("fallback must be the template text")
			}
		})
	}
}

func TestLLMCacheAndMasking(t *testing.T) {
	f := newFakeLLM(t, echo)
	d := drafter(t, f.URL, true, 0)
	first := draftQBR(t, d)
	second := draftQBR(t, d)
	if f.count() != 1 || first.Text != second.Text || second.Source != "llm" {
		t.Errorf("cache: %d calls", f.count())
	}
	a, _ := sample(t, 0)
	f.mu.Lock()
	body := f.bodies[0]
	f.mu.Unlock()
	if strings.Contains(body, a.Name) || !strings.Contains(body, "[NAME") {
		t.Errorf("the prompt must not contain %q: %.300s", a.Name, body)
	}
	if strings.Contains(first.Text, "[NAME") {
		t.Errorf("placeholders must be restored after the call: %.200s", first.Text)
	}
}

func TestNoKeyNoLLM(t *testing.T) {
	if playbooks.NewPolisher(playbooks.LLMConfig{}, nil) != nil {
		t.Error("without a key the polisher must be off")
	}
}

// Figures planted in a free-text note never reach a polished draft: the
// note goes into the prompt quoted and marked untrusted, and an answer
// using its figures is refused (then the template is used, which never
// quotes notes to the customer).
func TestPlantedNoteFiguresNeverReachTheDraft(t *testing.T) {
	const planted = "best price $987,654 with a 61% discount"
	for _, answer := range []string{
		"Polished: our competitor offers a best price of $987,654.",
		"Polished: they offered a 61% discount; we can match it.",
	} {
		f := newFakeLLM(t, reply(answer))
		d := drafter(t, f.URL, false, 0)
		for _, kind := range []struct{ kind, arg string }{{"objection", "competitor"}, {"renewal", ""}, {"qbr", ""}} {
			a, ev := sample(t, 0)
			a.Signals = append(a.Signals, domain.Signal{Date: today.AddDays(-3), Kind: domain.SignalCompetitor, Note: planted})
			a.Normalize()
			ev = domain.Evaluate(a, today, domain.DefaultConfig())
			got, err := d.Compose(context.Background(), bot.DraftRequest{Kind: kind.kind, Arg: kind.arg, Account: a, Evaluation: &ev})
			if err != nil {
				t.Fatal(err)
			}
			if got.Source != "template" || !strings.Contains(got.FallbackReason, "not in the facts") {
				t.Errorf("%s: source %q reason %q: the planted figure was accepted", kind.kind, got.Source, got.FallbackReason)
			}
			if strings.Contains(got.CustomerText, "987,654") || strings.Contains(got.CustomerText, "61%") {
				t.Errorf("%s: customer text carries the note's figures:\n%s", kind.kind, got.CustomerText)
			}
		}
		f.mu.Lock()
		body := f.bodies[0]
		f.mu.Unlock()
		var req struct {
			Messages []struct{ Role, Content string } `json:"messages"`
		}
		json.Unmarshal([]byte(body), &req)
		user := req.Messages[1].Content
		factsPart, rest, _ := strings.Cut(user, "Untrusted notes")
		if strings.Contains(factsPart, "987,654") || !strings.Contains(rest, "> competitor: "+planted) {
			t.Errorf("the note must appear only in the quoted untrusted section:\n%s", user)
		}
		if !strings.Contains(req.Messages[0].Content, "Untrusted notes") {
			t.Error("the system prompt must say the notes are untrusted")
		}
	}
}
