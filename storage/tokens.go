package storage

import "time"

// Token is an API bearer token. The secret itself is never stored.
type Token struct {
	ID      string    `json:"id"`
	Name    string    `json:"name,omitempty"`
	Scopes  []string  `json:"scopes"`
	Hash    []byte    `json:"sha256"` // SHA-256 of the whole secret
	Created time.Time `json:"created"`
}
