package nudge_test

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/bot/nudge"
)

// platform is a notifier that knows some recipients and, optionally,
// what it delivered.
type platform struct {
	name     string
	knows    map[string]bool
	sent     map[string]bool
	checkErr error
	zone     string
}

func (p *platform) Notify(ctx context.Context, to bot.Recipient, m *bot.Message, key string) error {
	if !p.knows[to.String()] {
		return fmt.Errorf("%w: %s on %s", bot.ErrUnknownRecipient, to, p.name)
	}
	p.sent[key] = true
	return nil
}

type checkingPlatform struct{ *platform }

func (p checkingPlatform) Delivered(ctx context.Context, to bot.Recipient, key string) (bool, error) {
	return p.sent[key], p.checkErr
}

func (p checkingPlatform) TimeZone(ctx context.Context, email string) (*time.Location, error) {
	if p.zone == "" {
		return nil, errors.New("no zone")
	}
	return time.LoadLocation(p.zone)
}

var errDown = errors.New("slack is down")

func TestNotifiersFanOut(t *testing.T) {
	ctx := context.Background()
	slack := &platform{name: "slack", knows: map[string]bool{"ana@example.com": true}, sent: map[string]bool{}}
	teams := &platform{name: "teams", knows: map[string]bool{"bo@example.com": true, "ana@example.com": true}, sent: map[string]bool{}}
	ns := nudge.Notifiers{checkingPlatform{slack}, teams}

	// The first platform that knows the recipient delivers; the others are not tried.
	if err := ns.Notify(ctx, bot.Recipient{Email: "ana@example.com"}, &bot.Message{}, "k1"); err != nil || !slack.sent["k1"] || teams.sent["k1"] {
		t.Errorf("ana: %v slack %v teams %v", err, slack.sent, teams.sent)
	}
	if err := ns.Notify(ctx, bot.Recipient{Email: "bo@example.com"}, &bot.Message{}, "k2"); err != nil || !teams.sent["k2"] {
		t.Errorf("bo: %v", err)
	}
	if err := ns.Notify(ctx, bot.Recipient{Channel: "#nowhere"}, &bot.Message{}, "k3"); !errors.Is(err, bot.ErrUnknownRecipient) {
		t.Errorf("unknown recipient: %v", err)
	}
	if err := (nudge.Notifiers{}).Notify(ctx, bot.Recipient{Email: "x@example.com"}, &bot.Message{}, "k"); !errors.Is(err, bot.ErrUnknownRecipient) {
		t.Errorf("no platforms: %v", err)
	}

	for _, tc := range []struct {
		name    string
		ns      nudge.Notifiers
		key     string
		want    bool
		wantErr error
	}{
		{"found by a checker", ns, "k1", true, nil},
		{"a checker answered no", ns, "k9", false, nil},
		{"nobody can check", nudge.Notifiers{teams}, "k2", false, nudge.ErrCannotCheck},
		{"the checker failed: ask again later", nudge.Notifiers{checkingPlatform{&platform{checkErr: errDown}}}, "k1", false, errDown},
		{"the checker does not know them", nudge.Notifiers{checkingPlatform{&platform{checkErr: bot.ErrUnknownRecipient}}}, "k1", false, nudge.ErrCannotCheck},
	} {
		got, err := tc.ns.Delivered(ctx, bot.Recipient{Email: "ana@example.com"}, tc.key)
		if got != tc.want || !errors.Is(err, tc.wantErr) {
			t.Errorf("%s: %v %v, want %v %v", tc.name, got, err, tc.want, tc.wantErr)
		}
	}

	slack.zone = "Asia/Tokyo"
	if loc, err := ns.TimeZone(ctx, "ana@example.com"); err != nil || loc.String() != "Asia/Tokyo" {
		t.Errorf("zone = %v %v", loc, err)
	}
	if _, err := (nudge.Notifiers{teams}).TimeZone(ctx, "ana@example.com"); !errors.Is(err, bot.ErrUnknownRecipient) {
		t.Errorf("no zone lookup: %v", err)
	}
}
