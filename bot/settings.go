package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/accountbot/accountbot/domain"
)

var settingsArgs = []Arg{
	{Name: "digest", Kind: KindWord, Form: Keyword, Usage: "[digest HH:MM|off|on]", Help: "the daily digest's time, or off/on"},
	{Name: "timezone", Aliases: []string{"tz"}, Kind: KindWord, Form: Keyword, Usage: "[timezone Zone|auto]", Help: "an IANA time zone, or auto (from your profile)"},
	{Name: "quiet", Kind: KindWord, Form: Keyword, Usage: "[quiet HH:MM-HH:MM|off]", Help: "quiet hours, or off"},
}

// SettingsResult is `portfolio settings`.
type SettingsResult struct {
	User     string              `json:"user"`
	Settings domain.UserSettings `json:"settings"`
	Changed  bool                `json:"changed"`
}

func (e *Engine) settings(ctx context.Context, c *Call) (Result, error) {
	who := c.Req.User.Email
	if who == "" {
		return nil, domain.Errorf(domain.EINVALID, "Settings are per person, and I don't know who you are here (use --as EMAIL or `as EMAIL` in the console).")
	}
	u, err := e.Store.Settings(ctx, who)
	if err != nil {
		return nil, err
	}
	changed := c.Args.Has("digest") || c.Args.Has("timezone") || c.Args.Has("quiet")
	if err := applySettings(&u, c.Args); err != nil {
		return nil, err
	}
	if changed {
		if err := e.Store.SetSettings(ctx, who, u); err != nil {
			return nil, fmt.Errorf("saving %s's settings: %w", who, err)
		}
	}
	return &SettingsResult{User: who, Settings: u, Changed: changed}, nil
}

// applySettings validates and applies the given settings.
func applySettings(u *domain.UserSettings, args Args) error {
	if args.Has("digest") {
		switch val := args.Text("digest"); strings.ToLower(val) {
		case "off":
			u.DigestOff = true
		case "on":
			u.DigestOff = false
		default:
			if _, err := domain.ParseClock(val); err != nil {
				return domain.Errorf(domain.EINVALID, "digest: %s (or off/on)", domain.ErrorMessage(err))
			}
			u.DigestAt, u.DigestOff = val, false
		}
	}
	if val := args.Text("timezone"); args.Has("timezone") {
		if strings.EqualFold(val, "auto") {
			u.TimeZone = ""
		} else if _, err := time.LoadLocation(val); err != nil || val == "" || strings.EqualFold(val, "local") {
			return domain.Errorf(domain.EINVALID, "%q is not a time zone; use an IANA name such as Europe/London or America/New_York, or auto", val)
		} else {
			u.TimeZone = val
		}
	}
	if val := args.Text("quiet"); args.Has("quiet") {
		if strings.EqualFold(val, "off") {
			u.QuietFrom, u.QuietTo = "00:00", "00:00" // equal bounds: no quiet hours
			return nil
		}
		from, to, ok := strings.Cut(val, "-")
		_, err1 := domain.ParseClock(from)
		_, err2 := domain.ParseClock(to)
		if !ok || err1 != nil || err2 != nil {
			return domain.Errorf(domain.EINVALID, "quiet hours look like 20:00-07:00 (or off)")
		}
		u.QuietFrom, u.QuietTo = from, to
	}
	return nil
}

// Message draws the settings.
func (r *SettingsResult) Message() *Message {
	u := r.Settings
	digest := "the default time"
	if u.DigestAt != "" {
		digest = u.DigestAt
	}
	if u.DigestOff {
		digest = "off"
	}
	tz := "from your Slack/Teams profile (or the default)"
	if u.TimeZone != "" {
		tz = u.TimeZone
	}
	quiet := "the default"
	if u.QuietFrom != "" {
		quiet = u.QuietFrom + "–" + u.QuietTo
		if u.QuietFrom == u.QuietTo {
			quiet = "none"
		}
	}
	m := &Message{Title: "Your nudge settings"}
	if r.Changed {
		m.Title = "Nudge settings saved"
	}
	m.Blocks = append(m.Blocks, Section{Fields: []Field{
		{Label: "Daily digest", Value: digest}, {Label: "Time zone", Value: tz}, {Label: "Quiet hours", Value: quiet},
	}}, Context{Text: "Change with `portfolio settings digest 09:00` (or off), `timezone Europe/London` (or auto), `quiet 20:00-07:00` (or off)."})
	return m
}

func (e *Engine) nudges(ctx context.Context, c *Call) (Result, error) {
	if e.Nudges == nil {
		return nil, domain.Errorf(domain.ECONFLICT, "Nudges are not running in this process (they run with `accountbot serve`).")
	}
	st, err := e.Nudges.Status(ctx, c.Req.User, c.Req.Now)
	if err != nil {
		return nil, fmt.Errorf("nudge status: %w", err)
	}
	return &st, nil
}
