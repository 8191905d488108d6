package bot

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// RenderText draws a message for a terminal. Tones become a leading mark
// (✓ good, ! warning, ✗ bad) so meaning survives without colour. Every
// data-derived string goes through Sanitize, so a name can neither reverse
// the line (bidi controls) nor drive the terminal (escape sequences).
func RenderText(m *Message) string {
	var b strings.Builder
	if title := Sanitize(m.Title); title != "" {
		b.WriteString(title + "\n")
		b.WriteString(strings.Repeat("─", min(utf8.RuneCountInString(title), 72)) + "\n")
	}
	for _, blk := range m.Blocks {
		switch v := blk.(type) {
		case Section:
			if v.Text != "" {
				b.WriteString(Sanitize(v.Text) + "\n")
			}
			width := 0
			for _, f := range v.Fields {
				width = max(width, utf8.RuneCountInString(Sanitize(f.Label)))
			}
			for _, f := range v.Fields {
				fmt.Fprintf(&b, "  %-*s  %s%s\n", width+1, Sanitize(f.Label)+":", toneMark(f.Tone), Sanitize(f.Value))
			}
		case List:
			if v.Private {
				b.WriteString("\n🔒 ") // the CSM's notes stand apart from the draft
			}
			if v.Title != "" {
				b.WriteString(Sanitize(v.Title) + ":\n")
			}
			for _, it := range v.Items {
				fmt.Fprintf(&b, "  • %s%s\n", toneMark(it.Tone), Sanitize(it.Text))
				if it.Detail != "" {
					fmt.Fprintf(&b, "      %s\n", Sanitize(it.Detail))
				}
			}
			if v.More > 0 {
				fmt.Fprintf(&b, "  …and %d more\n", v.More)
			}
		case Actions:
			var bs []string
			for _, btn := range v.Buttons {
				bs = append(bs, "["+Sanitize(btn.Label)+"]")
			}
			b.WriteString("  " + strings.Join(bs, " ") + "\n")
		case Context:
			b.WriteString("  " + Sanitize(v.Text) + "\n")
		case Divider:
			b.WriteString("\n")
		case Trend:
			if len(v.Points) == 0 {
				continue
			}
			first, last := v.Points[0], v.Points[len(v.Points)-1]
			fmt.Fprintf(&b, "%s: %s  (%s … %s: %.0f → %.0f", Sanitize(v.Label), v.Spark(),
				Sanitize(first.Label), Sanitize(last.Label), first.Value, last.Value)
			if v.Lo != v.Hi {
				fmt.Fprintf(&b, "; scale %.0f to %.0f", v.Lo, v.Hi)
			}
			b.WriteString(")\n")
		}
	}
	return b.String()
}

func toneMark(t Tone) string {
	switch t {
	case ToneGood:
		return "✓ "
	case ToneWarn:
		return "! "
	case ToneBad:
		return "✗ "
	}
	return ""
}
