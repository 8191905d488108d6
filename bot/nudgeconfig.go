package bot

import (
	"fmt"
	"strings"
	"time"

	"github.com/accountbot/accountbot/domain"
)

// NudgeConfig configures the proactive nudges (YAML key "nudges").
type NudgeConfig struct {
	TimeZone      string        `yaml:"default_time_zone" json:"default_time_zone"` // for people whose platform gives none
	DigestAt      string        `yaml:"digest_at" json:"digest_at"`                 // local time of the daily top-5
	Workdays      []string      `yaml:"workdays" json:"workdays"`
	WeeklyDay     string        `yaml:"weekly_day" json:"weekly_day"`
	WeeklyAt      string        `yaml:"weekly_at" json:"weekly_at"`
	QuietFrom     string        `yaml:"quiet_from" json:"quiet_from"` // default quiet hours; "" = none
	QuietTo       string        `yaml:"quiet_to" json:"quiet_to"`
	RenewalPostAt string        `yaml:"renewal_post_at" json:"renewal_post_at"` // in RenewalTimeZone
	RenewalZone   string        `yaml:"renewal_time_zone" json:"renewal_time_zone"`
	Grace         time.Duration `yaml:"grace" json:"grace"`                 // how late a digest or review may still go out
	RenewalGrace  time.Duration `yaml:"renewal_grace" json:"renewal_grace"` // how late a renewal reminder may still go out
	AlertWindow   int           `yaml:"alert_window_days" json:"alert_window_days"`
	AlertEvery    time.Duration `yaml:"alert_check_every" json:"alert_check_every"` // the whole-book alert scan's period
	Channels      ChannelRules  `yaml:"channels" json:"channels"`
	PerSecond     float64       `yaml:"sends_per_second" json:"sends_per_second"`
	Burst         int           `yaml:"burst" json:"burst"`
	MaxAttempts   int           `yaml:"max_attempts" json:"max_attempts"`
	Every         time.Duration `yaml:"check_every" json:"check_every"`
}

// ChannelRules route renewal reminders: the first matching rule wins.
type ChannelRules struct {
	Default string        `yaml:"default" json:"default"`
	Rules   []ChannelRule `yaml:"rules" json:"rules"`
}

// ChannelRule matches by tier, owner or team (an owner's e-mail domain or
// a group name listed in Owners); empty fields match anything.
type ChannelRule struct {
	Tier    int      `yaml:"tier" json:"tier"`
	Owners  []string `yaml:"owners" json:"owners"`
	Channel string   `yaml:"channel" json:"channel"`
}

// DefaultNudgeConfig: 08:30 on working days, Monday review, reminders at
// 09:00 UTC to #renewals, quiet hours 20:00–07:00.
func DefaultNudgeConfig() NudgeConfig {
	return NudgeConfig{TimeZone: "UTC", DigestAt: "08:30", Workdays: []string{"mon", "tue", "wed", "thu", "fri"},
		WeeklyDay: "mon", WeeklyAt: "08:30", QuietFrom: "20:00", QuietTo: "07:00", RenewalPostAt: "09:00", RenewalZone: "UTC",
		Grace: 12 * time.Hour, RenewalGrace: 72 * time.Hour, AlertWindow: 7, AlertEvery: 15 * time.Minute, Channels: ChannelRules{Default: "#renewals"},
		PerSecond: 1, Burst: 5, MaxAttempts: 5, Every: time.Minute}
}

var weekdayNames = map[string]time.Weekday{"sun": time.Sunday, "mon": time.Monday, "tue": time.Tuesday, "wed": time.Wednesday,
	"thu": time.Thursday, "fri": time.Friday, "sat": time.Saturday}

func parseWeekday(s string) (time.Weekday, bool) {
	d, ok := weekdayNames[strings.ToLower(strings.TrimSpace(s))[:min(3, len(strings.TrimSpace(s)))]]
	return d, ok
}

