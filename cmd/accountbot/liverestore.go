package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"github.com/accountbot/accountbot/storage/badger"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/accountbot/accountbot/control"
	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/ingest"
	"github.com/accountbot/accountbot/storage"
)

// A running serve restores a backup without a restart: runServe is run as
// a "generation" under a context of its own, and a restore ends the
// generation (chat, the ingest API, sync, nudges and every background loop
// stop, so nothing holds the store), swaps the store, and starts the next
// one. The HTTP listener and the control socket outlive generations:
// during the gap HTTP answers 503 with Retry-After, and control requests
// wait for the restore to finish.

// liveServe is what outlives a generation.
type liveServe struct {
	storeMu   sync.RWMutex // control requests hold it for reading; the swap holds it for writing
	jobs      chan *restoreJob
	restoring atomic.Bool
	ctl       *control.Server
	conns     *connQueue
	mu        sync.Mutex
	serving   chan struct{} // closed when the current generation accepts HTTP
}

// restoreJob is a checked restore request handed to the serve loop.
type restoreJob struct {
	file string
	f    *os.File
	opt  storage.RestoreOptions
	out  io.Writer // progress lines for the client
	done chan restoreDone
	// Set by the serve loop.
	start  time.Time
	result restoreDone
}

type restoreDone struct {
	res storage.RestoreResult
	err error
}

// restoreRetryAfter is what clients are told to wait during the gap.
const restoreRetryAfter = "5"

// serveLive runs serve in generations, restoring between them when asked.
// The console (no chat credentials) runs as before and refuses restore.
func (m *Main) serveLive(ctx context.Context) error {
	sc, tc := m.slackConfig(), m.teamsConfig()
	if sc.BotToken == "" && tc.AppID == "" {
		return m.runServe(ctx)
	}
	if err := checkCredentials(sc, tc); err != nil {
		return err
	}
	if _, err := m.open(ctx); err != nil { // the control socket lives in the data directory
		return err
	}
	addr := envOr(m.Getenv, "ACCOUNTBOT_ADDR", ":3000")
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return domain.Errorf(domain.EINVALID, "cannot listen on %s (ACCOUNTBOT_ADDR): %v", addr, err)
	}
	live := &liveServe{jobs: make(chan *restoreJob), conns: newConnQueue(ln)}
	m.live = live
	var wg sync.WaitGroup
	ctlCtx, stopCtl := context.WithCancel(ctx)
	defer func() { stopCtl(); wg.Wait(); live.conns.close() }()
	if srv, err := control.Listen(m.DataDir); err != nil {
		fmt.Fprintf(m.Stderr, "accountbot: %v; backup, import and restore need serve stopped.\n", err)
	} else {
		live.ctl = srv
		wg.Go(func() {
			if err := srv.Serve(ctlCtx, m.handleControl); err != nil {
				m.log.Error("control socket", "err", err)
			}
		})
	}
	var restored *restoreJob // swapped in, answered once the next generation serves
	for {
		gen, cancel := context.WithCancel(ctx)
		errc := make(chan error, 1)
		serving := live.nextGeneration()
		go func() { errc <- m.runServe(gen) }()
		if restored != nil {
			ended, err := m.answerRestore(restored, serving, errc)
			restored = nil
			if ended {
				cancel()
				return err
			}
		}
		select {
		case err := <-errc:
			cancel()
			return err
		case job := <-live.jobs:
			swapped, err := m.pauseForRestore(ctx, job, cancel, errc)
			if !swapped {
				return err
			}
			restored = job
		}
		if ctx.Err() != nil {
			if restored != nil {
				fmt.Fprintln(restored.out, "serve is stopping: start it again to serve the restored store.")
				live.finish(restored)
			}
			return nil
		}
	}
}

// pauseForRestore ends the generation (HTTP answers 503 meanwhile) and
// swaps the store, holding storeMu until answerRestore: control requests
// wait until the next generation serves, so none runs on a half-started
// bot. swapped false means serve stops, with err.
func (m *Main) pauseForRestore(ctx context.Context, job *restoreJob, cancel context.CancelFunc, errc <-chan error) (swapped bool, err error) {
	live := m.live
	if ctx.Err() != nil {
		live.restoring.Store(false)
		job.done <- restoreDone{err: domain.Errorf(domain.ECONFLICT, "serve is stopping; run the restore again once it has")}
		cancel()
		return false, <-errc
	}
	gap := live.serveGap()
	cancel()
	if err := <-errc; err != nil {
		gap.srv.Close()
		live.restoring.Store(false)
		job.done <- restoreDone{err: fmt.Errorf("stopping the bot for the restore: %w", err)}
		return false, err
	}
	live.storeMu.Lock()
	err = m.swapStore(ctx, job)
	// Connections wait in the queue, unanswered, for the next generation.
	gap.stop(context.Background())
	if err != nil {
		live.finish(job)
		return false, err // the store could not be reopened: serve stops rather than run without one
	}
	return true, nil
}

