// Package teams connects AccountBot to Microsoft Teams through the Bot
// Framework (msbotbuilder-go's activity model and adapter). It only
// translates; it plugs its own token validator and connector client into
// the library's adapter, because the library's own fetch the OpenID
// metadata on every request without closing bodies, keep unsynchronised
// caches, set no timeouts and dereference nil responses on errors.
package teams

import (
	"context"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/infracloudio/msbotbuilder-go/connector/auth"
	"github.com/infracloudio/msbotbuilder-go/schema"
	"golang.org/x/sync/singleflight"
)

// Bot Framework public-cloud defaults; sovereign clouds configure others.
const (
	DefaultOpenIDMetadata = "https://login.botframework.com/v1/.well-known/openidconfiguration"
	DefaultIssuer         = "https://api.botframework.com"
	maxAuthHeader         = 8 << 10 // tokens are ~1-2 KB; refuse absurd ones fast
)

// ErrUnauthorized wraps every validation failure.
var ErrUnauthorized = errors.New("unauthorized")

// Validator validates inbound Bot Framework JWTs (auth.TokenValidator).
type Validator struct {
	AppID       string
	Issuer      string // default https://api.botframework.com
	MetadataURL string // OpenID metadata; default the public cloud's
	HTTP        *http.Client
	Now         func() time.Time
	Skew        time.Duration // 5 minutes
	// Refresh is how often keys are refetched anyway (about daily), and
	// MinRefresh the least time between refetches for an unknown key id.
	Refresh, MinRefresh time.Duration

	mu      sync.RWMutex
	keys    map[string]jwk
	fetched time.Time
	group   singleflight.Group
}

// jwk is one Bot Framework signing key with its endorsements (the channel
// ids it may sign for), which general-purpose JWKS helpers drop.
type jwk struct {
	key          *rsa.PublicKey
	endorsements []string
}

func (v *Validator) now() time.Time {
	if v.Now != nil {
		return v.Now()
	}
	return time.Now()
}

func (v *Validator) client() *http.Client {
	if v.HTTP != nil {
		return v.HTTP
	}
	return &http.Client{Timeout: 10 * time.Second}
}

// AuthenticateRequest implements auth.TokenValidator.
func (v *Validator) AuthenticateRequest(ctx context.Context, act schema.Activity, header string, _ auth.CredentialProvider, _ string) (auth.ClaimsIdentity, error) {
	claims, err := v.Validate(ctx, header, act.ServiceURL, act.ChannelID)
	if err != nil {
		return nil, err
	}
	return auth.NewClaimIdentity(claims, true), nil
}

// Validate checks the Authorization header for an activity from serviceURL
// on channelID and returns the token's claims.
func (v *Validator) Validate(ctx context.Context, header, serviceURL, channelID string) (jwt.MapClaims, error) {
	if v.AppID == "" {
		return nil, fmt.Errorf("%w: no app id configured", ErrUnauthorized)
	}
	if header == "" || len(header) > maxAuthHeader || !strings.HasPrefix(header, "Bearer ") {
		return nil, fmt.Errorf("%w: missing or malformed Authorization header", ErrUnauthorized)
	}
	raw := strings.TrimPrefix(header, "Bearer ")
	issuer := v.Issuer
	if issuer == "" {
		issuer = DefaultIssuer
	}
	skew := v.Skew
	if skew == 0 {
		skew = 5 * time.Minute
	}
	var signer jwk
	parser := jwt.NewParser(
		jwt.WithValidMethods([]string{"RS256", "RS384", "RS512"}), // never none or HS*
		jwt.WithIssuer(issuer),
		jwt.WithAudience(v.AppID),
		jwt.WithLeeway(skew),
		jwt.WithExpirationRequired(),
		jwt.WithTimeFunc(v.now),
	)
	claims := jwt.MapClaims{}
	_, err := parser.ParseWithClaims(raw, claims, func(t *jwt.Token) (any, error) {
		kid, _ := t.Header["kid"].(string)
		k, err := v.key(ctx, kid)
		if err != nil {
			return nil, err
		}
		signer = k
		return k.key, nil
	})
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrUnauthorized, err)
	}
	// The token must be for the service URL the reply will go to, or an
	// attacker could make the bot send its own outbound token elsewhere.
	if su, _ := claims["serviceurl"].(string); su == "" || !sameURL(su, serviceURL) {
		return nil, fmt.Errorf("%w: serviceurl claim does not match the activity", ErrUnauthorized)
	}
	// As the Bot Framework SDKs do: a key may sign only for the channels it
	// is endorsed for, so a key with no endorsements signs for none.
	if channelID != "" && !slices.Contains(signer.endorsements, channelID) {
		return nil, fmt.Errorf("%w: signing key not endorsed for channel %q", ErrUnauthorized, channelID)
	}
	return claims, nil
}

