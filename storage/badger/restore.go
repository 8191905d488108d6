package badger

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"github.com/accountbot/accountbot/storage"
	"io"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/dgraph-io/badger/v4"

	"github.com/accountbot/accountbot/domain"
)

// Restore replaces the store in dir (which must not be open) with the
// backup in r. Nothing in dir changes until everything has been checked:
// the whole file (header, every frame, the trailer's record count and
// SHA-256); then the backup is loaded into a staging directory next to dir,
// its key and account counts are compared with the file's, and the staged
// store is reopened. Only then is it swapped in by two renames; the old
// store is removed once the new one is in place, and Open finishes or
// undoes a swap a crash interrupted.
func Restore(ctx context.Context, dir string, r io.ReadSeeker, opt storage.RestoreOptions) (storage.RestoreResult, error) {
	var res storage.RestoreResult
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs // rename cannot move "."
	}
	info, err := verifyBackup(r)
	if err != nil {
		return res, err
	}
	if info.Format == 1 && !opt.Unverified {
		return res, domain.Errorf(domain.EINVALID, "it was made by an older AccountBot and has no checksum trailer, so it cannot be verified (a copy cut short would look whole); pass --unverified to restore it anyway")
	}
	res.Records, res.Verified = info.Records, info.Format == 2
	if err := recoverSwap(dir); err != nil {
		return res, err
	}
	if err := checkLive(ctx, dir, opt); err != nil {
		return res, err
	}
	staging, old := siblings(dir)
	if err := os.RemoveAll(staging); err != nil {
		return res, fmt.Errorf("clearing %s left by an earlier restore: %w", staging, err)
	}
	if _, err := r.Seek(int64(len(backupMagic)), io.SeekStart); err != nil {
		return res, fmt.Errorf("rewinding backup: %w", err)
	}
	frames := io.LimitReader(r, info.FramesEnd-int64(len(backupMagic)))
	if res.Accounts, err = stage(ctx, staging, frames, info, opt.Logger); err != nil {
		os.RemoveAll(staging)
		return res, err
	}
	if err := swapIn(dir, staging, old, opt.Swapped); err != nil {
		if _, serr := os.Lstat(dir); serr == nil {
			os.RemoveAll(staging) // the old store is in place: the copy is not needed
		}
		return res, err
	}
	return res, nil
}

// VerifyBackup reads the whole backup and checks it as Restore does first
// (header, every frame, the trailer's record count and checksum), without
// touching any store: a running serve answers a restore with it. verified
// is false for a format-1 backup, which has no checksum to check.
func VerifyBackup(r io.Reader) (records int64, verified bool, err error) {
	info, err := verifyBackup(r)
	if err != nil {
		return 0, false, err
	}
	return info.Records, info.Format == 2, nil
}

// checkLive refuses to replace a store that holds accounts without
// opt.Replace, and one that is open elsewhere.
func checkLive(ctx context.Context, dir string, opt storage.RestoreOptions) error {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && len(entries) == 0) {
		return nil
	} else if err != nil {
		return fmt.Errorf("reading data directory %s: %w", dir, err)
	}
	// The whole directory is swapped, so it must hold only the store.
	for _, e := range entries {
		if !storeFile(e.Name()) {
			return domain.Errorf(domain.EINVALID, "the data directory %s holds %s, which is not part of the store; restore replaces the whole directory, so move that elsewhere first", dir, e.Name())
		}
	}
	live, err := Open(ctx, dir, Options{Logger: opt.Logger})
	if err != nil {
		return err
	}
	defer live.Close()
	empty, err := live.Empty(ctx)
	if err != nil {
		return err
	}
	if !empty && !opt.Replace {
		return domain.Errorf(domain.ECONFLICT, "the store in %s already holds accounts; restore into an empty --data directory, or pass --replace to overwrite it", dir)
	}
	return nil
}

// storeFile reports whether a data-directory entry belongs to the store.
func storeFile(name string) bool {
	switch name {
	case "MANIFEST", "KEYREGISTRY", "LOCK", "DISCARD", "control.sock":
		return true
	}
	for _, ext := range []string{".sst", ".vlog", ".mem"} {
		if strings.HasSuffix(name, ext) {
			return true
		}
	}
	return false
}

