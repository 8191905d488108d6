//go:build !linux

package badger

// ReleaseMapped does nothing outside Linux.
func (s *DB) ReleaseMapped() (int64, error) { return 0, nil }

// mappedResident is unknown outside Linux.
func mappedResident() int64 { return 0 }
