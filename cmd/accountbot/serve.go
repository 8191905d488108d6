package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/slack-go/slack"

	bs "github.com/accountbot/accountbot/bot/slack"
	"github.com/accountbot/accountbot/domain"
)

// slackConfig is read from the environment.
type slackConfig struct {
	BotToken, AppToken, SigningSecret, APIURL string
	Charts                                    bool
}

func (m *Main) slackConfig() slackConfig {
	return slackConfig{
		BotToken:      strings.TrimSpace(m.Getenv("SLACK_BOT_TOKEN")),
		AppToken:      strings.TrimSpace(m.Getenv("SLACK_APP_TOKEN")),
		SigningSecret: strings.TrimSpace(m.Getenv("SLACK_SIGNING_SECRET")),
		APIURL:        strings.TrimSpace(m.Getenv("SLACK_API_URL")),
		Charts:        m.Getenv("ACCOUNTBOT_SLACK_CHARTS") == "1",
	}
}

// runServe runs the bot: Slack (Socket Mode or signed HTTP) when configured,
// otherwise the local console.
func (m *Main) runServe(ctx context.Context) error {
	sc := m.slackConfig()
	if strings.TrimSpace(m.Getenv("MICROSOFT_APP_ID")) != "" {
		return domain.Errorf(domain.ECONFLICT, "MICROSOFT_APP_ID is set, but this build has no Teams connection yet; unset it")
	}
	if sc.BotToken == "" {
		if sc.AppToken != "" || sc.SigningSecret != "" {
			return domain.Errorf(domain.EINVALID, "SLACK_BOT_TOKEN is required when SLACK_APP_TOKEN or SLACK_SIGNING_SECRET is set")
		}
		fmt.Fprintln(m.Stderr, "No Slack or Teams credentials configured: starting the local console.")
		return m.runConsole(ctx, true)
	}
	if sc.AppToken == "" && sc.SigningSecret == "" {
		return domain.Errorf(domain.EINVALID, "SLACK_SIGNING_SECRET is required for the HTTP endpoints (or set SLACK_APP_TOKEN for Socket Mode)")
	}
	if sc.AppToken != "" && !strings.HasPrefix(sc.AppToken, "xapp-") {
		return domain.Errorf(domain.EINVALID, "SLACK_APP_TOKEN must be an app-level token starting with xapp-")
	}
	e, err := m.engine(ctx)
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() { m.db.RunGC(ctx, 10*time.Minute) })
	wg.Go(func() { m.dailyScores(ctx) })

	// slack-go's default HTTP client has no timeout.
	httpClient := &http.Client{Timeout: 15 * time.Second}
	opts := []slack.Option{slack.OptionHTTPClient(httpClient)}
	if sc.APIURL != "" {
		u := sc.APIURL
		if !strings.HasSuffix(u, "/") {
			u += "/"
		}
		opts = append(opts, slack.OptionAPIURL(u))
	}
	if sc.AppToken != "" {
		opts = append(opts, slack.OptionAppLevelToken(sc.AppToken))
	}
	client := slack.New(sc.BotToken, opts...)
	app := &bs.App{Engine: e, API: client, Dedupe: m.db, HTTP: httpClient, Now: m.Now, Log: m.log, Charts: sc.Charts, Background: ctx}
	defer app.Wait()
	sched := m.scheduler(e, app)
	e.Nudges = sched
	wg.Go(func() { sched.Run(ctx, m.Now) })

	mux := http.NewServeMux()
	mux.HandleFunc("/healthz", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("ok\n")) })
	mode := "Socket Mode"
	if sc.AppToken == "" {
		mode = "HTTP"
		app.Routes(mux, &bs.Verifier{Secret: sc.SigningSecret, Now: m.Now, Log: m.log})
	}
	srv, err := m.listen(mux)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stderr, "AccountBot serving Slack over %s; HTTP on %s (data: %s).\n", mode, m.HTTPAddr(), m.DataDir)

	errs := make(chan error, 2)
	wg.Add(1)
	go func() {
		defer wg.Done()
		if err := srv.Serve(m.listener); err != nil && !errors.Is(err, http.ErrServerClosed) {
			errs <- fmt.Errorf("http server: %w", err)
		}
	}()
	if sc.AppToken != "" {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := app.RunSocket(ctx, client); err != nil {
				errs <- fmt.Errorf("slack socket mode: %w", err)
			}
		}()
	}
	select {
	case <-ctx.Done():
	case err = <-errs:
	}
	shut, stop := context.WithTimeout(context.Background(), 10*time.Second)
	defer stop()
	srv.Shutdown(shut)
	cancel()
	wg.Wait()
	return err
}

// listen opens the HTTP listener on ACCOUNTBOT_ADDR (default :3000).
func (m *Main) listen(h http.Handler) (*http.Server, error) {
	addr := envOr(m.Getenv, "ACCOUNTBOT_ADDR", ":3000")
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, domain.Errorf(domain.EINVALID, "cannot listen on %s (ACCOUNTBOT_ADDR): %v", addr, err)
	}
	m.mu.Lock()
	m.listener = ln
	m.mu.Unlock()
	return &http.Server{Handler: h, ReadHeaderTimeout: 5 * time.Second, ReadTimeout: 15 * time.Second, WriteTimeout: 30 * time.Second}, nil
}

// HTTPAddr is the address the server listens on ("" before it does); with
// ACCOUNTBOT_ADDR=127.0.0.1:0 tests learn the port here.
func (m *Main) HTTPAddr() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.listener == nil {
		return ""
	}
	return m.listener.Addr().String()
}

// dailyScores records every account's score snapshot now and once a day.
func (m *Main) dailyScores(ctx context.Context) {
	for {
		if err := m.recordScores(ctx, nil); err != nil && ctx.Err() == nil {
			m.log.Error("recording daily scores", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(24 * time.Hour):
		}
	}
}
