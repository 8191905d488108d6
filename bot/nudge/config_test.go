package nudge_test

import (
	"strings"
	"testing"
	"time"

	"github.com/accountbot/accountbot/bot/nudge"
	"github.com/accountbot/accountbot/domain"
)

func TestConfigErrorsNameTheField(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*nudge.Config)
		want string // "" = valid
	}{
		{"defaults", func(*nudge.Config) {}, ""},
		{"full day names", func(c *nudge.Config) { c.Workdays, c.WeeklyDay = []string{"Monday", "tues", "THU"}, "Friday" }, ""},
		{"sharp s weekly day", func(c *nudge.Config) { c.WeeklyDay = "ẞ" }, `nudges.weekly_day: "ẞ" is not a weekday`},
		{"kelvin sign workday", func(c *nudge.Config) { c.Workdays = []string{"mon", "\u212Aelvin"} }, "nudges.workdays: \"\u212Aelvin\" is not a weekday"},
		{"kelvin-like short", func(c *nudge.Config) { c.Workdays = []string{"\u212A"} }, "nudges.workdays"},
		{"not a prefix", func(c *nudge.Config) { c.WeeklyDay = "monkey" }, "nudges.weekly_day"},
		{"empty weekly day", func(c *nudge.Config) { c.WeeklyDay = "" }, "nudges.weekly_day"},
		{"bad zone", func(c *nudge.Config) { c.TimeZone = "Mars/Olympus" }, "nudges.default_time_zone"},
		{"bad clock", func(c *nudge.Config) { c.DigestAt = "8:3" }, "nudges.digest_at"},
		{"half quiet hours", func(c *nudge.Config) { c.QuietTo = "" }, "nudges.quiet_from/quiet_to"},
		{"bad quiet", func(c *nudge.Config) { c.QuietFrom = "25:00" }, "nudges.quiet_from"},
		{"rule tier", func(c *nudge.Config) { c.Channels.Rules = []nudge.ChannelRule{{Tier: 4, Channel: "#x"}} }, "nudges.channels.rules[0]"},
		{"zero rate", func(c *nudge.Config) { c.PerSecond = 0 }, "nudges.sends_per_second"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := nudge.DefaultConfig()
			tc.edit(&c)
			err := c.Validate()
			_, newErr := nudge.New(c, domain.DefaultConfig(), nil, nudge.Notifiers{}, nil)
			if tc.want == "" {
				if err != nil || newErr != nil {
					t.Fatalf("Validate = %v, New = %v", err, newErr)
				}
				return
			}
			if err == nil || !strings.Contains(domain.ErrorMessage(err), tc.want) {
				t.Errorf("Validate = %v, want %q", err, tc.want)
			}
			if newErr == nil || newErr.Error() != err.Error() {
				t.Errorf("New = %v, want the same error as Validate", newErr)
			}
		})
	}
}

// TestScheduleFromParsedConfig checks that what Status shows comes from
// the configuration parsed once (weekday prefixes included).
func TestScheduleFromParsedConfig(t *testing.T) {
	start := time.Date(2026, 11, 23, 8, 0, 0, 0, time.UTC)
	db := simBook(t, start)
	cfg := nudge.DefaultConfig()
	cfg.WeeklyDay, cfg.WeeklyAt, cfg.DigestAt = "Thurs", "10:15", "07:45"
	s, err := nudge.New(cfg, domain.DefaultConfig(), db, &fakeNotifier{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	st, err := s.Status(t.Context(), botUser("ana@example.com"), start)
	if err != nil {
		t.Fatal(err)
	}
	if st.Weekly != "Thursday 10:15" || st.Digest != "07:45 on working days" || st.QuietHours != "20:00–07:00" || st.TimeZone != "UTC" {
		t.Errorf("status = %+v", st)
	}
}
