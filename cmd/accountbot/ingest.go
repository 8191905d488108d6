package main

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/accountbot/accountbot/ingest"
)

// ingestAPI builds the ingest API over the store; its Segment worker runs
// on wg until ctx ends. The accounts it changes go to the evaluator
// (evaluate.go) once one runs.
func (m *Main) ingestAPI(ctx context.Context, wg *sync.WaitGroup) (*ingest.Server, error) {
	db, err := m.open(ctx)
	if err != nil {
		return nil, err
	}
	seg := m.Config.Segment
	if s := strings.TrimSpace(m.Getenv("ACCOUNTBOT_SEGMENT_SECRET")); s != "" {
		seg.SharedSecret = s
	}
	cfg := m.Config.Ingest
	cfg.Currency = m.Config.Currency
	api := ingest.New(db, ingest.Options{Config: cfg, Segment: seg, Log: m.log, Now: m.Now, Changed: m.evaluating.changed})
	wg.Go(func() { api.RunSegmentWorker(ctx) })
	return api, nil
}

// runConsoleWithAPI runs serve's local console, with the ingest API when
// ACCOUNTBOT_ADDR is set. Then, if the console's input is not a terminal (a
// service or a container), the API keeps serving after that input ends,
// until ctx ends (SIGINT, SIGTERM).
func (m *Main) runConsoleWithAPI(ctx context.Context) error {
	stop, err := m.consoleAPI(ctx)
	if err != nil {
		return err
	}
	defer stop()
	if err := m.runConsole(ctx, true); err != nil || m.HTTPAddr() == "" {
		return err
	}
	if f, ok := m.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return nil
	}
	fmt.Fprintln(m.Stderr, "Console input ended; the ingest API keeps serving until interrupted.")
	<-ctx.Done()
	return nil
}

// consoleAPI serves /healthz and the ingest API next to the local console
// when ACCOUNTBOT_ADDR is set explicitly (the console alone needs no
// listener). stop shuts it down and waits for its background work.
func (m *Main) consoleAPI(ctx context.Context) (stop func(), err error) {
	if m.Getenv("ACCOUNTBOT_ADDR") == "" {
		return func() {}, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	api, err := m.ingestAPI(ctx, &wg)
	if err != nil {
		cancel()
		return nil, err
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	api.Routes(mux)
	srv, err := m.listen(mux)
	if err != nil {
		cancel()
		wg.Wait()
		return nil, err
	}
	wg.Go(func() {
		if err := srv.Serve(m.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			m.log.Error("http server", "err", err)
		}
	})
	fmt.Fprintf(m.Stderr, "Ingest API on http://%s/api/v1/ (data: %s).\n", m.HTTPAddr(), m.DataDir)
	return func() {
		shut, done := context.WithTimeout(context.Background(), 10*time.Second)
		defer done()
		srv.Shutdown(shut)
		cancel()
		wg.Wait()
	}, nil
}
