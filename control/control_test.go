package control

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// shortDir is a data directory whose socket path fits sun_path.
func shortDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "ctl")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func echo(ctx context.Context, req Request, stdout, stderr io.Writer) int {
	fmt.Fprintf(stdout, "%s %s in %s\n", req.Command, strings.Join(req.Args, ","), req.Dir)
	fmt.Fprintln(stderr, "note")
	return 3
}

func serve(t *testing.T, dir string, h Handler) (*Server, func()) {
	t.Helper()
	s, err := Listen(dir)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, h) }()
	return s, func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("serve: %v", err)
		}
	}
}

func TestRequestRoundTrip(t *testing.T) {
	dir := shortDir(t)
	os.Chmod(dir, 0o755)
	s, stop := serve(t, dir, echo)
	defer stop()
	fi, _ := os.Stat(dir)
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("data directory mode %04o, want 0700", fi.Mode().Perm())
	}
	if fi, _ := os.Lstat(s.Path()); fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %04o, want 0600", fi.Mode().Perm())
	}
	var out, errb bytes.Buffer
	code, err := Run(context.Background(), dir, Request{Command: "backup", Args: []string{"a", "b"}, Dir: "/home/x"}, &out, &errb)
	if err != nil || code != 3 || out.String() != "backup a,b in /home/x\n" || errb.String() != "note\n" {
		t.Errorf("run = %d %v, %q %q", code, err, out.String(), errb.String())
	}
	// A second server on the same directory is refused.
	if _, err := Listen(dir); err == nil || !strings.Contains(err.Error(), "already listening") {
		t.Errorf("second listen = %v", err)
	}
}

func TestNoServer(t *testing.T) {
	if _, err := Run(context.Background(), shortDir(t), Request{Command: "backup"}, io.Discard, io.Discard); !errors.Is(err, ErrNotRunning) {
		t.Errorf("no socket: %v", err)
	}
}

// A crash leaves the socket file behind: clients treat it as no server and
// the next server replaces it.
func TestStaleSocket(t *testing.T) {
	dir := shortDir(t)
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: SocketPath(dir), Net: "unix"})
	if err != nil {
		t.Fatal(err)
	}
	ln.SetUnlinkOnClose(false)
	ln.Close()
	os.Chmod(SocketPath(dir), 0o600)
	if _, err := Run(context.Background(), dir, Request{Command: "backup"}, io.Discard, io.Discard); !errors.Is(err, ErrNotRunning) {
		t.Errorf("stale socket: %v", err)
	}
	_, stop := serve(t, dir, echo)
	defer stop()
	if code, err := Run(context.Background(), dir, Request{Command: "x"}, io.Discard, io.Discard); err != nil || code != 3 {
		t.Errorf("after replacing the stale socket: %d %v", code, err)
	}
}

// A socket another user could reach, or a file that is no socket, is
// refused rather than used.
func TestUnsafeSocketIsRefused(t *testing.T) {
	dir := shortDir(t)
	s, stop := serve(t, dir, echo)
	defer stop()
	os.Chmod(s.Path(), 0o666)
	_, err := Run(context.Background(), dir, Request{Command: "backup"}, io.Discard, io.Discard)
	if err == nil || errors.Is(err, ErrNotRunning) || !strings.Contains(err.Error(), "permissions are 0666") {
		t.Errorf("world-writable socket: %v", err)
	}

	other := shortDir(t)
	os.WriteFile(SocketPath(other), []byte("not a socket"), 0o600)
	if _, err := Run(context.Background(), other, Request{}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Errorf("regular file: %v", err)
	}
	if _, err := Listen(other); err == nil || !strings.Contains(err.Error(), "not a socket") {
		t.Errorf("listen over a regular file: %v", err)
	}
}

// The server answers only its own user.
func TestOtherUserIsRefused(t *testing.T) {
	dir := shortDir(t)
	s, err := Listen(dir)
	if err != nil {
		t.Fatal(err)
	}
	s.UID = os.Getuid() + 1
	var ran atomic.Bool
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- s.Serve(ctx, func(context.Context, Request, io.Writer, io.Writer) int { ran.Store(true); return 0 })
	}()
	var errb bytes.Buffer
	code, err := Run(context.Background(), dir, Request{Command: "backup"}, io.Discard, &errb)
	cancel()
	<-done
	if err != nil || code != 1 || !strings.Contains(errb.String(), "refused") || ran.Load() {
		t.Errorf("other user: %d %v %q ran=%v", code, err, errb.String(), ran.Load())
	}
}

// A client that hangs up cancels its request; stopping the server waits
// for requests in progress.
func TestHangUpCancels(t *testing.T) {
	dir := shortDir(t)
	started, ended := make(chan struct{}), make(chan struct{})
	_, stop := serve(t, dir, func(ctx context.Context, _ Request, stdout, _ io.Writer) int {
		close(started)
		<-ctx.Done()
		close(ended)
		return 1
	})
	defer stop()
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-started; cancel() }()
	if _, err := Run(ctx, dir, Request{Command: "import"}, io.Discard, io.Discard); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled run = %v", err)
	}
	select {
	case <-ended:
	case <-time.After(5 * time.Second):
		t.Fatal("the handler did not see the hang-up")
	}
}

func TestLongPathIsRefused(t *testing.T) {
	dir := filepath.Join(t.TempDir(), strings.Repeat("d", 100))
	os.MkdirAll(dir, 0o700)
	if _, err := Listen(dir); err == nil || !strings.Contains(err.Error(), "too long") {
		t.Errorf("long path: %v", err)
	}
}

// After the data directory is replaced (a live restore), Rebind serves
// the new socket file, and the old listener's closing leaves it in place.
func TestRebind(t *testing.T) {
	dir := shortDir(t)
	s, stop := serve(t, dir, echo)
	defer stop()
	if err := os.Rename(dir, dir+".old"); err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir + ".old")
	os.Mkdir(dir, 0o700)
	if _, err := Run(context.Background(), dir, Request{Command: "x"}, io.Discard, io.Discard); !errors.Is(err, ErrNotRunning) {
		t.Fatalf("before rebind: %v", err)
	}
	if err := s.Rebind(); err != nil {
		t.Fatal(err)
	}
	for range 3 { // the old listener's close must not unlink the new socket
		if code, err := Run(context.Background(), dir, Request{Command: "x"}, io.Discard, io.Discard); err != nil || code != 3 {
			t.Fatalf("after rebind: %d %v", code, err)
		}
	}
	if fi, err := os.Lstat(s.Path()); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("rebound socket: %v %v", fi, err)
	}
}
