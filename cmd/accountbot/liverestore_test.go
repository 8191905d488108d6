package main

import (
	"bytes"
	"context"
	"encoding/json"
	"github.com/accountbot/accountbot/storage/badger"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/accountbot/accountbot/control"
	"github.com/accountbot/accountbot/storage"
)

// poll asks url over and over until stopped, recording every answer.
type poll struct {
	mu   sync.Mutex
	got  []polled
	stop chan struct{}
	done chan struct{}
}

type polled struct {
	at, answered time.Time // when the request was sent and its answer came
	status       int
	retryAfter   string
	err          error
}

func startPoll(url string) *poll {
	p := &poll{stop: make(chan struct{}), done: make(chan struct{})}
	// A connection per request: the pause closes idle keep-alive
	// connections (as any graceful shutdown does), and what is tested is
	// that the port keeps answering.
	client := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}
	go func() {
		defer close(p.done)
		for {
			select {
			case <-p.stop:
				return
			default:
			}
			at := time.Now()
			resp, err := client.Get(url)
			g := polled{at: at, answered: time.Now(), err: err}
			if err == nil {
				g.status, g.retryAfter = resp.StatusCode, resp.Header.Get("Retry-After")
				resp.Body.Close()
			}
			p.mu.Lock()
			p.got = append(p.got, g)
			p.mu.Unlock()
			time.Sleep(2 * time.Millisecond)
		}
	}()
	return p
}

func (p *poll) end() []polled {
	close(p.stop)
	<-p.done
	return p.got
}

