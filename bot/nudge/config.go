package nudge

import (
	"fmt"
	"strings"
	"time"

	"github.com/accountbot/accountbot/domain"
)

// Config configures the proactive nudges (YAML key "nudges").
type Config struct {
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
	// TeamsAtMostOnce: a Teams nudge interrupted mid-POST (no activity id
	// recorded) is not resent. Teams cannot be asked whether it arrived, so
	// the default resends: a double beats a lost renewal reminder.
	TeamsAtMostOnce bool `yaml:"teams_at_most_once" json:"teams_at_most_once"`
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

// DefaultConfig: 08:30 on working days, Monday review, reminders at
// 09:00 UTC to #renewals, quiet hours 20:00–07:00.
func DefaultConfig() Config {
	return Config{TimeZone: "UTC", DigestAt: "08:30", Workdays: []string{"mon", "tue", "wed", "thu", "fri"},
		WeeklyDay: "mon", WeeklyAt: "08:30", QuietFrom: "20:00", QuietTo: "07:00", RenewalPostAt: "09:00", RenewalZone: "UTC",
		Grace: 12 * time.Hour, RenewalGrace: 72 * time.Hour, AlertWindow: 7, AlertEvery: 15 * time.Minute, Channels: ChannelRules{Default: "#renewals"},
		PerSecond: 1, Burst: 5, MaxAttempts: 5, Every: time.Minute}
}

// weekdays by full lower-case name; a config may give any prefix of at
// least three letters ("mon", "tues", "Thursday").
var weekdays = [7]string{"sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"}

// parseWeekday reads a weekday name. It works on the lowered string only:
// lowering may change a string's length in bytes ("ẞ" → "ß", the Kelvin
// sign → "k"), so no index into the original may be used on it.
func parseWeekday(s string) (time.Weekday, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	if len(s) < 3 {
		return 0, false
	}
	for d, name := range weekdays {
		if strings.HasPrefix(name, s) {
			return time.Weekday(d), true
		}
	}
	return 0, false
}

// settings is a Config parsed once: New and Validate report every bad
// field, and the scheduler never parses (or ignores an error) again.
type settings struct {
	zone, renewalZone *time.Location
	digestAt          domain.ClockTime
	workdays          [7]bool
	weeklyDay         time.Weekday
	weeklyAt          domain.ClockTime
	quietFrom         domain.ClockTime // equal bounds: no quiet hours
	quietTo           domain.ClockTime
	renewalPostAt     domain.ClockTime
}

// Validate checks the configuration, naming bad fields.
func (c Config) Validate() error {
	_, err := c.parse()
	return err
}

// parse reads and checks every field, naming each bad one.
func (c Config) parse() (settings, error) {
	var s settings
	var bad []string
	zone := func(field, v string) *time.Location {
		loc, err := time.LoadLocation(v)
		if err != nil {
			bad = append(bad, fmt.Sprintf("nudges.%s: unknown zone %q", field, v))
			return time.UTC
		}
		return loc
	}
	s.zone, s.renewalZone = zone("default_time_zone", c.TimeZone), zone("renewal_time_zone", c.RenewalZone)
	clock := func(field, v string) domain.ClockTime {
		t, err := domain.ParseClock(v)
		if err != nil {
			bad = append(bad, "nudges."+field+": "+domain.ErrorMessage(err))
		}
		return t
	}
	s.digestAt, s.weeklyAt, s.renewalPostAt = clock("digest_at", c.DigestAt), clock("weekly_at", c.WeeklyAt), clock("renewal_post_at", c.RenewalPostAt)
	if (c.QuietFrom == "") != (c.QuietTo == "") {
		bad = append(bad, "nudges.quiet_from/quiet_to: set both or neither")
	} else if c.QuietFrom != "" {
		s.quietFrom, s.quietTo = clock("quiet_from", c.QuietFrom), clock("quiet_to", c.QuietTo)
	}
	for _, d := range c.Workdays {
		wd, ok := parseWeekday(d)
		if !ok {
			bad = append(bad, fmt.Sprintf("nudges.workdays: %q is not a weekday (mon, tue, …)", d))
		}
		s.workdays[wd] = s.workdays[wd] || ok
	}
	var ok bool
	if s.weeklyDay, ok = parseWeekday(c.WeeklyDay); !ok {
		bad = append(bad, fmt.Sprintf("nudges.weekly_day: %q is not a weekday (mon, tue, …)", c.WeeklyDay))
	}
	bad = append(bad, c.checkLimits()...)
	if len(bad) > 0 {
		return s, domain.Errorf(domain.EINVALID, "invalid configuration: %s", strings.Join(bad, "; "))
	}
	return s, nil
}

// checkLimits checks the numeric fields and the channel rules.
func (c Config) checkLimits() []string {
	var bad []string
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
	return bad
}

// schedule is a person's schedule: the defaults, overridden by their own
// settings. Those were checked when they were saved; one that no longer
// parses keeps the default.
func (s settings) schedule(loc *time.Location, u domain.UserSettings) domain.Schedule {
	sch := domain.Schedule{Location: loc, DigestOff: u.DigestOff, DigestAt: s.digestAt, Workdays: s.workdays,
		WeeklyDay: s.weeklyDay, WeeklyAt: s.weeklyAt, QuietFrom: s.quietFrom, QuietTo: s.quietTo}
	if v, err := domain.ParseClock(u.DigestAt); err == nil {
		sch.DigestAt = v
	}
	if u.QuietFrom != "" || u.QuietTo != "" {
		from, err1 := domain.ParseClock(u.QuietFrom)
		to, err2 := domain.ParseClock(u.QuietTo)
		if err1 == nil && err2 == nil {
			sch.QuietFrom, sch.QuietTo = from, to
		}
	}
	return sch
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
