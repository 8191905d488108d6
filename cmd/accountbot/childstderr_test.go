package main

import (
	"fmt"
	"io"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

// childStderrTail is how much of a child's stderr a failing test logs:
// the end, where what went wrong last is, and small enough that CI's log
// stays readable when a test starts the binary a dozen times.
const childStderrTail = 4 << 10

// tailBuffer keeps the last max bytes written to it. os/exec's goroutine
// copies the child's stderr into it while the test may read it.
type tailBuffer struct {
	mu      sync.Mutex
	max     int
	buf     []byte
	dropped int // bytes no longer kept, from the front
}

func (b *tailBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	n := len(p)
	if len(p) > b.max {
		b.dropped += len(p) - b.max
		p = p[len(p)-b.max:]
	}
	if over := len(b.buf) + len(p) - b.max; over > 0 {
		b.dropped += over
		b.buf = append(b.buf[:0], b.buf[over:]...)
	}
	b.buf = append(b.buf, p...)
	return n, nil
}

// String is what is kept, saying how much came before it.
func (b *tailBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.dropped == 0 {
		return string(b.buf)
	}
	return fmt.Sprintf("[… %d earlier bytes not kept]\n%s", b.dropped, b.buf)
}

// failureLogger is the part of *testing.T that logStderrOnFailure uses
// (a fake in its own test).
type failureLogger interface {
	Helper()
	Cleanup(func())
	Failed() bool
	Logf(format string, args ...any)
}

// logStderrOnFailure keeps the tail of cmd's stderr and logs it if t has
// failed when it ends, so a failure of a test that runs the binary can be
// diagnosed from CI's log: without it the child's own error message (a
// panic, a refused config, a store that would not open) is lost. A
// writer already set as cmd.Stderr still gets everything (a tee). Call it
// before cmd.Start, for children whose output is not otherwise reported
// (CombinedOutput's is, by the tests that print it).
func logStderrOnFailure(t failureLogger, cmd *exec.Cmd) {
	t.Helper()
	tail := &tailBuffer{max: childStderrTail}
	if cmd.Stderr != nil {
		cmd.Stderr = io.MultiWriter(tail, cmd.Stderr)
	} else {
		cmd.Stderr = tail
	}
	// Registered before the caller's own clean-up that stops the child
	// (if any), so it runs after it, on the whole output.
	t.Cleanup(func() {
		if !t.Failed() {
			return
		}
		pid := "not started"
		if cmd.Process != nil {
			pid = fmt.Sprint("pid ", cmd.Process.Pid)
		}
		args := append([]string{filepath.Base(cmd.Path)}, cmd.Args[1:]...)
		out := tail.String()
		if out == "" {
			out = "(empty)"
		}
		t.Logf("stderr of `%s` (%s), last %d bytes:\n%s", strings.Join(args, " "), pid, childStderrTail, out)
	})
}

// fakeT records what logStderrOnFailure asks of a test.
type fakeT struct {
	failed   bool
	cleanups []func()
	logs     []string
}

func (f *fakeT) Helper()           {}
func (f *fakeT) Cleanup(fn func()) { f.cleanups = append(f.cleanups, fn) }
func (f *fakeT) Failed() bool      { return f.failed }
func (f *fakeT) Logf(format string, args ...any) {
	f.logs = append(f.logs, fmt.Sprintf(format, args...))
}

func (f *fakeT) end() {
	for i := len(f.cleanups) - 1; i >= 0; i-- {
		f.cleanups[i]()
	}
}

func TestTailBufferKeepsTheEnd(t *testing.T) {
	tests := []struct {
		name   string
		writes []string
		want   string
	}{
		{"under the cap", []string{"ab", "cd"}, "abcd"},
		{"exactly the cap", []string{"abcdef", "gh"}, "abcdefgh"},
		{"over, across writes", []string{"abcdef", "ghij"}, "[… 2 earlier bytes not kept]\ncdefghij"},
		{"one write larger than the cap", []string{"ab", "0123456789"}, "[… 4 earlier bytes not kept]\n23456789"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := &tailBuffer{max: 8}
			for _, w := range tt.writes {
				if n, err := b.Write([]byte(w)); n != len(w) || err != nil {
					t.Fatalf("Write(%q) = %d, %v: a short write would stop os/exec's copy", w, n, err)
				}
			}
			if got := b.String(); got != tt.want {
				t.Errorf("String() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestLogStderrOnFailure(t *testing.T) {
	long := strings.Repeat("x", 2*childStderrTail) + "\npanic: the store would not open\n"
	for _, failed := range []bool{false, true} {
		ft := &fakeT{failed: failed}
		var own strings.Builder // a writer the test reads itself
		cmd := exec.Command("/no/such/dir/accountbot", "--data", "d", "serve")
		cmd.Stderr = &own
		logStderrOnFailure(ft, cmd)
		io.WriteString(cmd.Stderr, long)
		ft.end()
		if own.String() != long {
			t.Errorf("failed=%v: the writer already set got %d bytes, want all %d", failed, own.Len(), len(long))
		}
		if !failed {
			if len(ft.logs) != 0 {
				t.Errorf("a passing test logged %q", ft.logs)
			}
			continue
		}
		if len(ft.logs) != 1 {
			t.Fatalf("a failing test logged %d times, want once", len(ft.logs))
		}
		log := ft.logs[0]
		if !strings.HasPrefix(log, "stderr of `accountbot --data d serve` (not started), last 4096 bytes:\n") ||
			!strings.HasSuffix(log, "\npanic: the store would not open\n") || len(log) > childStderrTail+200 {
			t.Errorf("logged %d bytes: %.120q … %q", len(log), log, log[max(0, len(log)-60):])
		}
	}
}
