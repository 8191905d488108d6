//go:build linux

package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// The console tests run the real binary on a pseudo-terminal, as a person
// at a shell would: the line editor, raw mode and signals only exist there.

// ptyProc is the binary running on a pseudo-terminal.
type ptyProc struct {
	t        *testing.T
	cmd      *exec.Cmd
	ptmx     *os.File // the terminal emulator's side: what the user types and sees
	tty      *os.File // the program's terminal, kept open to read its settings
	mu       sync.Mutex
	out      bytes.Buffer
	seen     int // output before this offset has been matched
	done     chan struct{}
	waitErr  error
	original *unix.Termios
}

func startOnPTY(t *testing.T, args ...string) *ptyProc {
	t.Helper()
	return startOnSizedPTY(t, &pty.Winsize{Rows: 50, Cols: 160}, args...)
}

// startOnSizedPTY is startOnPTY on a terminal of the given size; nil leaves
// the size unset (0×0), as a bare pseudo-terminal reports it.
func startOnSizedPTY(t *testing.T, size *pty.Winsize, args ...string) *ptyProc {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	if size != nil {
		if err := pty.Setsize(ptmx, size); err != nil {
			t.Fatal(err)
		}
	}
	orig, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary(t), args...)
	cmd.Env = childEnv()
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &ptyProc{t: t, cmd: cmd, ptmx: ptmx, tty: tty, done: make(chan struct{}), original: orig}
	go p.collect()
	go func() { p.waitErr = cmd.Wait(); close(p.done) }()
	t.Cleanup(func() {
		select {
		case <-p.done:
		default:
			cmd.Process.Kill() // a hung console: the test has already failed
			<-p.done
		}
		ptmx.Close()
		tty.Close()
	})
	return p
}

// collect records everything the program writes to the terminal.
func (p *ptyProc) collect() {
	buf := make([]byte, 4096)
	for {
		n, err := p.ptmx.Read(buf)
		p.mu.Lock()
		p.out.Write(buf[:n])
		p.mu.Unlock()
		if err != nil {
			return
		}
	}
}

func (p *ptyProc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.out.String()
}

