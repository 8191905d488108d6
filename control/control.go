// Package control is the channel the accountbot CLI uses to reach a
// running `accountbot serve` on the same data directory, so that backup and
// import work while the server holds the store. It is a Unix socket inside
// the data directory: the directory is kept owner-only (0700), the socket
// is 0600, and both ends check that the other runs as the same user.
//
// A request names a CLI command with its arguments and the caller's
// working directory; the server runs it in its own process and streams
// back its output and exit code, one JSON object per line.
package control

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"time"
)

// SocketName is the socket's file name inside the data directory.
const SocketName = "control.sock"

// ErrNotRunning means no server listens on the data directory: there is
// no socket, or only a stale one a crashed server left.
var ErrNotRunning = errors.New("no AccountBot serve is running on this data directory")

// Request is one CLI invocation forwarded to the server.
type Request struct {
	Command string   `json:"command"`
	Args    []string `json:"args"`
	Dir     string   `json:"dir"` // the caller's working directory, for relative paths
}

// message is one line from the server: output, or the exit code last.
type message struct {
	Stdout string `json:"stdout,omitempty"`
	Stderr string `json:"stderr,omitempty"`
	Exit   *int   `json:"exit,omitempty"`
}

// Handler runs a request, writing its output, and returns the exit code.
// ctx ends when the server stops or the client hangs up.
type Handler func(ctx context.Context, req Request, stdout, stderr io.Writer) int

const maxRequest = 1 << 20

// SocketPath is where the socket of the data directory dir lives.
func SocketPath(dir string) string { return filepath.Join(dir, SocketName) }

// checkSocket refuses a socket file another user could have planted or
// could use: it must be a socket, owned by this user, with no group or
// other permissions.
func checkSocket(path string) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return err
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("%s is not a socket; remove it if no AccountBot is running", path)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Getuid() {
		return fmt.Errorf("refusing the control socket %s: it belongs to user %d, not to you", path, st.Uid)
	}
	if perm := fi.Mode().Perm(); perm&0o077 != 0 {
		return fmt.Errorf("refusing the control socket %s: its permissions are %04o, want 0600 (owner only); if no AccountBot is running, remove it", path, perm)
	}
	return nil
}

// Run sends req to the server of dir and copies its output to stdout and
// stderr. It returns ErrNotRunning when no server listens there.
func Run(ctx context.Context, dir string, req Request, stdout, stderr io.Writer) (int, error) {
	path := SocketPath(dir)
	if err := checkSocket(path); errors.Is(err, fs.ErrNotExist) {
		return 0, ErrNotRunning
	} else if err != nil {
		return 0, err
	}
	var d net.Dialer
	conn, err := d.DialContext(ctx, "unix", path)
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, fs.ErrNotExist) {
		return 0, ErrNotRunning // a socket file left by a crash
	} else if err != nil {
		return 0, fmt.Errorf("connecting to the running AccountBot at %s: %w", path, err)
	}
	defer conn.Close()
	if err := samePeer(conn.(*net.UnixConn)); err != nil {
		return 0, err
	}
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	// A server that refuses the connection answers before reading the
	// request, so a failed send still reads the answer.
	sendErr := json.NewEncoder(conn).Encode(req)
	dec := json.NewDecoder(bufio.NewReader(conn))
	for {
		var m message
		if err := dec.Decode(&m); err != nil {
			if ctx.Err() != nil {
				return 0, ctx.Err()
			}
			if sendErr != nil {
				return 0, fmt.Errorf("sending %s to the running AccountBot: %w", req.Command, sendErr)
			}
			return 0, fmt.Errorf("the running AccountBot stopped answering %s: %w", req.Command, err)
		}
		io.WriteString(stdout, m.Stdout)
		io.WriteString(stderr, m.Stderr)
		if m.Exit != nil {
			return *m.Exit, nil
		}
	}
}

// Server accepts requests on a data directory's socket.
type Server struct {
	mu   sync.Mutex
	ln   *net.UnixListener // replaced by Rebind
	path string
	// UID is the only user allowed to connect (default: this process's).
	UID int
	wg  sync.WaitGroup
}

