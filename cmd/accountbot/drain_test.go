package main

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"testing"
	"time"
)

// A connection accepted before the server began to stop, whose request
// arrives afterwards, is answered: net/http's Shutdown alone closes it
// unanswered (the EOF that live restores showed now and then).
func TestStoppingAnswersAnAcceptedConnection(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	d := newDrained(&http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("ok"))
	})}, ln)
	served := make(chan error, 1)
	go func() { served <- d.serve() }()
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for i := 0; d.open.Load() == 0; i++ { // accepted, nothing sent yet
		if i > 1000 {
			t.Fatal("the connection was not accepted")
		}
		time.Sleep(time.Millisecond)
	}
	stopped := make(chan error, 1)
	go func() { stopped <- d.stop(context.Background()) }()
	time.Sleep(50 * time.Millisecond) // stopping has begun
	if _, err := c.Write([]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	c.SetReadDeadline(time.Now().Add(5 * time.Second))
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("the request sent while stopping was not answered: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("answer while stopping: %d, want 200", resp.StatusCode)
	}
	if err := <-stopped; err != nil {
		t.Errorf("stop: %v", err)
	}
	if err := <-served; err != nil {
		t.Errorf("serve after stop: %v (a listener closed by stop is not an error)", err)
	}
	if _, err := net.DialTimeout("tcp", ln.Addr().String(), time.Second); err == nil {
		t.Error("the listener still accepts after stop")
	}
}
