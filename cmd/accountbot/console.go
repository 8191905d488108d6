package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/term"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/storage/demo"
)

// runConsole is the console: a local chat with the bot on stdin/stdout, with
// a line editor on a terminal and plain line reading otherwise (scripts, pipes).
func (m *Main) runConsole(ctx context.Context, fromServe bool) error {
	fs := m.subFlags("console", "console [--as EMAIL]")
	as := fs.String("as", m.Getenv("ACCOUNTBOT_USER"), "who you are (e-mail), for \"my\" portfolio")
	if !fromServe {
		if _, err := parseInterleaved(fs, m.Args); err != nil {
			return err
		}
	}
	e, err := m.consoleEngine(ctx)
	if err != nil {
		return err
	}
	stop, err := m.consoleBackground(ctx, e, fromServe)
	if err != nil {
		return err
	}
	defer stop() // background work ends before the store closes

	user := cliUser(*as, "console")
	m.consoleGreeting(ctx, e)
	answer := m.consoleAnswer(ctx, e, &user)
	if f, ok := m.Stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return m.interactive(ctx, f, answer)
	}
	sc := bufio.NewScanner(m.Stdin)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if ctx.Err() != nil || answer(sc.Text()) {
			return nil
		}
	}
	return sc.Err()
}

// consoleEngine routes logging through a switchable writer, builds the
// engine and loads the demo book into an empty store, so a first run has
// something to ask about.
func (m *Main) consoleEngine(ctx context.Context) (*bot.Engine, error) {
	// Log lines, like replies, must pass through the line editor on a
	// terminal, or raw mode prints them as a staircase over the prompt.
	errOut := &switchWriter{w: m.Stderr}
	m.Stderr = errOut
	m.log = slog.New(slog.NewTextHandler(errOut, &slog.HandlerOptions{Level: m.LogLevel}))
	e, err := m.engine(ctx)
	if err != nil {
		return nil, err
	}
	empty, err := m.db.Empty(ctx)
	if err != nil {
		return nil, err
	}
	if empty {
		start := time.Now()
		st, err := m.loadDemo(ctx, demo.Defaults(m.today()))
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(m.Stderr, "The store in %s was empty: loaded the demo book (%d accounts) in %s.\n", m.DataDir, st.Created, time.Since(start).Round(time.Millisecond))
	}
	return e, nil
}

// consoleBackground starts the store's garbage collection and, under serve,
// the nudge scheduler; stop ends them and waits, and must run before the
// store closes. It also switches the output so replies and nudges share it.
func (m *Main) consoleBackground(ctx context.Context, e *bot.Engine, fromServe bool) (stop func(), err error) {
	gcCtx, stopGC := context.WithCancel(ctx)
	var bg sync.WaitGroup
	stop = func() { stopGC(); bg.Wait() }
	bg.Go(func() { defer m.restoreOnPanic(); m.db.RunGC(gcCtx, 10*time.Minute) })
	// Replies and nudges share one output, switched to the line editor in
	// interactive mode (which redraws the prompt around printed nudges).
	out := &switchWriter{w: m.Stdout}
	m.Stdout = out
	if fromServe {
		// With no chat platform, nudges are printed here as they fall due.
		sched, err := m.scheduler(e, &consoleNotifier{w: out})
		if err != nil {
			stop()
			return nil, err
		}
		e.Nudges = sched
		m.startEvaluator(gcCtx, &bg, e, sched) // stored ranks, alerts from changes (evaluate.go)
		bg.Go(func() { defer m.restoreOnPanic(); sched.Run(gcCtx, m.Now) })
		// `make run` is serve on the console: backup and import from
		// another shell reach this store through the control socket.
		m.startControl(gcCtx, &bg)
	}
	return stop, nil
}

