package main

import (
	"context"
	"errors"
	"fmt"
	"github.com/accountbot/accountbot/storage/badger"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/accountbot/accountbot/control"
	"github.com/accountbot/accountbot/domain"
)

// viaServer sends the command to a `serve` running on the same data
// directory, if there is one, and reports whether it did. Without one the
// command works on the store itself.
func (m *Main) viaServer(ctx context.Context) (bool, error) {
	if m.db != nil {
		return false, nil // the store is open in this process: this is the server
	}
	if m.databaseURL() != "" {
		return false, nil // PostgreSQL takes any number of writers: connect directly
	}
	wd, err := os.Getwd()
	if err != nil {
		return false, fmt.Errorf("reading the working directory: %w", err)
	}
	code, err := m.sendControl(ctx, control.Request{Command: m.Command, Args: m.Args, Dir: wd})
	if errors.Is(err, control.ErrNotRunning) {
		return false, nil
	}
	if err != nil {
		return true, err
	}
	if code != 0 {
		return true, exitErr{code}
	}
	return true, nil
}

// swapWait bounds how long a command waits for a running serve's control
// socket while a live restore swaps the data directory.
const swapWait = 10 * time.Second

// sendControl runs req on the serve of the data directory. While a live
// restore swaps the directory the socket is briefly gone with the old one:
// a command must then wait for it to come back, not open the store itself
// (it would run beside the serve, say serve is not running, and keep the
// serve from reopening its store; its open could even undo the swap).
func (m *Main) sendControl(ctx context.Context, req control.Request) (int, error) {
	code, err := control.Run(ctx, m.DataDir, req, m.Stdout, m.Stderr)
	if !errors.Is(err, control.ErrNotRunning) || !badger.Swapping(m.DataDir) {
		return code, err
	}
	fmt.Fprintf(m.Stderr, "accountbot: a restore is swapping %s; waiting (up to %s) for the running serve…\n", m.DataDir, swapWait)
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for deadline := time.Now().Add(swapWait); badger.Swapping(m.DataDir) && time.Now().Before(deadline); {
		if _, err := os.Lstat(control.SocketPath(m.DataDir)); err == nil {
			break
		}
		select {
		case <-ctx.Done():
			return 0, ctx.Err()
		case <-tick.C:
		}
	}
	return control.Run(ctx, m.DataDir, req, m.Stdout, m.Stderr)
}

// startControl opens the control socket so that backup and import reach
// this server; without it they say the store is in use.
func (m *Main) startControl(ctx context.Context, wg *sync.WaitGroup) {
	if m.databaseURL() != "" {
		return // PostgreSQL: other processes connect to the database themselves
	}
	if m.live != nil {
		return // serveLive keeps one socket across the bot's restarts
	}
	srv, err := control.Listen(m.DataDir)
	if err != nil {
		fmt.Fprintf(m.Stderr, "accountbot: %v; backup and import need serve stopped.\n", err)
		return
	}
	wg.Go(func() {
		if err := srv.Serve(ctx, m.handleControl); err != nil {
			m.log.Error("control socket", "err", err)
		}
	})
}

// handleControl runs a forwarded command on this process's open store.
func (m *Main) handleControl(ctx context.Context, req control.Request, stdout, stderr io.Writer) int {
	if m.live != nil && req.Command != "restore" {
		defer m.live.readStore(stderr)() // m.db is swapped under a restore
	}
	sub := &Main{Stdin: strings.NewReader(""), Stdout: stdout, Stderr: stderr, Getenv: m.Getenv, Now: m.Now,
		Command: req.Command, Args: req.Args, DataDir: m.DataDir, Config: m.Config, LogLevel: m.LogLevel,
		db: m.db, log: m.log, cwd: req.Dir, onImport: m.importObserver(), rules: m.rules, configPath: m.configPath}
	var err error
	switch req.Command {
	case "backup":
		err = sub.runBackup(ctx)
	case "import":
		err = sub.runImport(ctx)
	case "token":
		err = sub.runToken(ctx)
	case "rules": // diff replays on the open store; apply switches this server's rules at once
		err = sub.runRules(ctx)
	case "restore":
		if m.live != nil {
			err = m.liveRestore(ctx, sub)
		} else {
			err = sub.refuseRestore() // the console
		}
	default:
		err = domain.Errorf(domain.EINVALID, "%q cannot be sent to a running serve", req.Command)
	}
	// sub is never closed: the store belongs to the server.
	return sub.exitCode(err)
}

// refuseRestore answers a restore sent to the console (serve without chat
// credentials, or `console`), which does not pause its work for a swap
// (serve with Slack or Teams does: liverestore.go). The backup is checked
// first, so the operator learns whether it is usable before stopping
// anything.
func (m *Main) refuseRestore() error {
	in, err := m.restoreInput()
	if err != nil {
		return err
	}
	defer in.f.Close()
	file, f := in.file, in.f
	records, verified, err := badger.VerifyBackup(f)
	if err != nil {
		return domain.Errorf(domain.ErrorCode(err), "cannot restore %s: %s. The store in %s was not changed.", file, domain.ErrorMessage(err), m.DataDir)
	}
	check := "checksum and record count verified"
	if !verified {
		check = "no checksum: it needs --unverified"
	}
	return domain.Errorf(domain.ECONFLICT, "%s is a whole backup (%d records, %s), but restore replaces the whole store, which the running serve (pid %d) has open; "+
		"the console does not pause for a swap. Nothing was changed: quit the console, run the same restore, then start it again", file, records, check, os.Getpid())
}

// importObserver is serve's import-row counter, set anew by each start of
// the bot (a live restore restarts it).
func (m *Main) importObserver() func(imported, rejected int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.onImport
}
