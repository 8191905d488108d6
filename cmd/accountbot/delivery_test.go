package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"github.com/accountbot/accountbot/storage/badger"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/infracloudio/msbotbuilder-go/schema"

	"github.com/accountbot/accountbot/bot/teams"
)

// The burst: 400 demo accounts at 09:30 UTC on a Monday are 48 nudges
// (digests, weekly reviews, renewal reminders to #renewals, alerts). At
// 12 a second the burst spans several of the interrupted runs.
const burstAt = "2026-11-23T09:30:00Z"

const burstConfig = `nudges:
  sends_per_second: 12
  burst: 1
  check_every: 1s
`

// postLatency is how long the fakes take to answer a post they have
// already made: a signal often lands while an answer is on its way.
const postLatency = 100 * time.Millisecond

// fakePlatform counts posts per message on a fake Slack or Teams API.
type fakePlatform struct {
	mu    sync.Mutex
	posts map[string]int // Slack: dedupe key; Teams: conversation and content
	hist  map[string][]map[string]any
	body  map[string]string // Teams: what each key's first post said
	n     int
}

func newFakePlatform() *fakePlatform {
	return &fakePlatform{posts: map[string]int{}, hist: map[string][]map[string]any{}, body: map[string]string{}}
}

// slackChannel maps what chat.postMessage is given to the conversation the
// message lands in (a user id to the DM, a channel name to its id).
func slackChannel(ch string) string {
	switch {
	case strings.HasPrefix(ch, "U_"):
		return "D_" + ch[2:]
	case ch == "#renewals" || ch == "renewals":
		return "C0RENEWALS"
	}
	return ch
}

