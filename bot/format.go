package bot

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/accountbot/accountbot/domain"
)

// major renders minor units as a JSON number in major units.
func major(minor int64, currency string) json.Number {
	return json.Number(domain.MajorString(minor, currency))
}

func bandTone(b domain.Band, risk bool) Tone {
	switch {
	case b == domain.BandHigh && !risk, b == domain.BandLow && risk:
		return ToneGood
	case b == domain.BandMedium:
		return ToneWarn
	}
	return ToneBad
}

func readinessTone(r domain.Readiness) Tone {
	switch r {
	case domain.Green:
		return ToneGood
	case domain.Yellow:
		return ToneWarn
	}
	return ToneBad
}

func priorityTone(p domain.Priority) Tone {
	switch p {
	case domain.PriorityTop:
		return ToneGood
	case domain.PriorityHigh, domain.PriorityDecision:
		return ToneBad
	}
	return ToneNone
}

func signed(v int) string {
	if v > 0 {
		return fmt.Sprintf("+%d", v)
	}
	return fmt.Sprint(v)
}

func title(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

func accountButtons(id string) Actions {
	return Actions{Buttons: []Button{
		{Label: "Draft talk track", ActionID: ActionDraftTalk, Value: id, Primary: true},
		{Label: "Draft QBR points", ActionID: ActionDraftQBR, Value: id},
		{Label: "Log outcome", ActionID: ActionLogOutcome, Value: id},
		{Label: "Snooze 7 days", ActionID: ActionSnooze, Value: id},
	}}
}

func reasonItems(h domain.Health) []Item {
	var items []Item
	for _, r := range h.Reasons {
		tone := ToneNone
		if r.Met && r.Points > 0 {
			tone = ToneGood
		} else if r.Met && r.Points < 0 {
			tone = ToneBad
		}
		pts := "0"
		if r.Met {
			pts = signed(r.Points)
		}
		items = append(items, Item{Text: fmt.Sprintf("%s %s", pts, r.Label), Detail: r.Evidence, Tone: tone})
	}
	return items
}