// A restore sent to a running serve swaps the store without a restart:
// afterwards the bot answers from the restored data (its accounts and its
// tokens), the HTTP port never closes and answers 503 only while the
// store is being swapped, and the control socket still works.
func TestRestoreWhileServing(t *testing.T) {
	dir, err := os.MkdirTemp("", "serve")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	env := map[string]string{"ACCOUNTBOT_ADDR": "127.0.0.1:0", "SLACK_BOT_TOKEN": "xoxb-test", "SLACK_SIGNING_SECRET": "shh",
		"SLACK_API_URL": "http://127.0.0.1:1/api"}
	srv := startServe(t, dir, env)
	defer srv.stop(t)
	var files []string
	for _, f := range examples(t) {
		abs, _ := filepath.Abs(f)
		files = append(files, abs)
	}
	t.Chdir(t.TempDir())
	if r := run(t, nil, "", append([]string{"--data", dir, "import"}, files...)...); r.code != 0 {
		t.Fatalf("import: %+v", r)
	}
	token := func(name string) string {
		r := run(t, nil, "", "--data", dir, "token", "create", "--scope", "read", "--name", name)
		if r.code != 0 {
			t.Fatalf("token create: %+v", r)
		}
		return strings.TrimSpace(r.stdout)
	}
	before := token("before")
	if r := run(t, nil, "", "--data", dir, "backup", "book.bak"); r.code != 0 {
		t.Fatalf("backup: %+v", r)
	}
	os.WriteFile("crm.csv", []byte("id,name,arr\nzed,Zed Ltd,5000\n"), 0o600)
	if r := run(t, nil, "", "--data", dir, "import", "crm.csv"); r.code != 0 || !strings.Contains(r.stdout, "1 new") {
		t.Fatalf("import after the backup: %+v", r)
	}
	after := token("after")

	// A damaged backup is refused before anything pauses: no 503, and the
	// store keeps zed.
	whole, _ := os.ReadFile("book.bak")
	flipped := append([]byte(nil), whole...)
	flipped[len(flipped)/2] ^= 0xff
	os.WriteFile("flipped.bak", flipped, 0o600)
	p := startPoll("http://" + srv.addr + "/api/v1/openapi.json")
	r := run(t, nil, "", "--data", dir, "restore", "--replace", "flipped.bak")
	time.Sleep(20 * time.Millisecond)
	for _, a := range p.end() {
		if a.err != nil || a.status != http.StatusOK {
			t.Errorf("a damaged backup paused the bot: %+v", a)
		}
	}
	if r.code != 1 || !strings.Contains(r.stderr, "cannot restore flipped.bak") || !strings.Contains(r.stderr, "was not changed") {
		t.Errorf("restore of a damaged backup: %+v", r)
	}
	if r := run(t, nil, "", "--data", dir, "import", "crm.csv"); r.code != 0 || !strings.Contains(r.stdout, "0 new, 0 updated, 1 unchanged") {
		t.Errorf("zed after a refused restore: %+v", r)
	}

	p = startPoll("http://" + srv.addr + "/api/v1/openapi.json")
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	r = run(t, nil, "", "--data", dir, "restore", "--replace", "book.bak")
	end := time.Now()
	time.Sleep(50 * time.Millisecond)
	answers := p.end()
	if r.code != 0 || !strings.Contains(r.stdout, "Restored book.bak") || !strings.Contains(r.stdout, ": 6 accounts") ||
		!strings.Contains(r.stdout, "Pausing the bot") || !strings.Contains(r.stdout, "serving again") {
		t.Fatalf("restore while serving: %+v", r)
	}
	var ok, unavailable int
	for _, a := range answers {
		switch {
		case a.err != nil:
			t.Errorf("the HTTP port failed at %s: %v", a.at.Sub(start), a.err)
		case a.status == http.StatusOK:
			ok++
		case a.status == http.StatusServiceUnavailable:
			unavailable++
			// A request sent just before the restore began may be
			// answered by the pause; none is answered 503 outside it.
			if a.retryAfter == "" || a.answered.Before(start) || a.at.After(end) {
				t.Errorf("503 at %s (restore ran %s), Retry-After %q", a.at.Sub(start), end.Sub(start), a.retryAfter)
			}
		default:
			t.Errorf("HTTP %d during a restore", a.status)
		}
	}
	if last := answers[len(answers)-1]; last.status != http.StatusOK {
		t.Errorf("after the restore: %+v", last)
	}
	t.Logf("%d answers: %d OK, %d 503; restore took %s", len(answers), ok, unavailable, end.Sub(start).Round(time.Millisecond))

	// The restored data: the token from before the backup works, the one
	// made after it is gone, and zed is new again.
	get := func(secret string) int {
		req, _ := http.NewRequest(http.MethodGet, "http://"+srv.addr+"/api/v1/unmatched", nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if code := get(before); code != http.StatusOK {
		t.Errorf("a token in the backup: %d after the restore", code)
	}
	if code := get(after); code != http.StatusUnauthorized {
		t.Errorf("a token made after the backup: %d after the restore, want 401", code)
	}
	if r := run(t, nil, "", "--data", dir, "backup", "again.bak"); r.code != 0 {
		t.Fatalf("backup after the restore (the control socket must be rebound): %+v", r)
	}
	res, err := badger.Restore(context.Background(), filepath.Join(t.TempDir(), "x"), mustOpen(t, "again.bak"), storage.RestoreOptions{})
	if err != nil || res.Accounts != 6 {
		t.Errorf("the store after the restore: %+v %v", res, err)
	}
	if r := run(t, nil, "", "--data", dir, "import", "crm.csv"); r.code != 0 || !strings.Contains(r.stdout, "1 new") {
		t.Errorf("import after the restore: %+v", r)
	}
	if fi, err := os.Lstat(control.SocketPath(dir)); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("control socket after the restore: %v %v", fi, err)
	}
}

// During the gap every HTTP request gets 503 with Retry-After; the API's
// in its JSON error shape.
func TestRestoringHandler(t *testing.T) {
	for _, tc := range []struct{ path, ctype string }{
		{"/api/v1/usage", "application/json"},
		{"/slack/events", "text/plain; charset=utf-8"},
		{"/api/messages", "text/plain; charset=utf-8"},
	} {
		w := httptest.NewRecorder()
		restoringHandler(w, httptest.NewRequest(http.MethodPost, tc.path, nil))
		if w.Code != http.StatusServiceUnavailable || w.Header().Get("Retry-After") != restoreRetryAfter ||
			w.Header().Get("Content-Type") != tc.ctype || !strings.Contains(w.Body.String(), "restoring a backup") {
			t.Errorf("%s: %d %v %q", tc.path, w.Code, w.Header(), w.Body.String())
		}
		if tc.ctype == "application/json" {
			var b struct {
				Error struct{ Code, Message string }
			}
			if err := json.Unmarshal(w.Body.Bytes(), &b); err != nil || b.Error.Code != "unavailable" {
				t.Errorf("%s: body %q %v", tc.path, w.Body.String(), err)
			}
		}
	}
}

// Closing one server's listener does not close the port: a connection
// made in between is served by the next one.
func TestConnQueueHandsOver(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	q := newConnQueue(ln)
	defer q.close()
	first := q.listener()
	first.Close()
	if _, err := first.Accept(); err == nil {
		t.Fatal("a closed listener accepted")
	}
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	second := q.listener()
	got, err := second.Accept()
	if err != nil {
		t.Fatal(err)
	}
	got.Close()
	if second.Addr().String() != ln.Addr().String() {
		t.Errorf("addr %s, want %s", second.Addr(), ln.Addr())
	}
	q.close()
	if _, err := second.Accept(); err == nil {
		t.Error("accepting after the port closed")
	}
}

// A kill -9 of serve at any point of a live restore leaves the old store
// or the restored one, and the next start opens it.
func TestRestoreWhileServingKilled(t *testing.T) {
	n := 10_000
	if testing.Short() {
		n = 3_000
	}
	bin := binary(t)
	files := t.TempDir()
	book, extra := filepath.Join(files, "book.csv"), filepath.Join(files, "extra.csv")
	writeBook(t, book, n, 1, "Company")
	os.WriteFile(extra, []byte("id,name,owner,arr\nzed,Zed Ltd,csm1@example.com,5000\n"), 0o600)
	template := filepath.Join(t.TempDir(), "data")
	bak := filepath.Join(files, "book.bak")
	for _, args := range [][]string{{"import", book}, {"backup", bak}, {"import", extra}} {
		if out, err := exec.Command(bin, append([]string{"--data", template}, args...)...).CombinedOutput(); err != nil {
			t.Fatalf("%v: %v\n%s", args, err, out)
		}
	}
	restored, old := n, n+1
	fresh := func() string {
		d, err := os.MkdirTemp("", "kr")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.RemoveAll(d) })
		dir := filepath.Join(d, "data")
		if out, err := exec.Command("cp", "-a", template, dir).CombinedOutput(); err != nil {
			t.Fatalf("copy: %v %s", err, out)
		}
		return dir
	}
	serve := func(dir string) *exec.Cmd {
		cmd := exec.Command(bin, "--data", dir, "serve")
		cmd.Env = append(childEnv(), "ACCOUNTBOT_ADDR=127.0.0.1:0", "SLACK_BOT_TOKEN=xoxb-test", "SLACK_SIGNING_SECRET=shh",
			"SLACK_API_URL=http://127.0.0.1:1/api/")
		logStderrOnFailure(t, cmd)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		for deadline := time.Now().Add(startWait); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
			if _, err := os.Stat(control.SocketPath(dir)); err == nil {
				return cmd
			}
		}
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("serve did not open its control socket within %s (its stderr is logged below)", startWait)
		return nil
	}
	restore := func(dir string) *exec.Cmd {
		cmd := exec.Command(bin, "--data", dir, "restore", "--replace", bak)
		cmd.Env = childEnv()
		logStderrOnFailure(t, cmd)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		return cmd
	}
	// One full live restore gives its length on this machine.
	dir := fresh()
	s := serve(dir)
	start := time.Now()
	if out, err := exec.Command(bin, "--data", dir, "restore", "--replace", bak).CombinedOutput(); err != nil {
		t.Fatalf("live restore: %v\n%s", err, out)
	}
	full := time.Since(start)
	s.Process.Signal(syscall.SIGTERM)
	s.Wait()
	if got := countAccounts(t, dir); got != restored {
		t.Fatalf("after a full live restore: %d accounts, want %d", got, restored)
	}
	seed := uint64(time.Now().UnixNano())
	rnd := rand.New(rand.NewPCG(seed, 3))
	t.Logf("live restore of %d accounts: %s; seed %d", n, full.Round(time.Millisecond), seed)
	outcomes := map[int]int{}
	for i := range 5 {
		dir := fresh()
		s := serve(dir)
		c := restore(dir)
		delay := time.Duration(rnd.Int64N(int64(full)))
		time.Sleep(delay)
		s.Process.Signal(syscall.SIGKILL)
		s.Wait()
		c.Wait()
		// The first open after the kill is the real binary's.
		out, err := exec.Command(bin, "--data", dir, "ask", "--as", "csm7@example.com", "account acc-000007 health").CombinedOutput()
		if err != nil || len(strings.TrimSpace(string(out))) == 0 {
			t.Fatalf("kill %d after %s: the store does not answer: %v\n%s", i, delay.Round(time.Millisecond), err, out)
		}
		got := countAccounts(t, dir)
		if got != restored && got != old {
			t.Fatalf("kill %d after %s: %d accounts, want %d (restored) or %d (old)", i, delay.Round(time.Millisecond), got, restored, old)
		}
		outcomes[got]++
	}
	t.Logf("outcomes (accounts → runs): %v", outcomes)
}

