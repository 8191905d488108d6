package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"

	"github.com/accountbot/accountbot/domain"
)

// writeFileAtomically writes dst through dst.partial and a rename, so a
// crash leaves the old file or the whole new one, never half of one. A
// destination that exists and is not a regular file (a named pipe,
// /dev/null, a tape) is written in place: renaming over it would replace the
// device with a file, which is how `backup /dev/null` once turned the
// machine's /dev/null into an ordinary file.
func writeFileAtomically(dst string, write func(io.Writer) error) error {
	if fi, err := os.Stat(dst); err == nil && !fi.Mode().IsRegular() {
		if fi.IsDir() {
			return domain.Errorf(domain.EINVALID, "%s is a directory: give a file name inside it", dst)
		}
		return writeInPlace(dst, write)
	} else if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return domain.Errorf(domain.EINVALID, "cannot write %s: %v", dst, err)
	}
	tmp := dst + ".partial"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return domain.Errorf(domain.EINVALID, "cannot write %s: %v", dst, err)
	}
	if err := write(f); err != nil {
		f.Close()
		os.Remove(tmp)
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		os.Remove(tmp)
		return fmt.Errorf("syncing %s: %w", tmp, err)
	}
	if err := f.Close(); err != nil {
		os.Remove(tmp)
		return fmt.Errorf("closing %s: %w", tmp, err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("moving %s into place: %w", tmp, err)
	}
	return nil
}

// writeInPlace streams to a device or pipe that is already there.
func writeInPlace(dst string, write func(io.Writer) error) error {
	f, err := os.OpenFile(dst, os.O_WRONLY, 0)
	if err != nil {
		return domain.Errorf(domain.EINVALID, "cannot write %s: %v", dst, err)
	}
	if err := write(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
