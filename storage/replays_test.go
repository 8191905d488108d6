package storage

import (
	"context"
	"testing"
	"time"
)

func TestEventSeenDoesNotRecord(t *testing.T) {
	db, _ := openTemp(t)
	ctx := context.Background()
	if seen, err := db.EventSeen(ctx, "stripe", "evt_1"); err != nil || seen {
		t.Fatalf("unknown event seen=%v err=%v", seen, err)
	}
	if seen, _ := db.EventSeen(ctx, "stripe", "evt_1"); seen {
		t.Fatal("EventSeen recorded the id")
	}
	if first, err := db.FirstSeen(ctx, "stripe", "evt_1", time.Hour); err != nil || !first {
		t.Fatalf("FirstSeen first=%v err=%v", first, err)
	}
	if seen, _ := db.EventSeen(ctx, "stripe", "evt_1"); !seen {
		t.Error("recorded event not seen")
	}
	if seen, _ := db.EventSeen(ctx, "slack", "evt_1"); seen {
		t.Error("another platform's id space")
	}
}
