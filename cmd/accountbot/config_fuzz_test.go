package main

import (
	"strings"
	"testing"

	"github.com/accountbot/accountbot/bot/nudge"
	"github.com/accountbot/accountbot/domain"
)

// FuzzConfig: any YAML gives a configuration or an error naming the file,
// never a panic; an accepted configuration starts the scheduler.
func FuzzConfig(f *testing.F) {
	for _, s := range []string{
		"",
		"nudges:\n  weekly_day: \"ẞ\"\n",
		"nudges:\n  workdays: [mon, \"\u212A\"]\n",
		"nudges:\n  digest_at: \"8:3\"\n  quiet_from: \"20:00\"\n",
		"rules:\n  priority:\n    top_n: 0\n",
		"default_currency: eu\n",
		"nudges:\n  channels:\n    rules:\n      - tier: 9\n",
		"unknown_key: 1\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, err := parseConfig("fuzz.yaml", b)
		if err != nil {
			if !strings.HasPrefix(domain.ErrorMessage(err), "config fuzz.yaml: ") {
				t.Fatalf("error does not say where: %v", err)
			}
			return
		}
		if _, err := nudge.New(cfg.Nudges, cfg.Rules, nil, nudge.Notifiers{}, nil); err != nil {
			t.Fatalf("accepted configuration does not start the scheduler: %v", err)
		}
	})
}

func TestConfigWeekdayErrorsNameTheField(t *testing.T) {
	for in, want := range map[string]string{
		"nudges:\n  weekly_day: \"ẞ\"\n":           "nudges.weekly_day",
		"nudges:\n  workdays: [mon, \"\u212A\"]\n": "nudges.workdays",
	} {
		_, err := parseConfig("c.yaml", []byte(in))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: %v, want %s", in, err, want)
		}
	}
}
