package storage

import (
	"time"

	"github.com/accountbot/accountbot/domain"
)

const (
	// SegmentDedupeTTL is how long a messageId is remembered. Segment
	// retries for hours, not weeks.
	SegmentDedupeTTL = 30 * 24 * time.Hour
	// SegmentActiveTTL bounds the per-user daily markers; a replay of
	// events older than this could count a user twice on that old day.
	SegmentActiveTTL = 45 * 24 * time.Hour
)

// SegmentIn is an event to accept: its messageId and its raw JSON.
type SegmentIn struct {
	MessageID string
	Raw       []byte
}

// InboxItem is an accepted event waiting to be applied.
type InboxItem struct {
	Seq uint64
	Raw []byte
}

// SegmentTrack adds a track event to an account's usage snapshot of a day.
type SegmentTrack struct {
	AccountID string
	Date      domain.Date
	UserID    string // counted once per account per day in active_users
	Usage     int64  // added to usage
	Tickets   int    // added to tickets
}

// SegmentEffect is what applying one inbox item writes; all parts optional.
type SegmentEffect struct {
	Seq       uint64
	Member    [2]string // {userId, account id}: remember the user's account
	Track     *SegmentTrack
	Unmatched *domain.UnmatchedRecord
}