// consoleGreeting prints how to start, with the top account as the example
// so that the suggested command works on the book at hand.
func (m *Main) consoleGreeting(ctx context.Context, e *bot.Engine) {
	example := "acct-00001"
	if top, _, err := e.TopFor(ctx, "", m.today(), 1); err == nil && len(top) == 1 {
		example = top[0].Name
	}
	fmt.Fprintf(m.Stdout, "AccountBot console. Try: account %s health · portfolio top · portfolio renewals · help\n", example)
	fmt.Fprintln(m.Stdout, `Type "as <email>" to ask as a CSM (e.g. as ana@example.com), "exit" to quit.`)
}

// consoleAnswer returns the handler for one typed line: the console's own
// words (exit, quit, as EMAIL) change the session, the rest go to the bot.
// It reports whether to quit.
func (m *Main) consoleAnswer(ctx context.Context, e *bot.Engine, user *bot.User) func(string) bool {
	return func(line string) (quit bool) {
		line = strings.TrimSpace(line)
		switch {
		case line == "":
			return false
		case line == "exit" || line == "quit":
			return true
		case strings.HasPrefix(line, "as "):
			*user = cliUser(strings.TrimPrefix(line, "as "), "console")
			fmt.Fprintf(m.Stdout, "Now asking as %s.\n", user.Email)
			return false
		}
		msg := e.Handle(ctx, bot.Request{Text: line, Now: m.Now(), User: *user, WriteID: newWriteID("console")})
		fmt.Fprintln(m.Stdout, bot.RenderText(msg))
		return false
	}
}

// interactive runs a line editor with history (arrow keys) on a terminal.
//
// The editor writes its prompt and echo straight to the real output; the
// program's own output (replies, and nudges printed by other goroutines)
// goes through the editor's Write, which moves the prompt and the line being
// typed below the printed text. Lines are read on their own goroutine so a
// signal (SIGTERM, SIGINT) ends the console at once: ReadLine cannot be
// interrupted, and the process exits without waiting for it.
func (m *Main) interactive(ctx context.Context, f *os.File, answer func(string) bool) error {
	t, realOut, cleanup, err := m.lineEditor(f)
	if err != nil {
		return err
	}
	defer cleanup()
	lines, next := m.readLinesAsync(ctx, t)
	// Leaving with the prompt on screen, end its line directly: the
	// editor's Write would redraw the prompt below what it prints.
	endLine := func() { io.WriteString(realOut, "\r\n") }
	for {
		select {
		case <-ctx.Done():
			endLine()
			return nil
		case r := <-lines:
			if r.err == io.EOF {
				endLine()
				return nil
			}
			if r.err != nil {
				return fmt.Errorf("reading input: %w", r.err)
			}
			if answer(r.line) {
				close(next)
				return nil
			}
			select {
			case next <- true:
			case <-ctx.Done():
				return nil
			}
		}
	}
}

// lineEditor puts the terminal in raw mode and routes the program's output
// and logs through a line editor on it. cleanup undoes both, in reverse
// order; the terminal is also restored on a panic (see restoreOnPanic).
func (m *Main) lineEditor(f *os.File) (t *term.Terminal, realOut io.Writer, cleanup func(), err error) {
	fd := int(f.Fd())
	old, err := term.MakeRaw(fd)
	if err != nil {
		return nil, nil, nil, fmt.Errorf("setting up the terminal: %w", err)
	}
	restore := sync.OnceFunc(func() { term.Restore(fd, old) })
	m.restoreTerm.Store(&restore)
	undo := []func(){restore}
	cleanup = func() {
		for i := len(undo) - 1; i >= 0; i-- {
			undo[i]()
		}
	}
	sw, _ := m.Stdout.(*switchWriter)
	realOut = f
	if sw != nil {
		realOut = sw.get()
	}
	in := &ctrlCReader{r: f}
	t = term.NewTerminal(struct {
		io.Reader
		io.Writer
	}{in, realOut}, "accountbot> ")
	in.onCtrlC(t)
	// A terminal that reports no size (a bare pseudo-terminal, some serial
	// consoles) says 0×0; the editor would then wrap after every character.
	if w, h, err := term.GetSize(fd); err == nil && w > 0 && h > 0 {
		t.SetSize(w, h)
	}
	if sw != nil {
		prev := sw.set(t) // output goes through the editor: CRLF in raw mode, prompt redrawn below it
		undo = append(undo, func() { sw.set(prev) })
	}
	if ew, ok := m.Stderr.(*switchWriter); ok {
		prev := ew.set(t)
		undo = append(undo, func() { ew.set(prev) })
	}
	return t, realOut, cleanup, nil
}