// stage loads the frames into a new store in dir, checks its counts
// against the file's, migrates it, and reopens it as Open would. It
// returns the number of accounts.
func stage(ctx context.Context, dir string, frames io.Reader, info backupInfo, log *slog.Logger) (int64, error) {
	s, err := openBadger(dir, Options{Logger: log})
	if err != nil {
		return 0, err
	}
	if err := s.db.Load(bufio.NewReaderSize(frames, 1<<16), 256); err != nil {
		s.db.Close()
		return 0, domain.Errorf(domain.EINVALID, "it could not be loaded: %v", err)
	}
	live, accounts, err := s.countLive()
	if err == nil && (live != info.Live || accounts != info.Accounts) {
		err = domain.Errorf(domain.EINVALID, "the loaded copy holds %d records and %d accounts where the file has %d and %d", live, accounts, info.Live, info.Accounts)
	}
	if err == nil {
		err = s.migrate(ctx)
	}
	if err == nil {
		err = s.Sync()
	}
	if cerr := s.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	// Reopen it the way serve will: this also rolls back an import the
	// backup caught unfinished.
	s, err = Open(ctx, dir, Options{Logger: log})
	if err != nil {
		return 0, fmt.Errorf("reopening the restored store: %w", err)
	}
	defer s.Close()
	_, accounts, err = s.countLive()
	return accounts, err
}

// countLive counts the keys without a TTL, and the account records among them.
func (s *DB) countLive() (live, accounts int64, err error) {
	err = s.db.View(func(txn *badger.Txn) error {
		it := txn.NewIterator(badger.IteratorOptions{})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			item := it.Item()
			if item.ExpiresAt() != 0 {
				continue
			}
			live++
			if bytes.HasPrefix(item.Key(), prefixAccount) {
				accounts++
			}
		}
		return nil
	})
	if err != nil {
		err = fmt.Errorf("counting records: %w", err)
	}
	return live, accounts, err
}

// siblings names the staging directory and the place the old store waits
// during a swap: hidden, next to dir, so the renames stay on one filesystem.
func siblings(dir string) (staging, old string) {
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs // "." has no name to put a sibling next to
	}
	parent, base := filepath.Dir(dir), filepath.Base(dir)
	return filepath.Join(parent, "."+base+".restore-staging"), filepath.Join(parent, "."+base+".restore-old")
}

// Swapping reports whether a restore is swapping the store in dir: the old
// store is set aside and not yet removed (or a crash interrupted the swap,
// which the next Open finishes or undoes). A running serve's control
// socket goes and comes back with the directory meanwhile.
func Swapping(dir string) bool {
	_, old := siblings(dir)
	_, err := os.Lstat(old)
	return err == nil
}

// swapIn moves staging to dir, keeping the old store at old until the new
// one is in place.
func swapIn(dir, staging, old string, swapped func()) error {
	had := true
	if err := os.Rename(dir, old); errors.Is(err, fs.ErrNotExist) {
		had = false
	} else if err != nil {
		return fmt.Errorf("moving the old store aside: %w", err)
	}
	if err := os.Rename(staging, dir); err != nil {
		if had {
			if rerr := os.Rename(old, dir); rerr != nil {
				return fmt.Errorf("putting the restored store in place: %w; the old store is at %s and the restored one at %s", err, old, staging)
			}
		}
		return fmt.Errorf("putting the restored store in place (the old store was kept): %w", err)
	}
	syncDir(filepath.Dir(filepath.Clean(dir)))
	if swapped != nil {
		swapped()
	}
	if had {
		if err := os.RemoveAll(old); err != nil {
			return fmt.Errorf("restored, but removing the old store at %s: %w", old, err)
		}
	}
	return nil
}

// recoverSwap finishes or undoes a swap a crash interrupted: with dir gone
// the restore never completed and the old store goes back; with both, the
// new store is in place and the old one can go.
func recoverSwap(dir string) error {
	_, old := siblings(dir)
	if _, err := os.Lstat(old); err != nil {
		return nil
	}
	if _, err := os.Lstat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := os.Rename(old, dir); err != nil {
			return fmt.Errorf("putting back the store an interrupted restore moved to %s: %w", old, err)
		}
		syncDir(filepath.Dir(filepath.Clean(dir)))
		return nil
	}
	if err := os.RemoveAll(old); err != nil {
		return fmt.Errorf("removing %s left by an interrupted restore: %w", old, err)
	}
	return nil
}

// syncDir makes renames in dir durable; best effort, as not every
// filesystem supports syncing a directory.
func syncDir(dir string) {
	if f, err := os.Open(dir); err == nil {
		f.Sync()
		f.Close()
	}
}