// Validate checks the configuration, naming bad fields.
func (c NudgeConfig) Validate() error {
	var bad []string
	if _, err := time.LoadLocation(c.TimeZone); err != nil {
		bad = append(bad, fmt.Sprintf("nudges.default_time_zone: unknown zone %q", c.TimeZone))
	}
	if _, err := time.LoadLocation(c.RenewalZone); err != nil {
		bad = append(bad, fmt.Sprintf("nudges.renewal_time_zone: unknown zone %q", c.RenewalZone))
	}
	for _, f := range []struct{ name, v string }{{"digest_at", c.DigestAt}, {"weekly_at", c.WeeklyAt}, {"renewal_post_at", c.RenewalPostAt}} {
		if _, err := domain.ParseClock(f.v); err != nil {
			bad = append(bad, "nudges."+f.name+": "+domain.ErrorMessage(err))
		}
	}
	if (c.QuietFrom == "") != (c.QuietTo == "") {
		bad = append(bad, "nudges.quiet_from/quiet_to: set both or neither")
	} else if c.QuietFrom != "" {
		for _, v := range []string{c.QuietFrom, c.QuietTo} {
			if _, err := domain.ParseClock(v); err != nil {
				bad = append(bad, "nudges.quiet_from/quiet_to: "+domain.ErrorMessage(err))
			}
		}
	}
	for _, d := range c.Workdays {
		if _, ok := parseWeekday(d); !ok || strings.TrimSpace(d) == "" {
			bad = append(bad, fmt.Sprintf("nudges.workdays: %q is not a weekday", d))
		}
	}
	if d, ok := parseWeekday(c.WeeklyDay); !ok || c.WeeklyDay == "" {
		_ = d
		bad = append(bad, fmt.Sprintf("nudges.weekly_day: %q is not a weekday", c.WeeklyDay))
	}
	if c.Grace <= 0 || c.Grace > 7*24*time.Hour || c.RenewalGrace <= 0 || c.RenewalGrace > 30*24*time.Hour {
		bad = append(bad, "nudges.grace (up to 7 days) and nudges.renewal_grace (up to 30 days) must be positive")
	}
	if c.AlertWindow < 1 || c.AlertWindow > 90 {
		bad = append(bad, "nudges.alert_window_days: must be 1 to 90")
	}
	if c.AlertEvery < time.Minute || c.AlertEvery > 24*time.Hour {
		bad = append(bad, "nudges.alert_check_every: must be 1m to 24h")
	}
	if c.Channels.Default == "" {
		bad = append(bad, "nudges.channels.default: a default channel is required")
	}
	for i, r := range c.Channels.Rules {
		if r.Channel == "" || r.Tier < 0 || r.Tier > 3 {
			bad = append(bad, fmt.Sprintf("nudges.channels.rules[%d]: needs a channel and a tier of 0 (any) to 3", i))
		}
	}
	if c.PerSecond <= 0 || c.Burst < 1 || c.MaxAttempts < 1 || c.Every < time.Second {
		bad = append(bad, "nudges.sends_per_second, burst, max_attempts must be positive and check_every at least 1s")
	}
	if len(bad) > 0 {
		return domain.Errorf(domain.EINVALID, "invalid configuration: %s", strings.Join(bad, "; "))
	}
	return nil
}

// schedule builds a person's schedule from the defaults and their settings.
func (c NudgeConfig) schedule(loc *time.Location, u domain.UserSettings) domain.Schedule {
	s := domain.Schedule{Location: loc, DigestOff: u.DigestOff}
	s.DigestAt, _ = domain.ParseClock(c.DigestAt)
	if v, err := domain.ParseClock(u.DigestAt); err == nil {
		s.DigestAt = v
	}
	for _, d := range c.Workdays {
		if wd, ok := parseWeekday(d); ok {
			s.Workdays[wd] = true
		}
	}
	s.WeeklyDay, _ = parseWeekday(c.WeeklyDay)
	s.WeeklyAt, _ = domain.ParseClock(c.WeeklyAt)
	qf, qt := c.QuietFrom, c.QuietTo
	if u.QuietFrom != "" || u.QuietTo != "" {
		qf, qt = u.QuietFrom, u.QuietTo
	}
	s.QuietFrom, _ = domain.ParseClock(qf)
	s.QuietTo, _ = domain.ParseClock(qt)
	return s
}

// channelFor routes an account's renewal reminder.
func (c ChannelRules) channelFor(tier int, owner string) string {
	for _, r := range c.Rules {
		if r.Tier != 0 && r.Tier != tier {
			continue
		}
		if len(r.Owners) > 0 && !ownerMatches(r.Owners, owner) {
			continue
		}
		return r.Channel
	}
	return c.Default
}

func ownerMatches(list []string, owner string) bool {
	for _, o := range list {
		o = strings.ToLower(strings.TrimSpace(o))
		if o == owner || (strings.HasPrefix(o, "@") && strings.HasSuffix(owner, o)) {
			return true
		}
	}
	return false
}