// answerRestore tells the restore's client it is done once the generation
// started after the swap accepts HTTP requests, so that a request sent
// after the CLI returns is answered by the restored store (and its rules),
// never by the pause.
// ended reports that the generation stopped instead (with its error).
func (m *Main) answerRestore(job *restoreJob, serving <-chan struct{}, errc <-chan error) (ended bool, err error) {
	select {
	case <-serving:
		fmt.Fprintf(job.out, "The bot is serving again (paused for %s).\n", time.Since(job.start).Round(time.Millisecond))
		m.live.finish(job)
		return false, nil
	case err := <-errc:
		if err != nil {
			job.result.err = errors.Join(job.result.err, fmt.Errorf("starting the bot again after the restore: %w; serve stops, start it again", err))
		} else {
			fmt.Fprintln(job.out, "serve is stopping: start it again to serve the restored store.")
		}
		m.live.finish(job)
		return true, err
	}
}

// finish answers the restore's client and lets control requests and
// other restores in again.
func (l *liveServe) finish(job *restoreJob) {
	job.done <- job.result
	l.restoring.Store(false)
	l.storeMu.Unlock()
}

// nextGeneration returns a channel closed once the next generation's HTTP
// server accepts connections (liveListen hands it to that listener).
func (l *liveServe) nextGeneration() <-chan struct{} {
	ch := make(chan struct{})
	l.mu.Lock()
	l.serving = ch
	l.mu.Unlock()
	return ch
}

// swapStore closes the store, restores the backup and reopens the store,
// reporting to the client; the caller holds storeMu for writing. A failed
// restore keeps the old store; only a store that cannot be reopened is an
// error for serve itself. The outcome is left in job.result.
func (m *Main) swapStore(ctx context.Context, job *restoreJob) error {
	live := m.live
	job.start = time.Now()
	fmt.Fprintf(job.out, "The bot is paused (chat and the HTTP API answer \"restoring, try again\"); loading %s…\n", job.file)
	if err := m.db.Close(); err != nil {
		m.log.Error("closing the store for a restore", "err", err)
	}
	m.db = nil
	job.opt.Swapped = func() {
		if live.ctl == nil {
			return
		}
		// The socket went away with the old directory; clients must find
		// this server again, not open the store themselves.
		if err := live.ctl.Rebind(); err != nil {
			m.log.Error("control socket after restore", "err", err)
		}
	}
	stopTicks := progress(job.out, job.start)
	if _, err := job.f.Seek(0, io.SeekStart); err != nil {
		job.result.err = fmt.Errorf("rewinding %s: %w", job.file, err)
	} else {
		job.result.res, job.result.err = badger.Restore(ctx, m.DataDir, job.f, job.opt)
	}
	stopTicks()
	m.rules.restart() // the restored store may hold other rules versions
	_, oerr := m.open(ctx)
	for i := 0; oerr != nil && domain.ErrorCode(oerr) == domain.ECONFLICT && i < 50; i++ {
		time.Sleep(100 * time.Millisecond) // a CLI that found no socket during the swap has it briefly
		_, oerr = m.open(ctx)
	}
	if oerr != nil {
		job.result.err = errors.Join(job.result.err, fmt.Errorf("reopening the store after the restore: %w; serve stops, start it again", oerr))
		return oerr
	}
	return nil
}

// progress writes a line every few seconds until stopped, so a long
// restore does not look hung.
func progress(w io.Writer, start time.Time) (stop func()) {
	quit := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		t := time.NewTicker(5 * time.Second)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
				fmt.Fprintf(w, "…still loading (%s)\n", time.Since(start).Round(time.Second))
			}
		}
	})
	return func() { close(quit); wg.Wait() }
}