// The console (serve without chat credentials) does not pause for a swap:
// a restore sent to it is checked, then refused with what to do.
func TestRestoreWhileConsoleIsRefused(t *testing.T) {
	dir, err := os.MkdirTemp("", "console")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	stdin, feed := io.Pipe()
	defer feed.Close()
	srv := startServe(t, dir, map[string]string{"ACCOUNTBOT_ADDR": "127.0.0.1:0"}, func(m *Main) { m.Stdin = stdin })
	defer func() { feed.Close(); srv.stop(t) }()
	waitSocket(t, srv, dir)
	t.Chdir(t.TempDir())
	if r := run(t, nil, "", "--data", dir, "backup", "book.bak"); r.code != 0 {
		t.Fatalf("backup from the console: %+v", r)
	}
	r := run(t, nil, "", "--data", dir, "restore", "--replace", "book.bak")
	if r.code != 1 || !strings.Contains(r.stderr, "is a whole backup (") || !strings.Contains(r.stderr, "quit the console") {
		t.Errorf("restore while the console runs: %+v", r)
	}
}

// A control request that arrives during the swap says it waits, and runs
// once the store is back.
func TestControlRequestsWaitForTheSwap(t *testing.T) {
	var l liveServe
	var out bytes.Buffer
	l.readStore(&out)() // free: no message
	if out.Len() != 0 {
		t.Errorf("free store: %q", out.String())
	}
	l.storeMu.Lock()
	got := make(chan struct{})
	go func() {
		unlock := l.readStore(&out)
		close(got)
		unlock()
	}()
	select {
	case <-got:
		t.Fatal("a control request ran during the swap")
	case <-time.After(50 * time.Millisecond):
	}
	l.storeMu.Unlock()
	<-got
	if !strings.Contains(out.String(), "waits for it to finish") {
		t.Errorf("message: %q", out.String())
	}
}

