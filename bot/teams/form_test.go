package teams_test

import (
	"context"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/accountbot/accountbot/bot"
	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage/storagetest"
)

// TestCardSubmissionKeepsTheNoteExactly submits the outcome card with a
// note holding quotes, '=', a newline and non-ASCII text, and a number as
// Teams may send it (a JSON number): both arrive unchanged.
func TestCardSubmissionKeepsTheNoteExactly(t *testing.T) {
	f := newBotFramework(t)
	db := storagetest.Open(t)
	app := newApp(t, f, db)
	auth := "Bearer " + f.token(t, jwt.SigningMethodRS256, f.key, nil)
	note := "He said \"ship it\" = yes\nZürich ✓ 東京 'quoted' “smart”"
	send(t, app, auth, activityJSON(f, "", map[string]any{"action": bot.ActionOutcomeSubmit, "value": "globex",
		"result": "won", "motion": "-", "arr": 3600000.0, "note": note}))
	outs, _ := db.Outcomes(context.Background(), domain.DateOf(now), domain.DateOf(now))
	if len(outs) != 1 || outs[0].Note != note || outs[0].Motion != "" || outs[0].ARR != 3_600_000_00 {
		t.Errorf("outcome = %+v", outs)
	}
}