// liveRestore handles a restore sent to the running serve: the whole file
// is checked, and --replace enforced, before anything pauses.
func (m *Main) liveRestore(ctx context.Context, sub *Main) error {
	in, err := sub.restoreInput()
	if err != nil {
		return err
	}
	defer in.f.Close()
	file, f, replace, unverified := in.file, in.f, in.replace, in.unverified
	unchanged := func(err error) error {
		return domain.Errorf(domain.ErrorCode(err), "cannot restore %s: %s. The store in %s was not changed.", file, domain.ErrorMessage(err), m.DataDir)
	}
	fmt.Fprintf(sub.Stdout, "Checking %s…\n", file)
	records, verified, err := badger.VerifyBackup(f)
	if err != nil {
		return unchanged(err)
	}
	if !verified && !unverified {
		return unchanged(domain.Errorf(domain.EINVALID, "it was made by an older AccountBot and has no checksum trailer, so it cannot be verified (a copy cut short would look whole); pass --unverified to restore it anyway"))
	}
	if err := m.checkReplace(ctx, replace); err != nil {
		return unchanged(err)
	}
	if !m.live.restoring.CompareAndSwap(false, true) {
		return domain.Errorf(domain.ECONFLICT, "another restore is in progress on this serve; wait for it to finish")
	}
	fmt.Fprintf(sub.Stdout, "%s is whole (%d records). Pausing the bot to swap the store…\n", file, records)
	job := &restoreJob{file: file, f: f, out: sub.Stdout, done: make(chan restoreDone, 1),
		opt: storage.RestoreOptions{Replace: replace, Unverified: unverified, Logger: m.log}}
	select {
	case m.live.jobs <- job:
	case <-ctx.Done():
		m.live.restoring.Store(false)
		return ctx.Err()
	}
	// Once handed over the restore runs to its end, even if the client
	// hangs up: stopping half-way would only waste the pause.
	d := <-job.done
	if d.err != nil {
		if code := domain.ErrorCode(d.err); code != domain.EINTERNAL {
			return unchanged(d.err)
		}
		return fmt.Errorf("restoring %s: %w", file, d.err)
	}
	check := "checksum and record count verified"
	if !d.res.Verified {
		check = "UNVERIFIED: the file had no checksum"
	}
	fmt.Fprintf(sub.Stdout, "Restored %s into %s: %d accounts, %d records (%s).\n", file, m.DataDir, d.res.Accounts, d.res.Records, check)
	return nil
}

// checkReplace refuses, before pausing anything, to overwrite a store that
// holds accounts without --replace (badger.Restore checks it again).
func (m *Main) checkReplace(ctx context.Context, replace bool) error {
	if replace {
		return nil
	}
	m.live.storeMu.RLock()
	defer m.live.storeMu.RUnlock()
	empty, err := m.db.Empty(ctx)
	if err != nil {
		return err
	}
	if !empty {
		return domain.Errorf(domain.ECONFLICT, "the store in %s already holds accounts; restore into an empty --data directory, or pass --replace to overwrite it", m.DataDir)
	}
	return nil
}

// readStore holds the store for a control request; during a restore the
// request waits for it, saying so.
func (l *liveServe) readStore(stderr io.Writer) (unlock func()) {
	if !l.storeMu.TryRLock() {
		fmt.Fprintln(stderr, "accountbot: a backup is being restored; this waits for it to finish.")
		l.storeMu.RLock()
	}
	return l.storeMu.RUnlock
}

// serveGap answers every HTTP request with 503 until closed.
func (l *liveServe) serveGap() *drained {
	gap := newDrained(&http.Server{Handler: http.HandlerFunc(restoringHandler), ReadHeaderTimeout: 5 * time.Second}, l.conns.listener())
	go gap.serve()
	return gap
}

const restoringMessage = "AccountBot is restoring a backup; try again in a few seconds."

func restoringHandler(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Retry-After", restoreRetryAfter)
	w.Header().Set("Connection", "close")
	if strings.HasPrefix(r.URL.Path, "/api/v1/") {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(http.StatusServiceUnavailable)
		json.NewEncoder(w).Encode(ingest.ErrorBody{Error: ingest.ErrorDetail{Code: "unavailable", Message: restoringMessage}})
		return
	}
	http.Error(w, restoringMessage, http.StatusServiceUnavailable)
}

// liveListen is serve's HTTP listener: the TCP socket is opened once and
// each generation (and each gap) accepts from it in turn, so restarting
// the bot for a restore never closes the port.
func (m *Main) liveListen(addr string) (net.Listener, error) {
	if m.live == nil {
		return net.Listen("tcp", addr)
	}
	l := m.live.conns.listener()
	m.live.mu.Lock()
	l.accepting, m.live.serving = m.live.serving, nil
	m.live.mu.Unlock()
	return l, nil
}
