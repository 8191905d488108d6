// Package slack connects AccountBot to Slack. It only translates: Slack
// payloads become neutral bot requests, and bot messages become Block Kit.
package slack

import (
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/accountbot/accountbot/bot"
)

// Block Kit limits (Slack's documentation).
const (
	maxBlocksMessage = 50
	maxBlocksHome    = 100
	maxSectionText   = 3000
	maxContextText   = 2000 // context is small print: cut before the 3,000 of any text object
	maxFieldText     = 2000
	maxFields        = 10
	maxHeader        = 150
	maxButtons       = 25
	maxButtonText    = 75
	maxButtonValue   = 2000
	maxChartPoints   = 20
)

// RenderOptions tune rendering for where the blocks go.
type RenderOptions struct {
	MaxBlocks int    // 50 for messages, 100 for App Home and modals
	Charts    bool   // use data_visualization blocks for trends
	Share     string // when set, add a "Share in channel" button carrying this command
}

// maxTextPieces is how many sections one long text may fill before it is
// cut: a long note is shown whole, an absurd one does not flood the channel.
const maxTextPieces = 4

// Escape makes data-derived text inert in mrkdwn: it is sanitized (no bidi
// controls, see bot.Sanitize) and &, < and > are escaped, so a name can
// never become <!channel>, <@U…> or a link. Slack has no escape for the
// formatting characters (*, _, ~, `); they can style text but never
// mention or link, and mrkdwn objects are sent verbatim so bare URLs,
// #channels and @here stay text.
func Escape(s string) string { return escaper.Replace(bot.Sanitize(s)) }

// escaper is built once: a Replacer is costly to build and safe to share.
var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// escapedLen is what a rune costs against Slack's character limits once
// escaped.
func escapedLen(r rune) int {
	switch r {
	case '&':
		return len("&amp;")
	case '<', '>':
		return len("&lt;")
	}
	return 1
}

// truncate sanitizes a plain_text label and cuts it to n characters,
// ending with bot.CutMark when cut.
func truncate(s string, n int) string {
	return bot.Cut(visible(s), n, bot.Runes)
}

// visible sanitizes s; a text made only of controls and spaces becomes
// U+FFFD, because Slack refuses a blank text and something was there.
func visible(s string) string {
	c := bot.Sanitize(s)
	if s != "" && strings.TrimSpace(c) == "" {
		return "\uFFFD"
	}
	return c
}

// clip cuts a machine value (a button's value) to n characters; it is
// never shown, so it is neither sanitized nor marked.
func clip(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// cutEscaped escapes s and cuts it so the escaped text has at most n
// characters, never splitting an entity, ending with bot.CutMark when cut.
func cutEscaped(s string, n int) string {
	return splitEscaped(s, n, 1)[0]
}

// splitEscaped is cutEscaped over up to pieces parts, for texts that may
// continue in the next block.
func splitEscaped(s string, n, pieces int) []string {
	parts := bot.Split(visible(s), n, pieces, escapedLen)
	for i, p := range parts {
		parts[i] = Escape(p)
	}
	return parts
}

func toneEmoji(t bot.Tone) string {
	switch t {
	case bot.ToneGood:
		return ":large_green_circle: "
	case bot.ToneWarn:
		return ":large_yellow_circle: "
	case bot.ToneBad:
		return ":red_circle: "
	}
	return ""
}

// mrkdwn objects are verbatim: Slack then leaves bare URLs, #channel
// names and @here/@channel in data as text instead of linking them.
func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, true)
}

func plain(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.PlainTextType, s, true, false)
}

// ShareActionID is the "Share in channel" button's action.
const ShareActionID = "share_in_channel"

// Render draws a message as Block Kit blocks, within Slack's limits: long
// texts are split over several sections or cut with "…", and blocks beyond
// the limit are replaced by a final "…and N more" line.
func Render(m *bot.Message, opt RenderOptions) []slack.Block {
	if opt.MaxBlocks == 0 {
		opt.MaxBlocks = maxBlocksMessage
	}
	var out []slack.Block
	if title := truncate(m.Title, maxHeader); strings.TrimSpace(title) != "" {
		out = append(out, slack.NewHeaderBlock(plain(title)))
	}
	for _, b := range m.Blocks {
		out = append(out, renderBlock(b, opt)...)
	}
	if opt.Share != "" {
		btn := slack.NewButtonBlockElement(ShareActionID, clip(opt.Share, maxButtonValue), plain("Share in channel"))
		out = append(out, slack.NewActionBlock("share", btn))
	}
	if len(out) > opt.MaxBlocks {
		n := len(out) - (opt.MaxBlocks - 1)
		out = append(out[:opt.MaxBlocks-1], slack.NewContextBlock("more", mrkdwn(fmt.Sprintf("…and %d more blocks not shown (Slack's limit).", n))))
	}
	return out
}

