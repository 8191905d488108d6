package badger

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"

	"github.com/dgraph-io/badger/v4/pb"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"

	"github.com/accountbot/accountbot/domain"
)

// A backup file (format 2) is:
//
//	"ACCOUNTBOT-BACKUP 2\n"               20-byte header
//	{ u64 LE n | n bytes }…               Badger's backup stream: frames of protobuf pb.KVList, n < 256 MiB
//	u64 LE 0xFFFFFFFFFFFFFFFF             end of frames (no frame is that long)
//	u64 LE records                        number of KV records in the frames
//	32 bytes                              SHA-256 of every byte before it (header through records)
//
// Format 1 (header "ACCOUNTBOT-BACKUP 1\n") had the frames only, so a copy
// cut at a frame boundary could not be told from a whole one.
const (
	backupMagicV1 = "ACCOUNTBOT-BACKUP 1\n"
	backupMagic   = "ACCOUNTBOT-BACKUP 2\n"
	backupPrefix  = "ACCOUNTBOT-BACKUP "
	endOfFrames   = ^uint64(0)
	maxFrame      = 256 << 20
	bitDelete     = 1 // Badger's tombstone bit in pb.KV.Meta
)

// Backup writes a full, consistent backup of the live store to w, ending
// with the trailer that lets Restore prove the copy whole. It runs on a
// snapshot while the store keeps serving.
func (s *DB) Backup(ctx context.Context, w io.Writer) error {
	h := sha256.New()
	if _, err := io.WriteString(io.MultiWriter(w, h), backupMagic); err != nil {
		return fmt.Errorf("writing backup: %w", err)
	}
	fc := &frameCounter{ctx: ctx}
	if _, err := s.db.Backup(io.MultiWriter(w, h, fc), 0); err != nil {
		return fmt.Errorf("writing backup: %w", err)
	}
	if len(fc.buf) != 0 {
		return errors.New("writing backup: Badger's stream ended inside a frame")
	}
	var t [16]byte
	binary.LittleEndian.PutUint64(t[0:], endOfFrames)
	binary.LittleEndian.PutUint64(t[8:], uint64(fc.records))
	h.Write(t[:])
	if _, err := w.Write(h.Sum(t[:])); err != nil {
		return fmt.Errorf("writing backup trailer: %w", err)
	}
	return nil
}

// frameCounter counts the KV records in the frames written through it,
// however the writes split them, and stops the backup when ctx ends.
type frameCounter struct {
	ctx     context.Context
	buf     []byte
	records int64
}

func (c *frameCounter) Write(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	c.buf = append(c.buf, p...)
	for len(c.buf) >= 8 {
		n := binary.LittleEndian.Uint64(c.buf)
		if n > maxFrame {
			return 0, fmt.Errorf("frame of %d bytes", n)
		}
		if uint64(len(c.buf)-8) < n {
			break
		}
		frame := c.buf[8 : 8+n]
		for len(frame) > 0 {
			num, typ, l := protowire.ConsumeTag(frame)
			if l < 0 {
				return 0, errors.New("undecodable frame")
			}
			m := protowire.ConsumeFieldValue(num, typ, frame[l:])
			if m < 0 {
				return 0, errors.New("undecodable frame")
			}
			if num == 1 { // KVList.kv
				c.records++
			}
			frame = frame[l+m:]
		}
		c.buf = append(c.buf[:0], c.buf[8+n:]...)
	}
	return len(p), nil
}

// backupInfo is what a full check of a backup file found.
type backupInfo struct {
	Format    int   // 1 (no trailer) or 2
	FramesEnd int64 // offset just after the last frame
	Records   int64 // KV records in the frames
	// Live and Accounts are the keys a store loaded from the backup must
	// show: those whose newest version is not a tombstone, without a TTL
	// (which may expire between backup and check); Accounts are those of
	// them that are account records.
	Live, Accounts int64
}

