// Package cputime reads this process's CPU time, so a benchmark can report
// CPU per operation: on a shared machine that is a steadier figure than
// wall time, which counts the time other processes held the cores.
package cputime
