package bot

import (
	"context"
	"time"
)

// SyncStatus is what the engine needs of the CRM, support and billing
// sync for `portfolio sync`: each source's last run. The cmd wiring sets
// it from the store; nil means the process has no store of sync runs.
type SyncStatus interface {
	SyncSources(ctx context.Context) ([]SyncSource, error)
}

// SyncSource is one source's state as `portfolio sync` shows it.
type SyncSource struct {
	Source        string    `json:"source"`
	LastRun       time.Time `json:"last_run,omitzero"`
	NextRun       time.Time `json:"next_run,omitzero"`
	Read          int       `json:"read"`
	Changed       int       `json:"changed"`
	Refused       int       `json:"refused"`
	Cursor        string    `json:"cursor,omitempty"`
	LastError     string    `json:"last_error,omitempty"`
	WritesPending int       `json:"writes_pending"`
	WritesFailed  int       `json:"writes_failed"`
}
