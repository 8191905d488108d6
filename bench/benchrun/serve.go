package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

type serveResult struct {
	accounts      int
	fixed         loadResult
	best          loadResult
	steps         []loadResult
	rssMB, heapMB float64 // after the fixed-rate load
	rssIdleMB     float64
	rssPeakMB     float64 // after the ramp past saturation
	loadTime      time.Duration
	startupCheck  time.Duration // serve's start to the end of its start-up check; measured after it
	settled       time.Duration // how long serve took to go idle after the sections before the ramp
	startIdle     time.Duration // how long after its start-up check serve went idle (the fixed rate waits for it)
}

func freePort() int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

func waitFor(url string, d time.Duration) error {
	deadline := time.Now().Add(d)
	for time.Now().Before(deadline) {
		if resp, err := http.Get(url); err == nil {
			resp.Body.Close()
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return fmt.Errorf("%s did not come up in %s", url, d)
}

// fakeSlack answers the Web API calls serve makes (users.info, posts).
func fakeSlack() *httptest.Server {
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if strings.HasSuffix(r.URL.Path, "users.info") {
			fmt.Fprint(w, `{"ok":true,"user":{"id":"UBENCH","team_id":"T1","profile":{"email":"ana@example.com"}}}`)
			return
		}
		fmt.Fprint(w, `{"ok":true,"channel":"C1","ts":"1.1","user":{"id":"U1"}}`)
	}))
}

func heapMB(base string) float64 {
	resp, err := http.Get(base + "/debug/vars")
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	var v struct {
		Memstats struct{ HeapInuse uint64 } `json:"memstats"`
	}
	json.NewDecoder(resp.Body).Decode(&v)
	return float64(v.Memstats.HeapInuse) / (1 << 20)
}

// serveProc is a running `accountbot serve` with a demo book on disk.
type serveProc struct {
	cmd      *exec.Cmd
	dir, cfg string
	base     string // http://127.0.0.1:port
	accounts int
	bin      string
	exited   chan struct{} // closed by the one cmd.Wait, once serve has exited
	// startupCheck is how long serve took from start to the end of its
	// start-up check (the measurements begin after it).
	startupCheck time.Duration
}

func (s *serveProc) pid() int { return s.cmd.Process.Pid }

// startServe builds an n-account demo book in a temporary directory and
// starts serve on it in Slack HTTP mode against a fake Slack; stop ends
// both and removes the directory.
func startServe(ctx context.Context, n int, o options, slackURL string) (s *serveProc, load time.Duration, err error) {
	dir := tempDir("bench-serve-")
	t0 := time.Now()
	out, err := exec.Command(o.bin, "--data", dir, "demo", "--accounts", strconv.Itoa(n), "--owners", strconv.Itoa(owners(n)), "--weeks", strconv.Itoa(o.weeks)).CombinedOutput()
	if err != nil {
		os.RemoveAll(dir)
		return nil, 0, fmt.Errorf("demo: %v: %s", err, out)
	}
	load = time.Since(t0)
	// The asker reads every owner's accounts as a viewer: each answer goes
	// through the access check and the workspace binding (team T1, learned).
	cfgPath := filepath.Join(dir, "bench-config.yaml")
	if err := os.WriteFile(cfgPath, []byte("rules:\n  access:\n    viewers:\n      - who: [ana@example.com]\n        scope: [\"*\"]\n"), 0o644); err != nil {
		os.RemoveAll(dir)
		return nil, 0, err
	}
	s = &serveProc{dir: dir, cfg: cfgPath, accounts: n, bin: o.bin}
	for _, prep := range servePrep {
		if err := prep(ctx, s); err != nil {
			os.RemoveAll(dir)
			return nil, 0, err
		}
	}
	port := freePort()
	s.cmd = exec.Command(o.bin, "--data", dir, "--config", cfgPath, "serve")
	s.cmd.Env = append(os.Environ(), "SLACK_BOT_TOKEN=xoxb-bench", "SLACK_SIGNING_SECRET="+secret, "SLACK_API_URL="+slackURL+"/api/",
		"ACCOUNTBOT_ADDR=127.0.0.1:"+strconv.Itoa(port), "ACCOUNTBOT_DEBUG_ENDPOINTS=1", "ACCOUNTBOT_LOG=info")
	pr, pw := io.Pipe()
	s.cmd.Stderr = pw
	checked := logLine(pr, startupCheckLine)
	started := time.Now()
	if err := s.cmd.Start(); err != nil {
		os.RemoveAll(dir)
		return nil, 0, err
	}
	// The only Wait: two concurrent Waits of one Cmd can both wait for its
	// output copier, which reports to one, and the other hangs (a bench
	// once stopped for good in stop).
	s.exited = make(chan struct{})
	go func() { s.cmd.Wait(); pw.Close(); close(s.exited) }()
	s.base = fmt.Sprintf("http://127.0.0.1:%d", port)
	if err := waitFor(s.base+"/healthz", 60*time.Second); err != nil {
		s.stop()
		return nil, 0, err
	}
	// Measure the steady state: serve's start-up check evaluates and
	// stores the whole book once (then once a day), and answers measured
	// while it runs would say how fast a machine busy with it answers.
	select {
	case <-checked:
		s.startupCheck = time.Since(started)
		log.Printf("serve: start-up check of %d accounts done after %s", n, s.startupCheck.Round(time.Second))
	case <-time.After(20 * time.Minute):
		s.stop()
		return nil, 0, fmt.Errorf("serve's start-up check did not finish in 20 minutes")
	}
	return s, load, nil
}

