package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// Tests that run the real binary (the console on a pseudo-terminal, serve,
// import, restore, replicas) build it once per test run.

var (
	binDir   string // the test binary's temporary directory, removed by TestMain
	buildBin sync.Once
	binPath  string
	binErr   error
)

func TestMain(m *testing.M) {
	d, err := os.MkdirTemp("", "accountbot-test-bin")
	if err != nil {
		panic(err)
	}
	binDir = d
	code := m.Run()
	os.RemoveAll(d)
	os.Exit(code)
}

// binary builds cmd/accountbot once per test run (only when a test needs it).
func binary(t *testing.T) string {
	t.Helper()
	buildBin.Do(func() {
		binPath = filepath.Join(binDir, "accountbot")
		out, err := exec.Command("go", "build", "-o", binPath, ".").CombinedOutput()
		if err != nil {
			binErr = err
			binPath = string(out)
		}
	})
	if binErr != nil {
		t.Fatalf("building accountbot: %v\n%s", binErr, binPath)
	}
	return binPath
}

// childEnv is a clean environment: no chat credentials, so serve opens the console.
func childEnv() []string {
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.TempDir(), "TERM=xterm", "TZ=UTC"}
}
