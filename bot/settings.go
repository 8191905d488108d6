package bot

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/accountbot/accountbot/domain"
)

func (e *Engine) settings(ctx context.Context, c *Call) (*Message, error) {
	who := c.Req.User.Email
	if who == "" {
		return nil, domain.Errorf(domain.EINVALID, "Settings are per person, and I don't know who you are here (use --as EMAIL or `as EMAIL` in the console).")
	}
	u, err := e.Store.Settings(ctx, who)
	if err != nil {
		return nil, err
	}
	args := c.Parsed.Args
	changed := false
	for len(args) > 0 {
		if len(args) < 2 {
			return nil, domain.Errorf(domain.EINVALID, "%q needs a value. Try `portfolio settings digest 09:00`, `timezone Europe/London` or `quiet 20:00-07:00`.", args[0])
		}
		key, val := strings.ToLower(args[0]), args[1]
		args = args[2:]
		switch key {
		case "digest":
			switch strings.ToLower(val) {
			case "off":
				u.DigestOff = true
			case "on":
				u.DigestOff = false
			default:
				if _, err := domain.ParseClock(val); err != nil {
					return nil, domain.Errorf(domain.EINVALID, "digest: %s (or off/on)", domain.ErrorMessage(err))
				}
				u.DigestAt, u.DigestOff = val, false
			}
		case "timezone", "tz":
			if strings.EqualFold(val, "auto") {
				u.TimeZone = ""
			} else if _, err := time.LoadLocation(val); err != nil || val == "" || strings.EqualFold(val, "local") {
				return nil, domain.Errorf(domain.EINVALID, "%q is not a time zone; use an IANA name such as Europe/London or America/New_York, or auto", val)
			} else {
				u.TimeZone = val
			}
		case "quiet":
			if strings.EqualFold(val, "off") {
				u.QuietFrom, u.QuietTo = "00:00", "00:00" // equal bounds: no quiet hours
				break
			}
			from, to, ok := strings.Cut(val, "-")
			if _, err1 := domain.ParseClock(from); !ok || err1 != nil {
				return nil, domain.Errorf(domain.EINVALID, "quiet hours look like 20:00-07:00 (or off)")
			}
			if _, err2 := domain.ParseClock(to); err2 != nil {
				return nil, domain.Errorf(domain.EINVALID, "quiet hours look like 20:00-07:00 (or off)")
			}
			u.QuietFrom, u.QuietTo = from, to
		default:
			return nil, domain.Errorf(domain.EINVALID, "%q is not a setting; use digest, timezone or quiet.", key)
		}
		changed = true
	}
	if changed {
		if err := e.Store.SetSettings(ctx, who, u); err != nil {
			return nil, err
		}
	}
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
	title := "Your nudge settings"
	if changed {
		title = "Nudge settings saved"
	}
	m := &Message{Title: title}
	m.Blocks = append(m.Blocks, Section{Fields: []Field{
		{Label: "Daily digest", Value: digest}, {Label: "Time zone", Value: tz}, {Label: "Quiet hours", Value: quiet},
	}}, Context{Text: "Change with `portfolio settings digest 09:00` (or off), `timezone Europe/London` (or auto), `quiet 20:00-07:00` (or off)."})
	m.Data = map[string]any{"user": who, "settings": u}
	return m, nil
}

func (e *Engine) nudges(ctx context.Context, c *Call) (*Message, error) {
	if e.Nudges == nil {
		return nil, domain.Errorf(domain.ECONFLICT, "Nudges are not running in this process (they run with `accountbot serve`).")
	}
	now := c.Req.Now
	if now.IsZero() {
		now = time.Now()
	}
	m, err := e.Nudges.Status(ctx, c.Req.User, now)
	if err != nil {
		return nil, fmt.Errorf("nudge status: %w", err)
	}
	return m, nil
}