// startupCheckLine is what serve logs (at info) when its start-up check of
// the stored evaluations is done.
const startupCheckLine = "stored evaluations checked"

// logLine copies a child's log to ours and closes the channel it returns
// when a line containing needle goes by.
func logLine(r io.Reader, needle string) <-chan struct{} {
	seen := make(chan struct{})
	go func() {
		sc := bufio.NewScanner(r)
		once := sync.OnceFunc(func() { close(seen) })
		for sc.Scan() {
			fmt.Fprintln(os.Stderr, sc.Text())
			if strings.Contains(sc.Text(), needle) {
				once()
			}
		}
		io.Copy(io.Discard, r)
	}()
	return seen
}

// servePrep run on the data directory before serve starts (e.g. creating
// an ingest token with the CLI while no server holds the store).
var servePrep []func(ctx context.Context, s *serveProc) error

func (s *serveProc) stop() {
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(20 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
	}
	os.RemoveAll(s.dir)
}

// serveRun runs the real `accountbot serve` in Slack HTTP mode with the
// book on disk and drives it with signed slash commands; the serve
// sections run between the fixed-rate load and the ramp.
func serveRun(ctx context.Context, n int, o options) (serveResult, []sectionResult, error) {
	res := serveResult{accounts: n}
	slack := fakeSlack()
	defer slack.Close()
	s, load, err := startServe(ctx, n, o, slack.URL)
	if err != nil {
		return res, nil, err
	}
	defer s.stop()
	res.loadTime = load
	res.startupCheck = s.startupCheck
	// Let the start-up jobs (today's scores, the first nudge tick) finish,
	// and the compactions of what the start-up check wrote: the fixed
	// rate, like the ramp, measures answers on a serve at rest.
	t0 := time.Now()
	time.Sleep(5 * time.Second)
	settle([]int{s.pid()}, 3*time.Minute)
	res.startIdle = time.Since(t0)
	res.rssIdleMB = rssMB(s.pid())
	target := s.base + "/slack/commands"
	run(ctx, target, 100, 2*time.Second, n) // warm-up
	res.fixed = run(ctx, target, o.fixedRate, 10*time.Second, n)
	res.rssMB = rssMB(s.pid())
	res.heapMB = heapMB(s.base)
	var extra []sectionResult
	for _, sec := range serveSections {
		if !o.wants(sec.name) {
			continue
		}
		log.Printf("serve: %s", sec.name)
		r, err := sec.run(ctx, s, o)
		if err != nil {
			log.Printf("%s failed: %v", sec.name, err)
			r = sectionResult{markdown: fmt.Sprintf("## %s\n\nFailed: %v\n", sec.name, err)}
		}
		extra = append(extra, r)
	}
	if !o.wants("serve") {
		return res, extra, nil
	}
	// The sections before the ramp (ingest) leave work behind: the
	// evaluator's queue and the compactions of what they wrote. The ramp
	// measures answers, so it starts once serve is idle again.
	t0 = time.Now()
	settle([]int{s.pid()}, 3*time.Minute)
	res.settled = time.Since(t0)
	log.Printf("serve: idle again %s after the sections", res.settled.Round(time.Second))
	// Profile the highest-load phase.
	prof := make(chan []byte, 1)
	go func() {
		resp, err := http.Get(s.base + "/debug/pprof/profile?seconds=8")
		if err != nil {
			prof <- nil
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		prof <- b
	}()
	res.best, res.steps = ramp(ctx, target, o.fixedRate*2, time.Duration(o.stepSeconds)*time.Second, n)
	res.rssPeakMB = rssMB(s.pid())
	if b := <-prof; len(b) > 0 {
		os.WriteFile(filepath.Join(o.profiles, "serve-under-load.cpu.pprof"), b, 0o644)
	}
	return res, extra, nil
}

// peerRun drives the Bolt for JavaScript app the same way.
func peerRun(ctx context.Context, o options) (serveResult, error) {
	var res serveResult
	if _, err := os.Stat(filepath.Join(o.bolt, "node_modules", "@slack", "bolt")); err != nil {
		return res, fmt.Errorf("@slack/bolt is not installed in %s (make bench installs it with npm)", o.bolt)
	}
	port := freePort()
	cmd := exec.Command("node", "app.js")
	cmd.Dir = o.bolt
	cmd.Env = append(os.Environ(), "SLACK_SIGNING_SECRET="+secret, "PORT="+strconv.Itoa(port))
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return res, err
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	base := fmt.Sprintf("http://127.0.0.1:%d", port)
	target := base + "/slack/events"
	deadline := time.Now().Add(30 * time.Second)
	for {
		if r := run(ctx, target, 5, 400*time.Millisecond, 10); r.errors == 0 && r.requests > 0 {
			break
		}
		if time.Now().After(deadline) {
			return res, fmt.Errorf("the Bolt peer did not answer on %s", target)
		}
		time.Sleep(300 * time.Millisecond)
	}
	run(ctx, target, 100, 2*time.Second, 10)
	res.fixed = run(ctx, target, o.fixedRate, 10*time.Second, 10)
	res.best, res.steps = ramp(ctx, target, o.fixedRate*2, time.Duration(o.stepSeconds)*time.Second, 10)
	res.rssMB = rssMB(cmd.Process.Pid)
	return res, nil
}
