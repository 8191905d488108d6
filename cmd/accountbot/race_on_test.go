//go:build race

package main

// raceEnabled: the race detector slows the program five- to twentyfold,
// so latency claims are checked with a wider bound (see alertWithin).
const raceEnabled = true
