package slack_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
)

func signWith(secret, ts, body string) string {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write([]byte("v0:" + ts + ":" + body))
	return "v0=" + hex.EncodeToString(mac.Sum(nil))
}
