package slack

import (
	"encoding/json"
	"net/http"
	"net/url"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
)

// Routes mounts the signed HTTP endpoints on mux:
// POST /slack/commands, /slack/interactivity and /slack/events.
func (a *App) Routes(mux *http.ServeMux, v *Verifier) {
	mux.Handle("/slack/commands", v.Middleware(a.guard("command", a.serveCommand)))
	mux.Handle("/slack/interactivity", v.Middleware(a.guard("interaction", a.serveInteractivity)))
	mux.Handle("/slack/events", v.Middleware(a.guard("event", a.serveEvents)))
}

// guard puts the Binder in front of a verified handler.
func (a *App) guard(kind string, next func(http.ResponseWriter, *http.Request, []byte)) func(http.ResponseWriter, *http.Request, []byte) {
	if a.Binder == nil {
		return next
	}
	return a.Binder.Guard(kind, a.Now, a.Audit, next)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	if err := json.NewEncoder(w).Encode(v); err != nil {
		http.Error(w, "encoding failed", http.StatusInternalServerError)
	}
}

func (a *App) serveCommand(w http.ResponseWriter, r *http.Request, body []byte) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	if form.Get("ssl_check") == "1" {
		w.WriteHeader(http.StatusOK)
		return
	}
	cmd := slack.SlashCommand{
		Token: form.Get("token"), TeamID: form.Get("team_id"), TeamDomain: form.Get("team_domain"),
		EnterpriseID: form.Get("enterprise_id"), ChannelID: form.Get("channel_id"), ChannelName: form.Get("channel_name"),
		UserID: form.Get("user_id"), UserName: form.Get("user_name"), Command: form.Get("command"), Text: form.Get("text"),
		ResponseURL: form.Get("response_url"), TriggerID: form.Get("trigger_id"), APIAppID: form.Get("api_app_id"),
	}
	writeJSON(w, a.Slash(cmd, a.verdict(r, func() Source { return CommandSource(cmd) })))
}

func (a *App) serveInteractivity(w http.ResponseWriter, r *http.Request, body []byte) {
	form, err := url.ParseQuery(string(body))
	if err != nil {
		http.Error(w, "bad form", http.StatusBadRequest)
		return
	}
	var cb slack.InteractionCallback
	if err := json.Unmarshal([]byte(form.Get("payload")), &cb); err != nil {
		http.Error(w, "bad payload", http.StatusBadRequest)
		return
	}
	a.Interaction(cb, a.verdict(r, func() Source { return InteractionSource(cb) }))
	w.WriteHeader(http.StatusOK) // an empty 200 also closes a submitted modal
}

func (a *App) serveEvents(w http.ResponseWriter, r *http.Request, body []byte) {
	ev, err := slackevents.ParseEvent(json.RawMessage(body), slackevents.OptionNoVerifyToken())
	if err != nil {
		http.Error(w, "bad event", http.StatusBadRequest)
		return
	}
	switch ev.Type {
	case slackevents.URLVerification:
		var ch slackevents.ChallengeResponse
		if err := json.Unmarshal(body, &ch); err != nil {
			http.Error(w, "bad challenge", http.StatusBadRequest)
			return
		}
		w.Header().Set("Content-Type", "text/plain")
		w.Write([]byte(ch.Challenge))
		return
	case slackevents.CallbackEvent:
		id := ""
		if cb, ok := ev.Data.(*slackevents.EventsAPICallbackEvent); ok {
			id = cb.EventID
		}
		// Retries (X-Slack-Retry-Num) get the same 200; Event acts once per id.
		a.Event(r.Context(), ev, id, a.verdict(r, func() Source { return EventSource(ev) }))
	}
	w.WriteHeader(http.StatusOK)
}
