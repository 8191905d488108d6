package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/accountbot/accountbot/storage/postgres/pgtest"
)

// failoverConfig paces the burst slowly enough that it spans several kills.
const failoverConfig = `nudges:
  sends_per_second: 2
  burst: 1
  check_every: 1s
`

// replicaProc is one `serve` replica of the failover test.
type replicaProc struct {
	cmd   *exec.Cmd
	addr  string
	start time.Time // its fake clock starts at burstAt then
}

// freeAddr returns a loopback address with a port free right now.
func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// pgEnv passes the PG* variables on, for a key=value database URL.
func pgEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "PG") {
			out = append(out, kv)
		}
	}
	return out
}

func startReplica(t *testing.T, dbURL, apiURL string) *replicaProc {
	t.Helper()
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte(failoverConfig), 0o600); err != nil {
		t.Fatal(err)
	}
	r := &replicaProc{addr: freeAddr(t), start: time.Now()}
	r.cmd = exec.Command(binary(t), "--data", filepath.Join(dir, "data"), "--config", cfg, "serve")
	r.cmd.Env = append(append(childEnv(), pgEnv()...), "ACCOUNTBOT_ADDR="+r.addr, "ACCOUNTBOT_FAKE_NOW="+burstAt,
		"ACCOUNTBOT_DATABASE_URL="+dbURL, "SLACK_BOT_TOKEN=xoxb-test", "SLACK_SIGNING_SECRET=shh", "SLACK_API_URL="+apiURL+"/api/")
	logStderrOnFailure(t, r.cmd)
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.cmd.Process.Kill(); r.cmd.Wait() })
	return r
}

// leaderPID is the process id of the replica holding the leader lock, one
// of live.
func leaderPID(t *testing.T, conn *pgx.Conn, within time.Duration, live map[int]*replicaProc) int {
	t.Helper()
	for deadline := time.Now().Add(within); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		var app string
		err := conn.QueryRow(context.Background(), `SELECT a.application_name FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
			WHERE l.locktype = 'advisory' AND l.granted AND a.application_name LIKE 'accountbot leader pid %' AND a.datname = current_database()`).Scan(&app)
		if err == nil {
			var pid int
			fmt.Sscanf(app, "accountbot leader pid %d", &pid)
			// A killed leader's session can hold its lock a moment after
			// the process is gone, until PostgreSQL ends the session.
			if _, ok := live[pid]; ok {
				return pid
			}
		}
	}
	t.Fatalf("no live replica leads after %s", within)
	return 0
}

// answers checks that a replica answers a slash command.
func (r *replicaProc) answers(t *testing.T) {
	t.Helper()
	body := url.Values{"command": {"/portfolio"}, "text": {"top"}, "user_id": {"U_ana"}, "channel_id": {"C1"}, "team_id": {"T1"},
		"api_app_id": {"A1"}, "response_url": {"http://127.0.0.1:1/response"}}.Encode()
	at := mustTime(burstAt).Add(time.Since(r.start))
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(100 * time.Millisecond) {
		code, b, _ := trySlash(r.addr, body, at)
		if code == http.StatusOK && len(b) > 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("the surviving replica does not answer: %d %.200s", code, b)
		}
	}
}

func mustTime(s string) time.Time {
	tm, err := time.Parse(time.RFC3339, s)
	if err != nil {
		panic(err)
	}
	return tm
}

// TestFailoverKillsTheLeader runs two replicas on one database against a
// fake Slack and kills the leader with SIGKILL ten times at random points
// of the burst, starting a new replica each time: every nudge is delivered
// once (the survivor takes over within seconds and settles an interrupted
// send by asking Slack), and the survivor answers commands throughout.
func TestFailoverKillsTheLeader(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the binary a dozen times")
	}
	t.Parallel() // mostly waiting on the child processes
	dbURL := pgtest.Database(t)
	f := newFakePlatform()
	srv := httptest.NewServer(http.HandlerFunc(f.slack))
	defer srv.Close()
	want, ref := referenceRun(t, "slack", "")
	demo := exec.Command(binary(t), "--data", t.TempDir(), "demo", "--accounts", "400")
	demo.Env = append(append(childEnv(), pgEnv()...), "ACCOUNTBOT_DATABASE_URL="+dbURL)
	if out, err := demo.CombinedOutput(); err != nil {
		t.Fatalf("demo: %v %s", err, out)
	}
	conn, err := pgx.Connect(context.Background(), dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	replicas := map[int]*replicaProc{}
	for range 2 {
		r := startReplica(t, dbURL, srv.URL)
		replicas[r.cmd.Process.Pid] = r
	}
	for range 10 {
		pid := leaderPID(t, conn, 15*time.Second, replicas)
		// Kill it mid burst: once it has posted, at a random point after.
		_, from, _ := f.counts()
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			keys, posts, _ := f.counts()
			if posts > from || keys >= want {
				break
			}
		}
		time.Sleep(time.Duration(rand.Int64N(int64(1200 * time.Millisecond))))
		victim := replicas[pid]
		victim.cmd.Process.Signal(syscall.SIGKILL)
		victim.cmd.Wait()
		delete(replicas, pid)
		for _, survivor := range replicas {
			survivor.answers(t)
		}
		r := startReplica(t, dbURL, srv.URL)
		replicas[r.cmd.Process.Pid] = r
	}
	_, before, _ := f.counts()
	last, quiet := -1, 0
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(250 * time.Millisecond) {
		keys, posts, _ := f.counts()
		if posts == last {
			quiet++
		} else {
			last, quiet = posts, 0
		}
		if keys >= want && quiet >= 8 {
			break
		}
	}
	keys, posts, doubles := f.counts()
	t.Logf("%d posts during the kills; in all %d messages, %d posts, %d doubles (want %d messages)", before, keys, posts, doubles, want)
	if keys != want {
		t.Errorf("%d distinct messages delivered, want %d", keys, want)
		f.diff(t, ref)
	}
	if doubles > 0 {
		t.Errorf("%d messages posted twice", doubles)
	}
}