// A live restore answers its client only once the bot serves the restored
// store again: until then control requests wait and HTTP requests wait in
// the port's queue (neither fails nor gets 503), so whatever the operator
// runs after the restore returns meets the restored store and its rules.
// The next start is held up here, as a slow machine would.
func TestRestoreAnswersOnceTheBotServesAgain(t *testing.T) {
	dir := t.TempDir()
	if r := run(t, nil, "", append([]string{"--data", dir, "import"}, examples(t)...)...); r.code != 0 {
		t.Fatal(r)
	}
	var slow atomic.Bool
	starting, release := make(chan struct{}, 1), make(chan struct{})
	holdStart := func(m *Main) {
		get := m.Getenv
		m.Getenv = func(k string) string {
			if k == "SLACK_BOT_TOKEN" && slow.Load() { // the first thing a start reads
				select {
				case starting <- struct{}{}:
				default:
				}
				<-release
			}
			return get(k)
		}
	}
	fake := newFakeSlack(t)
	srv := startServe(t, dir, fake.env(), holdStart)
	defer srv.stop(t)
	bak := filepath.Join(t.TempDir(), "book.bak")
	if r := run(t, nil, "", "--data", dir, "backup", bak); r.code != 0 {
		t.Fatalf("backup: %+v", r)
	}
	slow.Store(true)
	restored := make(chan result, 1)
	go func() { restored <- run(t, nil, "", "--data", dir, "restore", "--replace", bak) }()
	select {
	case <-starting:
	case r := <-restored:
		t.Fatalf("the restore answered before the bot started again: %+v\n%s", r, srv.tail())
	case <-time.After(startWait):
		t.Fatalf("the bot did not start again after the swap\n%s", srv.tail())
	}
	slow.Store(false)
	history := make(chan result, 1)
	go func() { history <- run(t, nil, "", "--data", dir, "rules", "history") }()
	answered := make(chan polled, 1)
	go func() {
		resp, err := http.Get("http://" + srv.addr + "/api/v1/openapi.json")
		g := polled{err: err}
		if err == nil {
			g.status = resp.StatusCode
			resp.Body.Close()
		}
		answered <- g
	}()
	select {
	case r := <-restored:
		t.Errorf("the restore answered while the bot was still starting: %+v", r)
	case r := <-history:
		t.Errorf("a control request ran while the bot was still starting: %+v", r)
	case a := <-answered:
		t.Errorf("an HTTP request was answered while the bot was still starting: %+v", a)
	case <-time.After(300 * time.Millisecond):
	}
	close(release)
	wait := func(what string, c <-chan result) result {
		t.Helper()
		select {
		case r := <-c:
			if r.code != 0 {
				t.Errorf("%s: %+v\n%s", what, r, srv.tail())
			}
			return r
		case <-time.After(startWait):
			t.Fatalf("%s did not return\n%s", what, srv.tail())
			return result{}
		}
	}
	if r := wait("restore", restored); !strings.Contains(r.stdout, "serving again") || !strings.Contains(r.stdout, ": 6 accounts") {
		t.Errorf("restore: %+v", r)
	}
	if r := wait("rules history", history); !strings.HasPrefix(r.stdout, "v1 ") {
		t.Errorf("rules history after the restore: %+v", r)
	}
	select {
	case a := <-answered:
		if a.err != nil || a.status != http.StatusOK {
			t.Errorf("the HTTP request sent while the bot was starting: %+v", a)
		}
	case <-time.After(startWait):
		t.Errorf("the HTTP request sent while the bot was starting was never answered\n%s", srv.tail())
	}
}

// waitSocket waits for serve's control socket on dir.
func waitSocket(t *testing.T, s *served, dir string) {
	t.Helper()
	for deadline := time.Now().Add(startWait); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(control.SocketPath(dir)); err == nil {
			return
		}
	}
	t.Fatalf("serve did not open its control socket within %s\n%s", startWait, s.tail())
}
