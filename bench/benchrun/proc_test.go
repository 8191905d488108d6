package main

import (
	"os"
	"testing"
)

// The /proc readers read this process as the kernel reports it.
func TestProcReaders(t *testing.T) {
	pid := os.Getpid()
	rss, anon, file := rssParts(pid)
	if rss <= 0 || anon <= 0 || file < 0 || anon > rss {
		t.Errorf("rss %v, anon %v, file %v", rss, anon, file)
	}
	if hwm := hwmMB(pid); hwm < anon {
		t.Errorf("VmHWM %v below RssAnon %v", hwm, anon)
	}
	x := 0
	for i := range 50_000_000 {
		x += i % 7
	}
	if procCPU(pid) <= 0 || x == 0 {
		t.Error("no CPU time after a busy loop")
	}
	if got := ppid(pid); got != os.Getppid() {
		t.Errorf("ppid = %d, want %d", got, os.Getppid())
	}
	if ppid(1<<30) != 0 || procCPU(1<<30) != 0 || rssMB(1<<30) != 0 {
		t.Error("a process that does not exist reads as non-zero")
	}
}
