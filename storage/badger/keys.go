// Package badger is AccountBot's embedded store, built on Badger (the default backend; storage/postgres is the other).
//
// # Key schema
//
// Every key starts with a short table tag and '/'. Variable parts (ids,
// e-mails, normalised names, platform names and keys) are separated by a
// 0x00 byte, which none of them may contain: account ids must match
// domain.ValidID (letters, digits and . _ : -), and domain's account
// validation refuses control and invisible formatting characters
// (domain.HiddenRune) in owners, names and aliases, so nothing written
// through Apply can carry one; SetSnooze, SetSettings and PutRef refuse them
// in the user and key parts they are given (checkKeyPart). Dates are
// domain.Date as a 4-byte big-endian unsigned integer, so a prefix scan
// returns them in date order.
//
//	m/schema                          → uint32 BE schema version (schemaVersion and migrations in db.go)
//	m/import, m/undo/<seq:8>          → an unfinished big Apply and its undo entries (see journal.go)
//	a/<id>                            → account record: JSON of domain.Account without usage and signals
//	ds/<id>                           → the account's data stamp when a usage- or signal-only write made it:
//	                                    unix seconds (int64 BE) | source; overrides the record's
//	                                    data_changed_at/data_source, deleted when the record is rewritten
//	                                    (freshness.go)
//	u/<id> 00 <date:4>                → usage snapshot: active_users u32 | usage u64 | tickets u32 (BE, 16 bytes)
//	s/<id> 00 <date:4> <hash:8>       → signal: JSON {kind, note}; hash = FNV-64a of kind 00 note, so
//	                                    re-importing the same signal writes the same key (idempotent)
//	h/<id> 00 <date:4>                → score snapshot: JSON of domain.ScoreSnapshot (one per account per day)
//	f/<id> 00 <date:4>                → point-in-time history: JSON of domain.FieldState, the scored fields
//	                                    as they were from that day on (fieldhistory.go). Written by every
//	                                    apply path (imports, ingest API, chat writes, connectors) in the
//	                                    record's own transaction when one of them changes: owner, ARR,
//	                                    plan, renewal date, seats purchased/active, features available/
//	                                    adopted, plan limits, budget confirmed, company growing, expansion
//	                                    potential, stakeholders with their roles, contacts and departures.
//	                                    One key per account per day with a change (the day's last value);
//	                                    ~300-600 bytes each (stakeholders dominate), so a book whose
//	                                    accounts change weekly grows ~25 KB per account per year. Usage,
//	                                    signals, ARR history (a/) and outcomes (o/) are dated already and
//	                                    not repeated. Nothing prunes it: `rules diff` replays from it.
//	io/<owner> 00 <id>                → index: accounts by owner e-mail (empty value)
//	ir/<date:4> <id>                  → index: accounts by renewal date (empty value)
//	in/<normalised name> 00 <id>      → index: accounts by domain.NormalizeName of the name and of each
//	                                    alias (empty value)
//	ie/<source> 00 <ext id> 00 <id>   → index: accounts by external id per source (external.go)
//
// Index entries are written and deleted in the same transaction as the
// account record they point to, so an index never names a missing account.
//
//	o/<id> 00 <date:4> <seq:8>        → logged outcome (JSON of domain.Outcome); seq = write time in ns
//	p/<user e-mail> 00 snooze 00 <id> → snoozed until <date:4> (inclusive)
//	p/<user e-mail> 00 settings       → JSON of domain.UserSettings (digest time, time zone, quiet hours)
//	x/<platform> 00 <event id>        → inbound event de-duplication; a Badger TTL expires it (platform "stripe": applied webhook events)
//	l/<dedupe key>                    → nudge ledger: JSON of domain.LedgerEntry, synced on write, 120-day TTL;
//	                                    dedupe keys are kind|…|recipient, e.g. digest|2026-11-23|ana@example.com
//	ev/<id>                           → stored evaluation: JSON of domain.EvalRecord (evaluations.go), rewritten
//	                                    by the evaluator after each change to the account and once a day
//	eo/<owner> 00 <rank:22> <id>      → index: evaluations by owner in rank order (empty value; owner may be "")
//	eb/<rank:22> <id>                 → index: evaluations of the whole book in rank order (empty value)
//	                                    rank = domain.EvalRecord.RankKey: override 0/1 | impact desc u64 |
//	                                    priority rank u8 | ARR desc u64 | renewal days u32, big-endian, so an
//	                                    ascending scan is domain.Less order; written and deleted in the
//	                                    record's transaction, so "top N" is an index range read
//	q/, t/, k/, g*/                   → review list, API tokens, idempotency, Segment (external.go, tokens.go, segment.go)
//	c/<platform> 00 <key>             → a platform's conversation reference (opaque JSON), keyed by
//	                                    "email:<e-mail>", "user:<platform user id>", "conv:<id>" or "channel:<name>"
//	                                    (legacy: replaced by r/ below; MigrateLegacyRefs moves and deletes them)
//	r/<platform> 00 ch 00 <tenant> 00 <team> 00 <channel id>            → channel reference: JSON {name, ref}
//	r/<platform> 00 cn 00 <tenant> 00 <name> 00 <team> 00 <channel id>  → index: channel by normalised name within a tenant (empty value)
//	r/<platform> 00 pu 00 <tenant> 00 <user id>                         → person reference: JSON {email, ref}
//	r/<platform> 00 pe 00 <e-mail>                                      → JSON {Tenant, User}: written only for the home tenant
//	i/<platform>                      → JSON of domain.Installation: the learned workspace or tenant (synced)
//	w/<write id>                      → a user write's id (e.g. slack|view|V123), written in the write's own
//	                                    transaction; a Badger TTL (WriteIDTTL, 48 h) expires it
//	au/<ns:8> <seq:4>                 → audit record: JSON of domain.AuditEntry; ns = its time, big-endian
//	aw/<e-mail> 00 <ns:8> <seq:4>     → index: audit records by e-mail (empty value)
//	aa/<account id> 00 <ns:8> <seq:4> → index: audit records by account (empty value); PruneAudit deletes
//	                                    records with their index entries, nothing else ever does
//	v/<version:4>                     → rules version: JSON of domain.RulesVersion (who, when, why, changes, the
//	                                    rules without access); never edited, so a score's version stays meaningful
//	m/watch/<nonce>                   → a probe WatchAccounts writes until its subscription sees it, then deletes
//	m/rulesversion                    → uint32 BE: the rules version in force (rules.go)
//	m/rulesfile                       → JSON of the config file's rules as last seen (rules.go; see README "Rules versions")
//	y/, ym/, yo/, yd/, yp/ → CRM sync: cursors and status, marks, write-back outbox (sync.go); links
//	                                    are ExternalIDs (ie/), the review list is q/
package badger