// verifyBackup reads a whole backup and checks its header, every frame,
// and (format 2) the record count and checksum in its trailer.
func verifyBackup(r io.Reader) (backupInfo, error) {
	var info backupInfo
	bad := func(format string, a ...any) (backupInfo, error) {
		return info, domain.Errorf(domain.EINVALID, format, a...)
	}
	br := bufio.NewReaderSize(r, 1<<16)
	head := make([]byte, len(backupMagic))
	if n, _ := io.ReadFull(br, head); n < len(head) || !bytes.HasPrefix(head, []byte(backupPrefix)) {
		return bad("it is not an AccountBot backup (no ACCOUNTBOT-BACKUP header)")
	}
	switch string(head) {
	case backupMagic:
		info.Format = 2
	case backupMagicV1:
		info.Format = 1
	default:
		return bad("its header %q names a backup format this AccountBot does not know (damaged, or made by a newer version)", bytes.TrimSpace(head))
	}
	var h hash.Hash = sha256.New()
	h.Write(head)
	off, frames := int64(len(head)), 0
	var prevKey []byte
	buf := make([]byte, 0, 1<<16)
	for {
		var lb [8]byte
		n, err := io.ReadFull(br, lb[:])
		if n == 0 && errors.Is(err, io.EOF) {
			if info.Format == 1 && frames > 0 {
				info.FramesEnd = off
				return info, nil
			}
			if frames == 0 {
				return bad("it is truncated: it ends after its %d-byte header, with no data and no trailer (the copy is incomplete)", off)
			}
			return bad("it is truncated: it ends at byte %d after %d frame(s), without its trailer (the copy is incomplete)", off, frames)
		} else if err != nil {
			return bad("it is truncated inside a frame header at byte %d (the copy is incomplete)", off)
		}
		sz := binary.LittleEndian.Uint64(lb[:])
		if sz == endOfFrames && info.Format == 2 {
			info.FramesEnd = off
			h.Write(lb[:])
			return verifyTrailer(br, h, info, off+8)
		}
		if sz > maxFrame {
			return bad("the frame at byte %d claims %d bytes: the file is damaged", off, sz)
		}
		h.Write(lb[:])
		if uint64(cap(buf)) < sz {
			buf = make([]byte, sz)
		}
		if _, err := io.ReadFull(br, buf[:sz]); err != nil {
			return bad("it is truncated inside the frame at byte %d (the copy is incomplete)", off)
		}
		h.Write(buf[:sz])
		var list pb.KVList
		if err := proto.Unmarshal(buf[:sz], &list); err != nil {
			return bad("the frame at byte %d cannot be decoded: the file is damaged", off)
		}
		for _, kv := range list.Kv {
			info.Records++
			// Versions of a key come together, newest first.
			if bytes.Equal(kv.Key, prevKey) {
				continue
			}
			prevKey = kv.Key
			if (len(kv.Meta) == 0 || kv.Meta[0]&bitDelete == 0) && kv.ExpiresAt == 0 {
				info.Live++
				if bytes.HasPrefix(kv.Key, prefixAccount) {
					info.Accounts++
				}
			}
		}
		off += 8 + int64(sz)
		frames++
	}
}

// verifyTrailer checks the record count and the checksum after the end
// marker, and that nothing follows them.
func verifyTrailer(br *bufio.Reader, h hash.Hash, info backupInfo, off int64) (backupInfo, error) {
	var t [8 + sha256.Size]byte
	if _, err := io.ReadFull(br, t[:]); err != nil {
		return info, domain.Errorf(domain.EINVALID, "it is truncated inside its trailer at byte %d (the copy is incomplete)", off)
	}
	h.Write(t[:8])
	if !bytes.Equal(h.Sum(nil), t[8:]) {
		return info, domain.Errorf(domain.EINVALID, "its SHA-256 checksum does not match its content: the file was damaged or changed after it was written")
	}
	if n := binary.LittleEndian.Uint64(t[:8]); n != uint64(info.Records) {
		return info, domain.Errorf(domain.EINVALID, "its trailer counts %d records but it holds %d: the file is damaged", n, info.Records)
	}
	if _, err := br.ReadByte(); err == nil {
		return info, domain.Errorf(domain.EINVALID, "it has data after its trailer at byte %d: the file is damaged or two files were joined", off+int64(len(t)))
	}
	return info, nil
}
