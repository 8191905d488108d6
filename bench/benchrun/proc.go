package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// What the bench reads of a process from /proc: its memory figures
// (/proc/PID/status) and CPU times (/proc/PID/stat).

// statusMB returns the named /proc/PID/status fields ("VmRSS", "VmHWM",
// "RssAnon"…, all in kB there) in MB; a field it cannot read is 0.
func statusMB(pid int, names ...string) []float64 {
	out := make([]float64, len(names))
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "status"))
	if err != nil {
		return out
	}
	for _, l := range strings.Split(string(b), "\n") {
		f := strings.Fields(l)
		if len(f) < 2 {
			continue
		}
		for i, n := range names {
			if f[0] == n+":" {
				kb, _ := strconv.Atoi(f[1])
				out[i] = float64(kb) / 1024
			}
		}
	}
	return out
}

// rssMB is the process's resident set (VmRSS).
func rssMB(pid int) float64 { return statusMB(pid, "VmRSS")[0] }

// hwmMB is the process's resident high-water mark (VmHWM) since it started.
func hwmMB(pid int) float64 { return statusMB(pid, "VmHWM")[0] }

// rssParts is the process's RSS and its anonymous and file-backed parts
// (RssAnon, RssFile), in MB.
func rssParts(pid int) (rss, anon, file float64) {
	v := statusMB(pid, "VmRSS", "RssAnon", "RssFile")
	return v[0], v[1], v[2]
}

// statFields is /proc/PID/stat's fields from the state on, after the
// command name (which may hold spaces); nil when the process is gone.
func statFields(pid int) []string {
	b, err := os.ReadFile(filepath.Join("/proc", strconv.Itoa(pid), "stat"))
	if err != nil {
		return nil
	}
	return strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
}

// statTime sums the stat fields at i and j (statFields), clock ticks of
// 1/100 s on Linux, as a duration.
func statTime(pid, i, j int) time.Duration {
	f := statFields(pid)
	if len(f) <= max(i, j) {
		return 0
	}
	a, _ := strconv.ParseInt(f[i], 10, 64)
	c, _ := strconv.ParseInt(f[j], 10, 64)
	return time.Duration(a+c) * 10 * time.Millisecond
}

// ppid is a process's parent, 0 when it is gone.
func ppid(pid int) int {
	f := statFields(pid)
	if len(f) < 2 {
		return 0
	}
	p, _ := strconv.Atoi(f[1])
	return p
}

// procCPU is a process's user+system CPU time so far (utime, stime).
func procCPU(pid int) time.Duration { return statTime(pid, 11, 12) }

// childrenCPU is a process's exited and waited-for children's CPU time
// (cutime, cstime).
func childrenCPU(pid int) time.Duration { return statTime(pid, 13, 14) }
