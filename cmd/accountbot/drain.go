package main

import (
	"context"
	"errors"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// drainWait bounds how long stopping a server waits for connections that
// were accepted but have sent nothing yet (a client that pre-connects);
// after it they are shut down as net/http does.
const drainWait = 2 * time.Second

// drained is an HTTP server that stops without dropping a request. Once
// net/http's Shutdown has begun, a connection whose request it reads is
// closed unanswered (the client sees EOF), and a connection accepted just
// before the listener closed has usually not sent its request yet. So
// stopping first closes the listener and turns keep-alives off (every
// request already sent is answered, with "Connection: close"), waits
// until the server's connections are gone, and only then shuts down.
// serve's generations and the restore's gap server share one port
// (connqueue.go), so this is what keeps the port answering across a live
// restore.
type drained struct {
	srv      *http.Server
	ln       net.Listener
	open     atomic.Int64
	stopping atomic.Bool
}

func newDrained(srv *http.Server, ln net.Listener) *drained {
	d := &drained{srv: srv, ln: ln}
	prev := srv.ConnState
	srv.ConnState = func(c net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			d.open.Add(1)
		case http.StateClosed, http.StateHijacked:
			d.open.Add(-1)
		}
		if prev != nil {
			prev(c, s)
		}
	}
	return d
}

// serve serves until stop; a listener closed by stop is not an error.
func (d *drained) serve() error {
	err := d.srv.Serve(d.ln)
	if errors.Is(err, http.ErrServerClosed) || d.stopping.Load() {
		return nil
	}
	return err
}

// stop drains the server, then shuts it down within ctx.
func (d *drained) stop(ctx context.Context) error {
	d.stopping.Store(true)
	d.srv.SetKeepAlivesEnabled(false)
	d.ln.Close()
	wait, cancel := context.WithTimeout(ctx, drainWait)
	defer cancel()
	tick := time.NewTicker(2 * time.Millisecond)
	defer tick.Stop()
	for d.open.Load() > 0 {
		select {
		case <-wait.Done():
			return d.srv.Shutdown(ctx)
		case <-tick.C:
		}
	}
	return d.srv.Shutdown(ctx)
}