func renderBlock(b bot.Block, opt RenderOptions) []slack.Block {
	switch v := b.(type) {
	case bot.Section:
		return renderSection(v)
	case bot.List:
		return renderList(v)
	case bot.Actions:
		var els []slack.BlockElement
		for i, btn := range v.Buttons {
			if i == maxButtons {
				break
			}
			e := slack.NewButtonBlockElement(btn.ActionID, clip(btn.Value, maxButtonValue), plain(truncate(btn.Label, maxButtonText)))
			if btn.Primary {
				e = e.WithStyle(slack.StylePrimary)
			}
			els = append(els, e)
		}
		if len(els) == 0 {
			return nil
		}
		return []slack.Block{slack.NewActionBlock("", els...)}
	case bot.Context:
		text := cutEscaped(v.Text, maxContextText)
		if strings.TrimSpace(text) == "" {
			return nil // Slack refuses an empty text
		}
		return []slack.Block{slack.NewContextBlock("", mrkdwn(text))}
	case bot.Divider:
		return []slack.Block{slack.NewDividerBlock()}
	case bot.Trend:
		return renderTrend(v, opt)
	}
	return nil
}

// renderSection draws a paragraph and its fields. A text past 3,000
// characters continues in further sections (up to maxTextPieces, then it
// is cut); more than 10 fields continue in further sections too.
func renderSection(s bot.Section) []slack.Block {
	var out []slack.Block
	var text *slack.TextBlockObject
	var parts []string
	for _, p := range splitEscaped(s.Text, maxSectionText, maxTextPieces) {
		if strings.TrimSpace(p) != "" { // Slack refuses an empty text
			parts = append(parts, p)
		}
	}
	for i, p := range parts {
		if i < len(parts)-1 {
			out = append(out, slack.NewSectionBlock(mrkdwn(p), nil, nil))
		} else {
			text = mrkdwn(p)
		}
	}
	var fields []*slack.TextBlockObject
	for _, f := range s.Fields {
		fields = append(fields, mrkdwn("*"+cutEscaped(f.Label, 200)+"*\n"+toneEmoji(f.Tone)+cutEscaped(f.Value, maxFieldText-250)))
	}
	for len(fields) > maxFields {
		out = append(out, slack.NewSectionBlock(text, fields[:maxFields], nil))
		text, fields = nil, fields[maxFields:]
	}
	if text != nil || len(fields) > 0 {
		out = append(out, slack.NewSectionBlock(text, fields, nil))
	}
	return out
}

// renderList writes items as bullet lines, starting a new section before
// one would pass 3,000 characters.
func renderList(l bot.List) []slack.Block {
	var out []slack.Block
	var b strings.Builder
	flush := func() {
		if b.Len() > 0 {
			out = append(out, slack.NewSectionBlock(mrkdwn(strings.TrimRight(b.String(), "\n")), nil, nil))
			b.Reset()
		}
	}
	if l.Private {
		b.WriteString(":lock: ") // the CSM's notes, never shared
	}
	if l.Title != "" {
		b.WriteString("*" + cutEscaped(l.Title, 200) + "*\n")
	}
	for _, it := range l.Items {
		line := "• " + toneEmoji(it.Tone) + cutEscaped(it.Text, 1000) + "\n"
		if it.Detail != "" {
			line += "      _" + cutEscaped(it.Detail, 1500) + "_\n"
		}
		if utf8.RuneCountInString(b.String())+utf8.RuneCountInString(line) > maxSectionText {
			flush()
		}
		b.WriteString(line)
	}
	if l.More > 0 {
		more := fmt.Sprintf("…and %d more\n", l.More)
		if utf8.RuneCountInString(b.String())+len(more) > maxSectionText {
			flush()
		}
		b.WriteString(more)
	}
	flush()
	return out
}

// renderTrend draws a line chart (when charts are on) and always a text
// sparkline, which is what clients without chart support show.
func renderTrend(t bot.Trend, opt RenderOptions) []slack.Block {
	if len(t.Points) == 0 {
		return nil
	}
	pts := t.Points
	if len(pts) > maxChartPoints {
		pts = pts[len(pts)-maxChartPoints:]
	}
	vals := make([]float64, len(pts))
	for i, p := range pts {
		vals[i] = p.Value
	}
	spark := fmt.Sprintf("%s: `%s` %.0f → %.0f", cutEscaped(t.Label, 200), bot.SparklineScale(vals, t.Lo, t.Hi), vals[0], vals[len(vals)-1])
	var out []slack.Block
	if opt.Charts && len(pts) >= 2 {
		var cats []string
		var data []slack.DataVisualizationDataPoint
		for _, p := range pts {
			label := truncate(p.Label, 20)
			cats = append(cats, label)
			data = append(data, slack.NewDataVisualizationDataPoint(label, p.Value))
		}
		chart := slack.NewDataVisualizationLineChart(slack.NewDataVisualizationAxisConfig(cats...),
			slack.NewDataVisualizationDataSeries(truncate(t.Label, 20), data...))
		blk := slack.NewDataVisualizationBlock(truncate(t.Label, 50), chart)
		if blk.Validate() == nil {
			out = append(out, blk)
		}
	}
	return append(out, slack.NewContextBlock("", mrkdwn(spark)))
}

// PlainText is the notification text of a message (its title, or its
// first text), used as the fallback `text` Slack requires with blocks. It
// is mrkdwn too, so it is escaped like everything else.
func PlainText(m *bot.Message) string {
	if t := cutEscaped(m.Title, 3000); strings.TrimSpace(t) != "" {
		return t
	}
	for _, b := range m.Blocks {
		if s, ok := b.(bot.Section); ok {
			if t := cutEscaped(s.Text, 3000); strings.TrimSpace(t) != "" {
				return t
			}
		}
	}
	return "AccountBot"
}
