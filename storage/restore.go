package storage

import "log/slog"

// RestoreOptions configures Restore.
type RestoreOptions struct {
	Replace    bool // replace a store that holds accounts
	Unverified bool // accept a format-1 backup, which has no checksum
	Logger     *slog.Logger
	// Swapped, if set, is called as soon as the restored store is in
	// place, before the old one is removed: a running serve rebinds its
	// control socket, which went away with the old directory.
	Swapped func()
}

// RestoreResult says what was restored.
type RestoreResult struct {
	Records, Accounts int64
	Verified          bool // the file's checksum and record count were checked
}