// ServeHTTP speaks the Slack Web API methods the scheduler uses.
func (f *fakePlatform) slack(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil { // cut off by a kill -9: Slack posts nothing
		http.Error(w, "truncated request", http.StatusBadRequest)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	f.mu.Lock()
	var out any = map[string]any{"ok": true}
	switch r.URL.Path[strings.LastIndex(r.URL.Path, "/")+1:] {
	case "users.lookupByEmail":
		name, _, _ := strings.Cut(r.Form.Get("email"), "@")
		out = map[string]any{"ok": true, "user": map[string]any{"id": "U_" + name, "tz": "UTC"}}
	case "users.info":
		id := r.Form.Get("user")
		out = map[string]any{"ok": true, "user": map[string]any{"id": id, "team_id": "T1", "profile": map[string]any{"email": strings.TrimPrefix(id, "U_") + "@example.com"}}}
	case "conversations.open":
		out = map[string]any{"ok": true, "channel": map[string]any{"id": slackChannel(r.Form.Get("users"))}}
	case "conversations.list":
		out = map[string]any{"ok": true, "channels": []map[string]any{{"id": "C0RENEWALS", "name": "renewals"}}, "response_metadata": map[string]any{"next_cursor": ""}}
	case "conversations.history":
		ch := r.Form.Get("channel")
		msgs := f.hist[ch]
		if !strings.HasPrefix(ch, "D_") && !strings.HasPrefix(ch, "C0") { // ids only, as Slack: a name is not found
			out = map[string]any{"ok": false, "error": "channel_not_found"}
			break
		}
		rev := make([]map[string]any, 0, len(msgs)) // newest first, as Slack answers
		for i := len(msgs) - 1; i >= 0; i-- {
			rev = append(rev, msgs[i])
		}
		out = map[string]any{"ok": true, "messages": rev, "has_more": false}
	case "chat.postMessage":
		var meta struct {
			EventType    string         `json:"event_type"`
			EventPayload map[string]any `json:"event_payload"`
		}
		json.Unmarshal([]byte(r.Form.Get("metadata")), &meta)
		key := fmt.Sprint(meta.EventPayload["dedupe_key"])
		f.posts[key]++
		f.n++
		ch := slackChannel(r.Form.Get("channel"))
		ts := fmt.Sprintf("1700000000.%06d", f.n)
		f.hist[ch] = append(f.hist[ch], map[string]any{"type": "message", "ts": ts, "text": "nudge",
			"metadata": map[string]any{"event_type": meta.EventType, "event_payload": meta.EventPayload}})
		out = map[string]any{"ok": true, "channel": ch, "ts": ts}
	}
	f.mu.Unlock()
	if _, posted := out.(map[string]any)["ts"]; posted {
		time.Sleep(postLatency) // the post exists; its answer is on its way
	}
	json.NewEncoder(w).Encode(out)
}

// teams speaks the Bot Connector (token and activities).
func (f *fakePlatform) teams(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	if r.URL.Path == "/token" {
		fmt.Fprint(w, `{"access_token":"tok","token_type":"Bearer","expires_in":3600}`)
		return
	}
	var act struct {
		Conversation struct{ ID string } `json:"conversation"`
		Attachments  json.RawMessage     `json:"attachments"`
		Text         string              `json:"text"`
	}
	// A request cut off by a kill -9 arrives truncated: like Teams, the
	// fake creates no activity from it (counting it made a phantom message).
	body, err := io.ReadAll(r.Body)
	if err != nil || json.Unmarshal(body, &act) != nil || act.Conversation.ID == "" {
		http.Error(w, `{"error":{"code":"BadArgument","message":"malformed activity"}}`, http.StatusBadRequest)
		return
	}
	sum := sha256.Sum256(append([]byte(act.Text), act.Attachments...))
	f.mu.Lock()
	key := fmt.Sprintf("%s %x", act.Conversation.ID, sum[:8])
	f.posts[key]++
	if _, ok := f.body[key]; !ok {
		f.body[key] = string(body)
	}
	f.n++
	n := f.n
	f.mu.Unlock()
	time.Sleep(postLatency) // the activity exists; its id is on its way
	fmt.Fprintf(w, `{"id":"act-%d"}`, n)
}

func (f *fakePlatform) counts() (keys, posts, doubles int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for _, c := range f.posts {
		keys++
		posts += c
		if c > 1 {
			doubles += c - 1
		}
	}
	return keys, posts, doubles
}

// burstTenant is the Teams tenant serveBurst binds to.
const burstTenant = "72f988bf-86f1-41af-91ab-2d7cd011db47"

// burstBook writes the demo book and, for Teams, the conversation
// references that proactive messages need, in the old name- and
// e-mail-keyed form: serve migrates them on start.
func burstBook(t *testing.T, serviceURL string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command(binary(t), "--data", dir, "demo", "--accounts", "400").CombinedOutput(); err != nil {
		t.Fatalf("demo: %v %s", err, out)
	}
	if serviceURL == "" {
		return dir
	}
	db, err := badger.Open(context.Background(), dir, badger.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	keys := []string{"channel:renewals"}
	for _, n := range []string{"ana", "bo", "cy", "dee", "eli", "fay", "gus", "hal"} {
		keys = append(keys, "email:"+n+"@example.com")
	}
	for _, k := range keys {
		ref := teams.Ref{Reference: schema.ConversationReference{ServiceURL: serviceURL, ChannelID: "msteams",
			Conversation: schema.ConversationAccount{ID: "conv-" + strings.NewReplacer(":", "-", "@", "-").Replace(k), TenantID: burstTenant},
			User:         schema.ChannelAccount{ID: "29:" + k}, Bot: schema.ChannelAccount{ID: "28:bot"}}}
		b, _ := json.Marshal(ref)
		if err := db.PutRef(context.Background(), "teams", k, b); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// serveBurst starts the real binary's serve on dir against the fake.
func serveBurst(t *testing.T, dir, platform, apiURL string, env ...string) *exec.Cmd {
	t.Helper()
	cfg := filepath.Join(dir, "..", "config.yaml")
	if err := os.WriteFile(cfg, []byte(burstConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary(t), "--data", dir, "--config", cfg, "serve")
	cmd.Env = append(childEnv(), "ACCOUNTBOT_ADDR=127.0.0.1:0", "ACCOUNTBOT_FAKE_NOW="+burstAt)
	if platform == "slack" {
		cmd.Env = append(cmd.Env, "SLACK_BOT_TOKEN=xoxb-test", "SLACK_SIGNING_SECRET=shh", "SLACK_API_URL="+apiURL+"/api/")
	} else {
		cmd.Env = append(cmd.Env, "MICROSOFT_APP_ID=11111111-2222-3333-4444-555555555555", "MICROSOFT_APP_PASSWORD=pw",
			"MICROSOFT_OPENID_METADATA_URL=http://127.0.0.1:1/openid", "MICROSOFT_TOKEN_URL="+apiURL+"/token",
			"MICROSOFT_TENANT_IDS="+burstTenant)
	}
	cmd.Env = append(cmd.Env, env...) // later values win
	logStderrOnFailure(t, cmd)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd
}

// TestDeliveryAcrossRestarts interrupts a burst of nudges at random points,
// ten times per platform and signal, then lets a clean run finish: SIGTERM
// never doubles or loses a nudge; after kill -9 nothing is lost and only
// Teams (which cannot be asked) may double, counted here.
func TestDeliveryAcrossRestarts(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary 40+ times")
	}
	for _, platform := range []string{"slack", "teams"} {
		for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGKILL} {
			t.Run(platform+"/"+sig.String(), func(t *testing.T) {
				t.Parallel()
				f := newFakePlatform()
				handler := f.slack
				if platform == "teams" {
					handler = f.teams
				}
				srv := httptest.NewServer(http.HandlerFunc(handler))
				defer srv.Close()
				serviceURL := ""
				if platform == "teams" {
					serviceURL = srv.URL
				}
				want, ref := referenceRun(t, platform, serviceURL)
				dir := burstBook(t, serviceURL)
				for range 10 {
					cmd := serveBurst(t, dir, platform, srv.URL)
					time.Sleep(time.Duration(rand.Int64N(int64(1500 * time.Millisecond))))
					cmd.Process.Signal(sig)
					done := make(chan error, 1)
					go func() { done <- cmd.Wait() }()
					select {
					case <-done:
					case <-time.After(20 * time.Second): // the 10 s shutdown limit, then closing the store, on a busy CI machine
						cmd.Process.Kill()
						t.Fatal("serve did not stop within the shutdown limit")
					}
				}
				_, before, _ := f.counts()
				cleanRun(t, dir, platform, srv.URL, f, want)
				keys, posts, doubles := f.counts()
				t.Logf("%s %v: %d posts during the interrupted runs; in all %d messages, %d posts, %d doubles", platform, sig, before, keys, posts, doubles)
				if keys != want {
					t.Errorf("%d distinct messages delivered, want %d", keys, want)
					f.diff(t, ref)
				}
				if doubles > 0 && (sig == syscall.SIGTERM || platform == "slack") {
					t.Errorf("%d doubles after %v on %s", doubles, sig, platform)
				}
				if doubles > 10 { // at most the one POST in flight at each kill
					t.Errorf("%d doubles for 10 kills", doubles)
				}
			})
		}
	}
}

// referenceRun delivers the burst once without interruption: how many
// distinct messages there are.
func referenceRun(t *testing.T, platform, serviceURL string) (int, *fakePlatform) {
	f := newFakePlatform()
	handler := f.slack
	if platform == "teams" {
		handler = f.teams
	}
	srv := httptest.NewServer(http.HandlerFunc(handler))
	defer srv.Close()
	if serviceURL != "" {
		serviceURL = srv.URL
	}
	dir := burstBook(t, serviceURL)
	cleanRun(t, dir, platform, srv.URL, f, 40)
	keys, _, doubles := f.counts()
	if keys < 40 || doubles > 0 {
		t.Fatalf("reference run: %d messages, %d doubles", keys, doubles)
	}
	return keys, f
}

// diff logs the messages one run delivered that the other did not.
func (f *fakePlatform) diff(t *testing.T, ref *fakePlatform) {
	f.mu.Lock()
	defer f.mu.Unlock()
	for k := range f.posts {
		if _, ok := ref.posts[k]; !ok {
			t.Logf("delivered but not in the reference run: %s\n%.3000s", k, f.body[k])
		}
	}
	for k := range ref.posts {
		if _, ok := f.posts[k]; !ok {
			t.Logf("in the reference run but not delivered: %s\n%.3000s", k, ref.body[k])
		}
	}
}

// cleanRun serves until the fake has seen want messages and a second
// passes without a post, then stops with SIGTERM.
func cleanRun(t *testing.T, dir, platform, apiURL string, f *fakePlatform, want int) {
	cmd := serveBurst(t, dir, platform, apiURL)
	defer cmd.Wait()
	defer cmd.Process.Signal(syscall.SIGTERM)
	last, quiet := -1, 0
	// Generous: a channel is paced at about one post a second, so a dozen
	// reminders to #renewals take that long on their own, and CI runs this
	// next to every other package under the race detector. Returns as soon
	// as the burst is delivered.
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		keys, posts, _ := f.counts()
		if posts == last {
			quiet++
		} else {
			last, quiet = posts, 0
		}
		if keys >= want && quiet >= 6 {
			return
		}
	}
}
