package leader_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/accountbot/accountbot/leader"
	"github.com/accountbot/accountbot/storage/postgres/pgtest"
)

// waitFor polls cond for up to d.
func waitFor(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("after %s: %s", d, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type replica struct {
	e       *leader.Postgres
	cancel  context.CancelFunc
	running atomic.Int32 // how many of its Do functions run now
	done    chan struct{}
}

func start(t *testing.T, url string) *replica {
	ctx, cancel := context.WithCancel(context.Background())
	r := &replica{e: leader.NewPostgres(url, nil), cancel: cancel, done: make(chan struct{})}
	r.e.Retry = 100 * time.Millisecond
	go r.e.Run(ctx)
	go func() {
		defer close(r.done)
		r.e.Do(ctx, func(ctx context.Context) {
			r.running.Add(1)
			<-ctx.Done()
			r.running.Add(-1)
		})
	}()
	t.Cleanup(func() { cancel(); <-r.done })
	return r
}

// One of two replicas leads and runs the work; when it stops (its
// session ends with it), the other takes over within seconds; a leader
// whose session is killed under it stops its work.
func TestOneLeaderAndFailover(t *testing.T) {
	url := pgtest.Database(t)
	a, b := start(t, url), start(t, url)
	both := func() int32 { return a.running.Load() + b.running.Load() }
	waitFor(t, 5*time.Second, "one replica leads", func() bool { return both() == 1 })
	time.Sleep(300 * time.Millisecond)
	if both() != 1 || a.e.Leading() == b.e.Leading() {
		t.Fatalf("want exactly one leader: a=%v b=%v", a.e.Leading(), b.e.Leading())
	}
	lead, follow := a, b
	if b.e.Leading() {
		lead, follow = b, a
	}
	// The leader's session is killed from outside (a network cut, the
	// server restarting it): it stops, the follower leads. Only this
	// database's leader: other packages' tests share the server.
	conn, err := pgx.Connect(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	if _, err := conn.Exec(context.Background(), `SELECT pg_terminate_backend(l.pid) FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
		WHERE l.locktype = 'advisory' AND l.granted AND a.application_name = 'accountbot leader' AND a.datname = current_database()`); err != nil {
		t.Fatal(err)
	}
	waitFor(t, 5*time.Second, "a leader again after the session was killed", func() bool {
		return both() == 1 && (lead.e.Leading() != follow.e.Leading())
	})
	// The leader stops altogether: the other one leads.
	cur, other := a, b
	if b.e.Leading() {
		cur, other = b, a
	}
	cur.cancel()
	<-cur.done
	waitFor(t, 5*time.Second, "the survivor leads", func() bool { return other.e.Leading() && other.running.Load() == 1 })
}

// Always leads at once.
func TestAlways(t *testing.T) {
	ran := false
	leader.Always{}.Do(context.Background(), func(context.Context) { ran = true })
	if !ran || !(leader.Always{}).Leading() {
		t.Fatal("Always must run fn and lead")
	}
}
