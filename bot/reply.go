// Package bot is AccountBot's platform-neutral core: the command parser and
// typed verb registry, the engine that answers commands from the store and
// the domain rules, and the reply model every platform renders. Platform
// packages (bot/slack, bot/teams) only translate to and from these types.
package bot

// Message is one reply, independent of any platform. Text in blocks is
// plain (never markup): each renderer escapes it for its platform.
type Message struct {
	Title  string  `json:"title"`
	Blocks []Block `json:"-"`
	// Data is the reply's machine-readable content (ask --json): for a
	// command, its typed Result (or *ErrorResult).
	Data any `json:"data,omitempty"`
	// Error marks a user-facing error reply (unknown account, bad arguments).
	Error bool `json:"error,omitempty"`
}

// Block is one element of a message.
type Block interface{ block() }

// Tone colours a value where a platform can show colour.
type Tone string

const (
	ToneNone Tone = ""
	ToneGood Tone = "good"
	ToneWarn Tone = "warn"
	ToneBad  Tone = "bad"
)

// Section is a paragraph with optional label/value fields.
type Section struct {
	Text   string
	Fields []Field
}

// Field is a label and value, shown side by side where the platform can.
type Field struct {
	Label string
	Value string
	Tone  Tone
}

// List is a titled list of items.
type List struct {
	Title string
	Items []Item
	More  int // items left out ("…and N more")
	// Private marks what is for the asker only (a draft's notes for the
	// CSM): renderers label it, and Shareable leaves it out.
	Private bool
}

// InternalTitle labels a draft's notes for the CSM on every platform.
const InternalTitle = "For you only — not for the customer"

// Shareable is the message as it may be posted for others to see (Slack's
// Share in channel): private blocks and the typed data are left out.
func (m *Message) Shareable() *Message {
	if m == nil {
		return nil
	}
	cp := &Message{Title: m.Title, Error: m.Error}
	for _, b := range m.Blocks {
		if l, ok := b.(List); ok && l.Private {
			continue
		}
		cp.Blocks = append(cp.Blocks, b)
	}
	return cp
}

// Item is one list entry with an optional detail line.
type Item struct {
	Text   string
	Detail string
	Tone   Tone
}

// Actions is a row of buttons.
type Actions struct{ Buttons []Button }

// Button triggers an interaction: ActionID names the handler, Value its argument.
type Button struct {
	Label    string
	ActionID string
	Value    string
	Primary  bool
}

// Context is small print under a message.
type Context struct{ Text string }

// Divider separates parts of a message.
type Divider struct{}

// Trend is a series over time, drawn as a chart where the platform can and
// as a text sparkline otherwise.
type Trend struct {
	Label  string
	Points []Point
	// Lo and Hi are the scale the sparkline is drawn on (band edges), so a
	// small change is a small step; both zero means the data's own range.
	Lo, Hi float64
}

// Spark draws the trend's sparkline on its scale.
func (t Trend) Spark() string {
	vals := make([]float64, len(t.Points))
	for i, p := range t.Points {
		vals[i] = p.Value
	}
	return SparklineScale(vals, t.Lo, t.Hi)
}

// Point is one value of a trend.
type Point struct {
	Label string  `json:"label"` // the week's date, YYYY-MM-DD
	Value float64 `json:"value"`
}

func (Section) block() {}
func (List) block()    {}
func (Actions) block() {}
func (Context) block() {}
func (Divider) block() {}
func (Trend) block()   {}

// Form is a small input form (a Slack modal, a Teams card with inputs).
// Submitting it sends an Action with SubmitID and the field values.
type Form struct {
	Title    string
	SubmitID string
	Value    string // carried through to the submission (e.g. the account id)
	Intro    string
	Fields   []FormField
}

// FormField is one input of a form.
type FormField struct {
	ID       string
	Label    string
	Kind     string // "select", "number" or "text"
	Options  []Option
	Optional bool
	Initial  string
}

// Option is a choice of a select field.
type Option struct{ Value, Label string }

// Interaction action ids shared by every platform.
const (
	ActionOpenAccount = "open_account"
	ActionDraftTalk   = "draft_talk_track"
	ActionDraftQBR    = "draft_qbr"
	ActionLogOutcome  = "log_outcome"
	ActionSnooze      = "snooze_7d"
	// ActionOutcomeSubmit is the submission of the outcome form.
	ActionOutcomeSubmit = "log_outcome_submit"
)

// Sparkline draws values with block characters (▁▂▃▄▅▆▇█) on the data's
// own range.
func Sparkline(values []float64) string { return SparklineScale(values, 0, 0) }

// SparklineScale draws values on the scale lo..hi (widened to the data
// when a value falls outside it; lo == hi uses the data's range): on a
// fixed scale a 30 → 35 blip is a small step, not a full-height bar.
func SparklineScale(values []float64, lo, hi float64) string {
	if len(values) == 0 {
		return ""
	}
	bars := []rune("▁▂▃▄▅▆▇█")
	if lo == hi {
		lo, hi = values[0], values[0]
	}
	for _, v := range values {
		lo, hi = min(lo, v), max(hi, v)
	}
	out := make([]rune, len(values))
	for i, v := range values {
		idx := 0
		if hi > lo {
			idx = int((v - lo) / (hi - lo) * float64(len(bars)-1))
		}
		out[i] = bars[idx]
	}
	return string(out)
}
