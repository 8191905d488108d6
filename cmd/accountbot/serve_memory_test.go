package main

import "testing"

// serve's soft limit is its memory budget less the store's mappings outside
// the Go heap, and stays well above the Go memory the 100K book's store
// holds at rest (~110 MB: memtables, caches, pooled table builders), so
// that the GC is paced by garbage, not by memory it cannot free.
func TestServeMemoryLimitIsTheBudgetLessMappedTables(t *testing.T) {
	if got, want := defaultMemoryLimit, memoryBudget-mappedAllowance; got != want {
		t.Errorf("defaultMemoryLimit = %d MB; want the budget less the mapped tables, %d MB", got>>20, want>>20)
	}
	if memoryBudget > 300<<20 {
		t.Errorf("memory budget %d MB; issue 16 allows 300 MB", memoryBudget>>20)
	}
	if defaultMemoryLimit < 2*110<<20 {
		t.Errorf("defaultMemoryLimit = %d MB: under twice the store's resting heap, the GC would run on the limit", defaultMemoryLimit>>20)
	}
}
