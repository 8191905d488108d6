package bot

import "strings"

// CommandText turns what someone typed to the bot into a command: the text
// of a slash command (/account, /portfolio: noun is its name), a direct
// message or a mention (noun "account"). Text that already starts with a
// noun or help is taken as it is; anything else is about an account, so
// "acme health" means "account acme health". Slack and Teams both call it.
func CommandText(noun, text string) string {
	text = strings.TrimSpace(text)
	if noun == "portfolio" {
		return strings.TrimSpace("portfolio " + text)
	}
	words := strings.Fields(strings.ToLower(text))
	if len(words) == 0 {
		return "help"
	}
	switch words[0] {
	case "help", "?", "account", "accounts", "portfolio":
		return text
	}
	return "account " + text
}