// Listen makes dir owner-only and opens its socket. A socket file left by
// a crashed server is replaced; a live server there is an error.
func Listen(dir string) (*Server, error) {
	fi, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && int(st.Uid) != os.Getuid() {
		return nil, fmt.Errorf("control socket: the data directory %s belongs to user %d, not to you", dir, st.Uid)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(dir, fi.Mode().Perm()&0o700); err != nil {
			return nil, fmt.Errorf("control socket: making %s owner-only: %w", dir, err)
		}
	}
	path := SocketPath(dir)
	if len(path) > 100 { // sun_path holds 108 bytes on Linux, 104 on BSDs
		return nil, fmt.Errorf("control socket: the path %s is too long for a Unix socket; use a shorter --data path", path)
	}
	if _, err := os.Lstat(path); err == nil {
		if c, err := net.DialTimeout("unix", path, time.Second); err == nil {
			c.Close()
			return nil, fmt.Errorf("control socket: another AccountBot is already listening on %s", path)
		}
		if err := checkStale(path); err != nil {
			return nil, err
		}
	}
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: path, Net: "unix"})
	if err != nil {
		return nil, fmt.Errorf("control socket: %w", err)
	}
	// The directory is already owner-only; this is the second lock.
	if err := os.Chmod(path, 0o600); err != nil {
		ln.Close()
		return nil, fmt.Errorf("control socket: %w", err)
	}
	return &Server{ln: ln, path: path, UID: os.Getuid()}, nil
}

// checkStale removes a dead socket file; anything else is left alone.
func checkStale(path string) error {
	fi, err := os.Lstat(path)
	if err != nil {
		return nil
	}
	if fi.Mode().Type() != fs.ModeSocket {
		return fmt.Errorf("control socket: %s exists and is not a socket; move it away", path)
	}
	if err := os.Remove(path); err != nil {
		return fmt.Errorf("control socket: removing the stale %s: %w", path, err)
	}
	return nil
}

// Serve answers requests with h until ctx ends, then waits for the
// requests in progress (their ctx ends too) and removes the socket.
func (s *Server) Serve(ctx context.Context, h Handler) error {
	stop := context.AfterFunc(ctx, func() { s.Close() })
	defer stop()
	defer s.wg.Wait()
	for {
		ln := s.listener()
		conn, err := ln.AcceptUnix()
		if err != nil {
			if ctx.Err() == nil && errors.Is(err, net.ErrClosed) && s.listener() != ln {
				continue // Rebind replaced the listener
			}
			if ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("control socket: %w", err)
		}
		s.wg.Go(func() { s.handle(ctx, conn, h) })
	}
}

func (s *Server) listener() *net.UnixListener {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.ln
}

// Close stops accepting and removes the socket.
func (s *Server) Close() error { return s.listener().Close() }

// Rebind listens again at the socket's path after the data directory was
// replaced underneath it (a restore swaps the whole directory, and the
// socket file went with the old one). Requests in progress go on; the old
// listener is closed without removing the new socket file.
func (s *Server) Rebind() error {
	ln, err := net.ListenUnix("unix", &net.UnixAddr{Name: s.path, Net: "unix"})
	if err != nil {
		return fmt.Errorf("control socket: listening again at %s: %w", s.path, err)
	}
	if err := os.Chmod(s.path, 0o600); err != nil {
		ln.Close()
		return fmt.Errorf("control socket: %w", err)
	}
	s.mu.Lock()
	old := s.ln
	s.ln = ln
	s.mu.Unlock()
	old.SetUnlinkOnClose(false) // the path is the new socket's now
	old.Close()
	return nil
}

// Path is the socket's path.
func (s *Server) Path() string { return s.path }

func (s *Server) handle(ctx context.Context, conn *net.UnixConn, h Handler) {
	defer conn.Close()
	w := &stream{enc: json.NewEncoder(conn)}
	if uid, err := peerUID(conn); err != nil || uid != s.UID {
		w.exit(fmt.Sprintf("accountbot: refused: the control socket serves only user %d\n", s.UID), 1)
		return
	}
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	br := bufio.NewReader(io.LimitReader(conn, maxRequest))
	var req Request
	if err := json.NewDecoder(br).Decode(&req); err != nil {
		w.exit(fmt.Sprintf("accountbot: unreadable control request: %v\n", err), 2)
		return
	}
	conn.SetReadDeadline(time.Time{})
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		// The client sends nothing more: a read that returns means it hung up.
		conn.Read(make([]byte, 1))
		cancel()
	}()
	code := h(ctx, req, w.writer(true), w.writer(false))
	w.exit("", code)
}

// stream writes output messages; the handler may write from goroutines.
type stream struct {
	mu  sync.Mutex
	enc *json.Encoder
}

type streamWriter struct {
	s      *stream
	stdout bool
}

func (s *stream) writer(stdout bool) io.Writer { return streamWriter{s, stdout} }

func (w streamWriter) Write(p []byte) (int, error) {
	m := message{Stderr: string(p)}
	if w.stdout {
		m = message{Stdout: string(p)}
	}
	w.s.mu.Lock()
	defer w.s.mu.Unlock()
	if err := w.s.enc.Encode(m); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (s *stream) exit(stderr string, code int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.enc.Encode(message{Stderr: stderr, Exit: &code})
}
