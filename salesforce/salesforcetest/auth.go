package salesforcetest

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// token answers the JWT bearer grant.
func (f *Fake) token(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("grant_type") != "urn:ietf:params:oauth:grant-type:jwt-bearer" {
		f.json(w, 400, map[string]string{"error": "unsupported_grant_type", "error_description": "grant type not supported"})
		return
	}
	bad := func(desc string) {
		f.json(w, 400, map[string]string{"error": "invalid_grant", "error_description": desc})
	}
	claims := jwt.MapClaims{}
	// The library sends exp as a string; Salesforce accepts it, so the
	// Fake checks it by hand rather than with jwt's typed validation.
	_, err := jwt.ParseWithClaims(r.PostForm.Get("assertion"), claims, func(t *jwt.Token) (any, error) { return f.key, nil },
		jwt.WithValidMethods([]string{"RS256"}), jwt.WithoutClaimsValidation())
	if err != nil {
		bad("invalid assertion")
		return
	}
	exp, _ := strconv.ParseInt(fmt.Sprint(claims["exp"]), 10, 64)
	switch {
	case claims["iss"] != f.clientID:
		bad("invalid client credentials")
	case claims["aud"] != "https://login.salesforce.com":
		bad("audience is invalid")
	case exp < time.Now().Unix():
		bad("expired authorization code")
	case claims["sub"] != f.user:
		bad("user hasn't approved this consumer")
	default:
		f.Logins++
		f.issued++
		tok := fmt.Sprintf("00D000000000001!tok%d", f.issued)
		f.tokens[tok] = true
		f.json(w, 200, map[string]string{"access_token": tok, "scope": "api", "instance_url": f.Srv.URL,
			"id": f.Srv.URL + "/id/00D000000000001EAA/005000000000001AAA", "token_type": "Bearer"})
	}
}

var (
	keyOnce sync.Once
	key     *rsa.PrivateKey
	keyPEM  string
	keyErr  error
)

// Key returns a test RSA key (made once) and its PKCS #8 PEM, the key an
// External Client App's certificate would hold.
func Key(t testing.TB) (*rsa.PrivateKey, string) {
	keyOnce.Do(func() {
		key, keyErr = rsa.GenerateKey(rand.Reader, 2048)
		if keyErr == nil {
			b, _ := x509.MarshalPKCS8PrivateKey(key)
			keyPEM = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: b}))
		}
	})
	if keyErr != nil {
		t.Fatal(keyErr)
	}
	return key, keyPEM
}
