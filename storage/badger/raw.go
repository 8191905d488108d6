package badger

import (
	"github.com/dgraph-io/badger/v4"

	"github.com/accountbot/accountbot/domain"
)

// Raw returns the underlying Badger database, for benchmarks and tools
// that compare AccountBot against Badger's own limits. Writing through it
// bypasses index maintenance: read only.
func (s *DB) Raw() *badger.DB { return s.db }

// KV is one key and value.
type KV struct{ Key, Value []byte }

// Records returns the account and usage records Apply would write for a
// new account (without index entries): what a raw WriteBatch of "the same
// records" writes in `make bench`.
func Records(p domain.Patch) []KV {
	a := *p.Core
	a.Usage, a.Signals = nil, nil
	out := []KV{{accountKey(p.ID), mustJSON(&a)}}
	for _, u := range p.Usage {
		out = append(out, KV{usageKey(p.ID, u.Date), encodeSnapshot(u)})
	}
	for _, sg := range p.Signals {
		out = append(out, KV{signalKey(p.ID, sg), mustJSON(signalValue{Kind: sg.Kind, Note: sg.Note})})
	}
	return out
}

// Prefixes of the account and usage tables, for raw iteration baselines.
var (
	AccountPrefix = prefixAccount
	UsagePrefix   = prefixUsage
)

// AccountKey is the record key of an account.
func AccountKey(id string) []byte { return accountKey(id) }