func sameURL(a, b string) bool {
	return strings.TrimRight(strings.ToLower(a), "/") == strings.TrimRight(strings.ToLower(b), "/")
}

// key returns the signing key for kid, refreshing the key set when it is
// stale, or when the kid is unknown and the last refresh is old enough.
// Concurrent callers share one fetch.
func (v *Validator) key(ctx context.Context, kid string) (jwk, error) {
	refresh, minRefresh := v.Refresh, v.MinRefresh
	if refresh == 0 {
		refresh = 24 * time.Hour
	}
	if minRefresh == 0 {
		minRefresh = time.Hour
	}
	v.mu.RLock()
	k, ok := v.keys[kid]
	age := v.now().Sub(v.fetched)
	empty := v.keys == nil
	v.mu.RUnlock()
	if ok && age < refresh {
		return k, nil
	}
	if !empty && !ok && age < minRefresh {
		return jwk{}, fmt.Errorf("unknown signing key %q", kid)
	}
	if _, err, _ := v.group.Do("fetch", func() (any, error) { return nil, v.fetch(ctx) }); err != nil {
		if ok {
			return k, nil // keep using a known key if the refresh failed
		}
		return jwk{}, err
	}
	v.mu.RLock()
	defer v.mu.RUnlock()
	if k, ok := v.keys[kid]; ok {
		return k, nil
	}
	return jwk{}, fmt.Errorf("unknown signing key %q", kid)
}

// fetch reads the OpenID metadata, then its JWKS.
func (v *Validator) fetch(ctx context.Context) error {
	url := v.MetadataURL
	if url == "" {
		url = DefaultOpenIDMetadata
	}
	var meta struct {
		JWKSURI string `json:"jwks_uri"`
	}
	if err := v.getJSON(ctx, url, &meta); err != nil {
		return fmt.Errorf("reading OpenID metadata: %w", err)
	}
	if meta.JWKSURI == "" {
		return errors.New("OpenID metadata has no jwks_uri")
	}
	var set struct {
		Keys []struct {
			Kid          string   `json:"kid"`
			Kty          string   `json:"kty"`
			N            string   `json:"n"`
			E            string   `json:"e"`
			Endorsements []string `json:"endorsements"`
		} `json:"keys"`
	}
	if err := v.getJSON(ctx, meta.JWKSURI, &set); err != nil {
		return fmt.Errorf("reading signing keys: %w", err)
	}
	keys := map[string]jwk{}
	for _, k := range set.Keys {
		if k.Kty != "RSA" || k.Kid == "" {
			continue
		}
		n, err1 := base64.RawURLEncoding.DecodeString(k.N)
		e, err2 := base64.RawURLEncoding.DecodeString(k.E)
		if err1 != nil || err2 != nil || len(e) > 4 {
			continue
		}
		pub := &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}
		keys[k.Kid] = jwk{key: pub, endorsements: k.Endorsements}
	}
	if len(keys) == 0 {
		return errors.New("no usable signing keys")
	}
	v.mu.Lock()
	v.keys, v.fetched = keys, v.now()
	v.mu.Unlock()
	return nil
}

func (v *Validator) getJSON(ctx context.Context, url string, out any) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return err
	}
	resp, err := v.client().Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s answered %s", url, resp.Status)
	}
	return json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(out)
}
