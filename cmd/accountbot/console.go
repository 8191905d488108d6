package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"

	"golang.org/x/term"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/storage/demo"
)

func (m *Main) runConsole(ctx context.Context, fromServe bool) error {
	fs := m.subFlags("console", "console [--as EMAIL]")
	as := fs.String("as", m.Getenv("ACCOUNTBOT_USER"), "who you are (e-mail), for \"my\" portfolio")
	if !fromServe {
		if _, err := parseInterleaved(fs, m.Args); err != nil {
			return err
		}
	}
	e, err := m.engine(ctx)
	if err != nil {
		return err
	}
	empty, err := m.db.Empty(ctx)
	if err != nil {
		return err
	}
	if empty {
		start := time.Now()
		st, err := m.loadDemo(ctx, demo.Defaults(m.today()))
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stderr, "The store in %s was empty: loaded the demo book (%d accounts) in %s.\n", m.DataDir, st.Created, time.Since(start).Round(time.Millisecond))
	}
	gcCtx, stopGC := context.WithCancel(ctx)
	var bg sync.WaitGroup
	defer func() { stopGC(); bg.Wait() }() // background work ends before the store closes
	bg.Go(func() { m.db.RunGC(gcCtx, 10*time.Minute) })
	// Replies and nudges share one output, switched to the line editor in
	// interactive mode (which redraws the prompt around printed nudges).
	out := &switchWriter{w: m.Stdout}
	m.Stdout = out
	if fromServe {
		// With no chat platform, nudges are printed here as they fall due.
		sched := m.scheduler(e, &consoleNotifier{w: out})
		e.Nudges = sched
		bg.Go(func() { sched.Run(gcCtx, m.Now) })
	}

	user := bot.User{Email: strings.ToLower(*as), Platform: "console"}
	example := "acct-00001"
	if top, _, err := e.TopFor(ctx, "", m.today(), 1); err == nil && len(top) == 1 {
		example = top[0].Name
	}
	fmt.Fprintf(m.Stdout, "AccountBot console. Try: account %s health · portfolio top · portfolio renewals · help\n", example)
	fmt.Fprintln(m.Stdout, `Type "as <email>" to ask as a CSM (e.g. as ana@example.com), "exit" to quit.`)

	answer := func(line string) (quit bool) {
		line = strings.TrimSpace(line)
		switch {
		case line == "":
			return false
		case line == "exit" || line == "quit":
			return true
		case strings.HasPrefix(line, "as "):
			user.Email = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(line, "as ")))
			fmt.Fprintf(m.Stdout, "Now asking as %s.\n", user.Email)
			return false
		}
		msg := e.Handle(ctx, bot.Request{Text: line, Now: m.Now(), User: user})
		fmt.Fprintln(m.Stdout, bot.RenderText(msg))
		return false
	}

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

// interactive runs a line editor with history (arrow keys) on a terminal.
func (m *Main) interactive(ctx context.Context, f *os.File, answer func(string) bool) error {
	old, err := term.MakeRaw(int(f.Fd()))
	if err != nil {
		return fmt.Errorf("setting up the terminal: %w", err)
	}
	defer term.Restore(int(f.Fd()), old)
	t := term.NewTerminal(struct {
		io.Reader
		io.Writer
	}{f, m.Stdout}, "accountbot> ")
	if w, h, err := term.GetSize(int(f.Fd())); err == nil {
		t.SetSize(w, h)
	}
	if sw, ok := m.Stdout.(*switchWriter); ok {
		prev := sw.set(t) // output goes through the terminal so raw mode renders newlines
		defer sw.set(prev)
	}
	for ctx.Err() == nil {
		line, err := t.ReadLine()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading input: %w", err)
		}
		if answer(line) {
			return nil
		}
	}
	return nil
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

func (s *switchWriter) set(w io.Writer) io.Writer {
	s.mu.Lock()
	defer s.mu.Unlock()
	prev := s.w
	s.w = w
	return prev
}