import (
	"encoding/binary"
	"hash/fnv"

	"github.com/accountbot/accountbot/domain"
)

const sep = 0x00

var (
	keySchema     = []byte("m/schema")
	prefixAccount = []byte("a/")
	prefixStamp   = []byte("ds/")
	// WatchAccounts' probe (evaluations.go).
	prefixWatchProbe = []byte("m/watch/")
	prefixUsage      = []byte("u/")
	prefixSignal     = []byte("s/")
	prefixHistory    = []byte("h/")
	prefixOwnerIdx   = []byte("io/")
	prefixRenewIdx   = []byte("ir/")
	prefixNameIdx    = []byte("in/")
	// Ingest (external.go, tokens.go, segment.go document their keys).
	prefixExternalIdx, prefixReview, prefixToken, prefixIdem     = []byte("ie/"), []byte("q/"), []byte("t/"), []byte("k/")
	prefixSegInbox, prefixSegMsg, prefixSegUser, prefixSegActive = []byte("gi/"), []byte("gm/"), []byte("gu/"), []byte("ga/")
)

// checkKeyPart refuses a variable key part holding the separator or any
// other control or invisible character, which would let one key part run
// into the next (see domain.HiddenRune).
func checkKeyPart(what, s string) error {
	if r, _, bad := domain.HiddenRune(s); bad {
		return domain.Errorf(domain.EINVALID, "%s %q contains the control or invisible character U+%04X; remove it", what, s, r)
	}
	return nil
}

func join(parts ...[]byte) []byte {
	n := 0
	for _, p := range parts {
		n += len(p)
	}
	b := make([]byte, 0, n)
	for _, p := range parts {
		b = append(b, p...)
	}
	return b
}

func dateBytes(d domain.Date) []byte {
	var b [4]byte
	binary.BigEndian.PutUint32(b[:], uint32(d))
	return b[:]
}

func dateFrom(b []byte) domain.Date { return domain.Date(binary.BigEndian.Uint32(b)) }

func accountKey(id string) []byte { return join(prefixAccount, []byte(id)) }

func stampKey(id string) []byte { return join(prefixStamp, []byte(id)) }

// accountPrefix is the prefix of every per-account key in a dated table.
func accountPrefix(table []byte, id string) []byte { return join(table, []byte(id), []byte{sep}) }

func usageKey(id string, d domain.Date) []byte {
	return join(accountPrefix(prefixUsage, id), dateBytes(d))
}

func signalKey(id string, s domain.Signal) []byte {
	h := fnv.New64a()
	h.Write([]byte(s.Kind))
	h.Write([]byte{sep})
	h.Write([]byte(s.Note))
	return join(accountPrefix(prefixSignal, id), dateBytes(s.Date), h.Sum(nil))
}

func historyKey(id string, d domain.Date) []byte {
	return join(accountPrefix(prefixHistory, id), dateBytes(d))
}

func ownerIdxKey(owner, id string) []byte {
	return join(prefixOwnerIdx, []byte(owner), []byte{sep}, []byte(id))
}

func renewalIdxKey(d domain.Date, id string) []byte {
	return join(prefixRenewIdx, dateBytes(d), []byte(id))
}

func nameIdxKey(norm, id string) []byte {
	return join(prefixNameIdx, []byte(norm), []byte{sep}, []byte(id))
}

// idAfterSep returns the part of key after its last 0x00.
func idAfterSep(key []byte) string {
	for i := len(key) - 1; i >= 0; i-- {
		if key[i] == sep {
			return string(key[i+1:])
		}
	}
	return ""
}

func encodeSnapshot(s domain.Snapshot) []byte {
	var b [16]byte
	binary.BigEndian.PutUint32(b[0:], uint32(s.ActiveUsers))
	binary.BigEndian.PutUint64(b[4:], uint64(s.Usage))
	binary.BigEndian.PutUint32(b[12:], uint32(s.Tickets))
	return b[:]
}

func decodeSnapshot(d domain.Date, b []byte) (domain.Snapshot, bool) {
	if len(b) != 16 {
		return domain.Snapshot{}, false
	}
	return domain.Snapshot{Date: d,
		ActiveUsers: int(binary.BigEndian.Uint32(b[0:])),
		Usage:       int64(binary.BigEndian.Uint64(b[4:])),
		Tickets:     int(binary.BigEndian.Uint32(b[12:]))}, true
}
