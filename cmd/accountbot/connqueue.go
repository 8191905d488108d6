package main

import (
	"net"
	"sync"
)

// connQueue accepts from one listener for a series of servers: each gets
// a listener whose Close ends only its own accepting, so serve's HTTP port
// stays open while the bot restarts around a restore, and a connection
// is never refused in between (it waits for the next server).
type connQueue struct {
	ln    net.Listener
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
}

func newConnQueue(ln net.Listener) *connQueue {
	q := &connQueue{ln: ln, conns: make(chan net.Conn), done: make(chan struct{})}
	go q.accept()
	return q
}

func (q *connQueue) accept() {
	for {
		c, err := q.ln.Accept()
		if err != nil {
			q.close()
			return
		}
		select {
		case q.conns <- c:
		case <-q.done:
			c.Close()
			return
		}
	}
}

// close stops accepting for good and closes the port.
func (q *connQueue) close() {
	q.once.Do(func() {
		close(q.done)
		q.ln.Close()
	})
}

// listener is one server's share of the queue.
func (q *connQueue) listener() *queueListener {
	return &queueListener{q: q, closed: make(chan struct{})}
}

type queueListener struct {
	q      *connQueue
	closed chan struct{}
	once   sync.Once
	// accepting, if set, is closed at the first Accept: the server using
	// this listener is up (a live restore answers its client then).
	accepting chan struct{}
	started   sync.Once
}

func (l *queueListener) Accept() (net.Conn, error) {
	l.started.Do(func() {
		if l.accepting != nil {
			close(l.accepting)
		}
	})
	select {
	case <-l.closed:
		return nil, net.ErrClosed
	case <-l.q.done:
		return nil, net.ErrClosed
	case c := <-l.q.conns:
		select {
		case <-l.closed: // closed meanwhile: leave the connection to the next server
			go l.q.requeue(c)
			return nil, net.ErrClosed
		default:
			return c, nil
		}
	}
}

func (q *connQueue) requeue(c net.Conn) {
	select {
	case q.conns <- c:
	case <-q.done:
		c.Close()
	}
}

func (l *queueListener) Close() error {
	l.once.Do(func() { close(l.closed) })
	return nil
}

func (l *queueListener) Addr() net.Addr { return l.q.ln.Addr() }