// lineRead is one line from the editor, or why reading stopped.
type lineRead struct {
	line string
	err  error
}

// readLinesAsync reads lines on its own goroutine, one at a time: it waits
// for true on next (the previous line is answered) before reading again, and
// stops on false, a closed next, a read error or ctx's end.
func (m *Main) readLinesAsync(ctx context.Context, t *term.Terminal) (<-chan lineRead, chan bool) {
	lines := make(chan lineRead)
	next := make(chan bool)
	go func() {
		defer m.restoreOnPanic()
		for {
			line, err := t.ReadLine()
			select {
			case lines <- lineRead{line, err}:
			case <-ctx.Done():
				return
			}
			if err != nil {
				return
			}
			select {
			case more := <-next:
				if !more {
					return
				}
			case <-ctx.Done():
				return
			}
		}
	}()
	return lines, next
}

// restoreOnPanic puts the terminal back in its old mode when the calling
// goroutine panics, then lets the panic continue. Every goroutine the
// console starts defers it: a panic anywhere must not leave the shell raw.
func (m *Main) restoreOnPanic() {
	if r := recover(); r != nil {
		if restore := m.restoreTerm.Load(); restore != nil {
			(*restore)()
		}
		panic(r)
	}
}

// ctrlC is a private-use rune the console maps Ctrl-C to: x/term's ReadLine
// ends the input on Ctrl-C itself, while the console clears the line instead.
const ctrlC = '\ue003'

// ctrlCReader maps Ctrl-C to ctrlC, which the line editor hands to its
// AutoCompleteCallback. Ctrl-C on a line with text clears it; Ctrl-C right
// after another Ctrl-C on an empty line exits (by feeding the editor a
// Ctrl-D, which ends an empty line). Each ctrlC ends the chunk returned by
// Read, so the editor has handled it before the next Read looks at quit.
type ctrlCReader struct {
	r       io.Reader
	pending []byte
	armed   bool // the last key was Ctrl-C on an empty line
	quit    bool
}

func (c *ctrlCReader) onCtrlC(t *term.Terminal) {
	t.AutoCompleteCallback = func(line string, pos int, key rune) (string, int, bool) {
		if key != ctrlC {
			return line, pos, false
		}
		switch {
		case line != "":
			c.armed = true
		case c.armed:
			c.quit = true
		default:
			c.armed = true
			fmt.Fprintln(t, "(Ctrl-C again, Ctrl-D or \"exit\" to quit)")
		}
		return "", 0, true
	}
}

func (c *ctrlCReader) Read(p []byte) (int, error) {
	if c.quit {
		c.quit = false
		p[0] = 4 // Ctrl-D on the now empty line: ReadLine returns io.EOF
		return 1, nil
	}
	if len(c.pending) == 0 {
		buf := make([]byte, len(p))
		n, err := c.r.Read(buf)
		if n == 0 {
			return 0, err
		}
		c.pending = buf[:n]
	}
	i := bytes.IndexByte(c.pending, 3)
	if i != 0 {
		c.armed = false // a key other than Ctrl-C
		if i < 0 {
			i = len(c.pending)
		}
		n := copy(p, c.pending[:i])
		c.pending = c.pending[n:]
		return n, nil
	}
	if len(p) < utf8.UTFMax {
		return 0, io.ErrShortBuffer
	}
	c.pending = c.pending[1:]
	return utf8.EncodeRune(p, ctrlC), nil
}

// switchWriter is an io.Writer whose destination can change safely while
// other goroutines write.
type switchWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (s *switchWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func (s *switchWriter) get() io.Writer {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w
}

func (s *switchWriter) set(w io.Writer) io.Writer {
	s.mu.Lock()
	defer s.mu.Unlock()
	prev := s.w
	s.w = w
	return prev
}
