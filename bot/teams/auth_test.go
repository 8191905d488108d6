package teams_test

import (
	"encoding/json"
	"testing"

	"github.com/golang-jwt/jwt/v5"

	"github.com/accountbot/accountbot/storage/storagetest"
)

// A signing key must list the activity's channel among its endorsements;
// a key with none is refused for a channel activity, as the Bot Framework
// SDKs' EndorsementsValidator does.
func TestKeyWithoutEndorsementsIsRefused(t *testing.T) {
	tests := []struct {
		name    string
		endorse []string
		want    int
	}{
		{"endorsements absent (null)", nil, 401},
		{"endorsements empty", []string{}, 401},
		{"other channel only", []string{"slack", "webchat"}, 401},
		{"endorsed for msteams", []string{"webchat", "msteams"}, 202},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newBotFramework(t)
			f.endorse = tt.endorse
			if b, _ := json.Marshal(f.endorse); tt.endorse == nil && string(b) != "null" {
				t.Fatalf("fake serves %s, want null", b)
			}
			app := newApp(t, f, storagetest.Open(t))
			body := activityJSON(f, "help", nil)
			if got := send(t, app, "Bearer "+f.token(t, jwt.SigningMethodRS256, f.key, nil), body); got != tt.want {
				t.Errorf("status %d, want %d", got, tt.want)
			}
		})
	}
}
