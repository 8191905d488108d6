package bot

import (
	"fmt"
	"strings"
)

// RenderText draws a message for a terminal. Tones become a leading mark
// (✓ good, ! warning, ✗ bad) so meaning survives without colour.
func RenderText(m *Message) string {
	var b strings.Builder
	if m.Title != "" {
		b.WriteString(m.Title + "\n")
		b.WriteString(strings.Repeat("─", min(len([]rune(m.Title)), 72)) + "\n")
	}
	for _, blk := range m.Blocks {
		switch v := blk.(type) {
		case Section:
			if v.Text != "" {
				b.WriteString(v.Text + "\n")
			}
			width := 0
			for _, f := range v.Fields {
				width = max(width, len([]rune(f.Label)))
			}
			for _, f := range v.Fields {
				fmt.Fprintf(&b, "  %-*s  %s%s\n", width+1, f.Label+":", toneMark(f.Tone), f.Value)
			}
		case List:
			if v.Title != "" {
				b.WriteString(v.Title + ":\n")
			}
			for _, it := range v.Items {
				fmt.Fprintf(&b, "  • %s%s\n", toneMark(it.Tone), it.Text)
				if it.Detail != "" {
					fmt.Fprintf(&b, "      %s\n", it.Detail)
				}
			}
			if v.More > 0 {
				fmt.Fprintf(&b, "  …and %d more\n", v.More)
			}
		case Actions:
			var bs []string
			for _, btn := range v.Buttons {
				bs = append(bs, "["+btn.Label+"]")
			}
			b.WriteString("  " + strings.Join(bs, " ") + "\n")
		case Context:
			b.WriteString("  " + v.Text + "\n")
		case Divider:
			b.WriteString("\n")
		case Trend:
			vals := make([]float64, len(v.Points))
			for i, p := range v.Points {
				vals[i] = p.Value
			}
			fmt.Fprintf(&b, "%s: %s  (%s … %s: %.0f → %.0f)\n", v.Label, Sparkline(vals), v.Points[0].Label, v.Points[len(v.Points)-1].Label, vals[0], vals[len(vals)-1])
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
