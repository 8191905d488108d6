package ingest

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/storage"
)

// Token scopes. admin includes the others.
const (
	ScopeIngest = "ingest" // write records and read nothing
	ScopeRead   = "read"   // read the review list
	ScopeAdmin  = "admin"  // everything
)

// Scopes lists the scopes in help order.
var Scopes = []string{ScopeIngest, ScopeRead, ScopeAdmin}

// tokenPrefix starts every secret, so a leaked one is easy to grep for.
const tokenPrefix = "abt_"

// NewToken makes a token with the scopes and returns it with its secret,
// which is shown once and never stored: the token keeps only its SHA-256.
func NewToken(name string, scopes []string, now time.Time) (storage.Token, string, error) {
	if len(scopes) == 0 {
		return storage.Token{}, "", domain.Errorf(domain.EINVALID, "give at least one --scope (%s)", strings.Join(Scopes, ", "))
	}
	for _, sc := range scopes {
		if !slices.Contains(Scopes, sc) {
			return storage.Token{}, "", domain.Errorf(domain.EINVALID, "unknown scope %q (want %s)", sc, strings.Join(Scopes, ", "))
		}
	}
	if len(name) > 100 {
		return storage.Token{}, "", domain.Errorf(domain.EINVALID, "--name is longer than 100 characters")
	}
	var id [6]byte
	var key [32]byte
	rand.Read(id[:]) // crypto/rand.Read never fails (Go 1.24+)
	rand.Read(key[:])
	t := storage.Token{ID: hex.EncodeToString(id[:]), Name: name, Scopes: slices.Compact(slices.Sorted(slices.Values(scopes))), Created: now.UTC()}
	secret := tokenPrefix + t.ID + "_" + hex.EncodeToString(key[:])
	h := sha256.Sum256([]byte(secret))
	t.Hash = h[:]
	return t, secret, nil
}

// tokenID returns the id part of a secret ("abt_<id>_<key>").
func tokenID(secret string) (string, bool) {
	rest, ok := strings.CutPrefix(secret, tokenPrefix)
	if !ok {
		return "", false
	}
	id, key, ok := strings.Cut(rest, "_")
	return id, ok && domain.ValidID(id) && len(key) == 64
}

// authenticate returns the token a bearer secret belongs to. The stored
// hash is compared in constant time.
func (s *Server) authenticate(ctx context.Context, header string) (storage.Token, bool) {
	secret, ok := strings.CutPrefix(header, "Bearer ")
	if !ok {
		return storage.Token{}, false
	}
	secret = strings.TrimSpace(secret)
	h := sha256.Sum256([]byte(secret))
	id, ok := tokenID(secret)
	if !ok {
		return storage.Token{}, false
	}
	t, err := s.store.Token(ctx, id)
	if err != nil {
		if domain.ErrorCode(err) != domain.ENOTFOUND {
			s.log.Error("ingest: reading token", "err", err)
		}
		return storage.Token{}, false
	}
	if subtle.ConstantTimeCompare(h[:], t.Hash) != 1 {
		return storage.Token{}, false
	}
	return t, true
}

// authorize admits requests with a token holding scope (or admin), then
// applies the token's rate limit.
func (s *Server) authorize(scope string, next http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		t, ok := s.authenticate(r.Context(), r.Header.Get("Authorization"))
		if !ok {
			w.Header().Set("WWW-Authenticate", `Bearer realm="accountbot"`)
			writeError(w, http.StatusUnauthorized, "unauthorized", "send a valid API token as \"Authorization: Bearer abt_…\" (create one with `accountbot token create --scope "+scope+"`)")
			return
		}
		if !slices.Contains(t.Scopes, scope) && !slices.Contains(t.Scopes, ScopeAdmin) {
			writeError(w, http.StatusForbidden, "forbidden", "this token lacks the "+scope+" scope; create one with `accountbot token create --scope "+scope+"`")
			return
		}
		if !s.allow(w, t.ID) {
			return
		}
		next(w, r.WithContext(withToken(r.Context(), t.ID)))
	}
}

type tokenCtxKey struct{}

func withToken(ctx context.Context, id string) context.Context {
	return context.WithValue(ctx, tokenCtxKey{}, id)
}

func tokenFrom(ctx context.Context) string {
	id, _ := ctx.Value(tokenCtxKey{}).(string)
	return id
}