// expect waits for want to appear in the output after what was last matched.
func (p *ptyProc) expect(want string) {
	p.t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for {
		out := p.output()
		if i := strings.Index(out[p.seen:], want); i >= 0 {
			p.seen += i + len(want)
			return
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("no %q within 15s; the terminal shows:\n%q", want, out[p.seen:])
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (p *ptyProc) typ(s string) {
	p.t.Helper()
	if _, err := p.ptmx.Write([]byte(s)); err != nil {
		p.t.Fatal(err)
	}
}

// exited checks the program ends within a few seconds, cleanly, and leaves
// the terminal exactly as it found it.
func (p *ptyProc) exited() {
	p.t.Helper()
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		p.t.Fatalf("the console did not exit within 5s; the terminal shows:\n%q", p.output()[p.seen:])
	}
	if p.waitErr != nil {
		p.t.Errorf("exit: %v; output:\n%s", p.waitErr, p.output())
	}
	p.restored()
}

// restored checks the terminal settings are what they were before.
func (p *ptyProc) restored() {
	p.t.Helper()
	now, err := unix.IoctlGetTermios(int(p.tty.Fd()), unix.TCGETS)
	if err != nil {
		p.t.Fatal(err)
	}
	if *now != *p.original {
		p.t.Errorf("terminal settings not restored:\nbefore %+v\nafter  %+v", *p.original, *now)
	}
}

const prompt = "accountbot> "

// waitPrompt waits for the first prompt and checks the editor made the terminal raw.
func (p *ptyProc) waitPrompt() {
	p.t.Helper()
	p.expect(prompt)
	st, err := unix.IoctlGetTermios(int(p.tty.Fd()), unix.TCGETS)
	if err != nil {
		p.t.Fatal(err)
	}
	if st.Lflag&unix.ECHO != 0 || st.Lflag&unix.ICANON != 0 {
		p.t.Errorf("the console's line editor should have the terminal in raw mode: lflag %#x", st.Lflag)
	}
}

func TestConsoleOnTerminal(t *testing.T) {
	data := t.TempDir() // shared: the first run loads the demo book, the others reuse it
	const answer = "Top 5 priority accounts — whole book"

	t.Run("answers, history and exit", func(t *testing.T) {
		p := startOnPTY(t, "--data", data, "console")
		p.waitPrompt()
		p.typ("portfolio top\r")
		p.expect(answer)
		p.expect(prompt)
		p.typ("\x1b[A") // arrow up recalls the last line
		p.expect("portfolio top")
		p.typ("\r")
		p.expect(answer)
		p.expect(prompt)
		p.typ("exit\r")
		p.exited()
	})
	t.Run("Ctrl-D", func(t *testing.T) {
		p := startOnPTY(t, "--data", data, "console")
		p.waitPrompt()
		p.typ("\x04")
		p.exited()
	})
	t.Run("Ctrl-C clears the line, twice exits", func(t *testing.T) {
		p := startOnPTY(t, "--data", data, "console")
		p.waitPrompt()
		p.typ("portfolio top")
		p.expect("portfolio top")
		p.typ("\x03") // clears the typed line; the console keeps running
		p.typ("help\r")
		p.expect("AccountBot commands")
		p.expect(prompt)
		if strings.Contains(p.output(), answer) {
			t.Error("Ctrl-C must discard the line being typed, not run it")
		}
		p.typ("\x03")
		p.expect("Ctrl-C again")
		p.typ("\x03")
		p.exited()
	})
	t.Run("SIGTERM while serving", func(t *testing.T) {
		p := startOnPTY(t, "--data", data, "serve")
		p.waitPrompt()
		p.typ("portf") // a half-typed line must not stop the exit
		p.expect("portf")
		if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil {
			t.Fatal(err)
		}
		p.exited()
	})
}

// TestConsoleOnUnsizedTerminal: a terminal that reports 0×0 must not make
// the line editor wrap after every character (it did: one letter a line).
func TestConsoleOnUnsizedTerminal(t *testing.T) {
	p := startOnSizedPTY(t, nil, "--data", t.TempDir(), "console")
	p.waitPrompt()
	p.typ("portfolio top\r")
	p.expect("portfolio top")
	p.expect("Top 5 priority accounts")
	p.typ("exit\r")
	p.exited()
}

// TestBackupWhileConsoleServes: `make run` (serve on the console) holds the
// store, and `backup` from another shell goes through its control socket.
func TestBackupWhileConsoleServes(t *testing.T) {
	dir, err := os.MkdirTemp("", "cons") // short: a socket path has a length limit
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	p := startOnPTY(t, "--data", dir, "serve")
	p.waitPrompt()
	out := filepath.Join(t.TempDir(), "book.bak")
	r := run(t, nil, "", "--data", dir, "backup", out)
	if r.code != 0 || !strings.Contains(r.stdout, "Backup of") {
		t.Fatalf("backup while the console serves: %+v", r)
	}
	p.typ("exit\r")
	p.exited()
}

// TestConsolePipedStdin checks the console still reads plain lines when
// stdin is not a terminal (scripts, CI).
func TestConsolePipedStdin(t *testing.T) {
	cmd := exec.Command(binary(t), "--data", t.TempDir(), "console")
	cmd.Env = childEnv()
	cmd.Stdin = strings.NewReader("portfolio top\nexit\nhelp\n")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("console: %v\n%s", err, errb.String())
	}
	if !strings.Contains(out.String(), "Top 5 priority accounts — whole book") || strings.Contains(out.String(), "AccountBot commands") {
		t.Errorf("piped console output:\n%s", out.String())
	}
	if strings.Contains(out.String(), prompt) {
		t.Error("no prompt without a terminal")
	}
}

// inProcessConsole runs Main.interactive on a pseudo-terminal inside the
// test, so the test can print as the nudge scheduler does, or panic.
func inProcessConsole(t *testing.T, answer func(string) bool) (*ptyProc, *Main, chan any) {
	t.Helper()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo-terminal here: %v", err)
	}
	t.Cleanup(func() { ptmx.Close(); tty.Close() })
	pty.Setsize(ptmx, &pty.Winsize{Rows: 50, Cols: 160})
	orig, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	p := &ptyProc{t: t, ptmx: ptmx, tty: tty, original: orig}
	go p.collect()
	m := NewMain()
	m.Stdout, m.Stderr = &switchWriter{w: tty}, &switchWriter{w: tty}
	ended := make(chan any, 1) // the console's error, or what it panicked with
	go func() {
		defer func() {
			if r := recover(); r != nil {
				ended <- r
			}
		}()
		ended <- m.interactive(t.Context(), tty, answer)
	}()
	return p, m, ended
}

// TestConsoleNudgeAbovePrompt: text printed while a line is being typed
// (a nudge) appears above the prompt, and the typed line survives whole.
func TestConsoleNudgeAbovePrompt(t *testing.T) {
	lines := make(chan string, 4)
	p, m, ended := inProcessConsole(t, func(l string) bool { lines <- l; return l == "exit" })
	p.waitPrompt()
	p.typ("portf")
	p.expect("portf")
	go fmt.Fprintln(m.Stdout, "── nudge: renewal in 30 days") // as the scheduler prints, from its own goroutine
	p.expect("── nudge: renewal in 30 days\r\n" + prompt + "portf")
	p.typ("olio top\r")
	if l := <-lines; l != "portfolio top" {
		t.Errorf("the typed line came back as %q", l)
	}
	p.typ("exit\r")
	<-lines
	if err := <-ended; err != nil {
		t.Errorf("console: %v", err)
	}
	p.restored()
}

// TestConsolePanicRestoresTerminal: a panic while answering still puts the
// terminal back before the crash report.
func TestConsolePanicRestoresTerminal(t *testing.T) {
	p, _, ended := inProcessConsole(t, func(string) bool { panic("boom") })
	p.waitPrompt()
	p.typ("help\r")
	if r := <-ended; r != "boom" {
		t.Fatalf("want the panic to go on, got %v", r)
	}
	p.restored()
}
