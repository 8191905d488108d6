-- AccountBot's PostgreSQL schema (applied at start by goose, embedded in the
-- binary; goose's advisory-lock session locker serialises replicas starting
-- together). Dates are domain.Date (days since the epoch, int4); money lives
-- inside the account JSON in integer minor units, never as floats.
--
--   accounts        one row per account: the record as JSONB, with the
--                   indexed columns owner and renewal copied out of it
--   account_names   normalised name/alias → account (exact and prefix lookup)
--   usage           daily usage snapshot per account
--   signals         dated signals per account (unique by content)
--   external_ids    (source, external id) → account; one holder per id
--   unmatched       review list of records no account matched
--   ledger          nudge ledger; the dedupe key is the primary key, so a
--                   claim is INSERT … ON CONFLICT DO NOTHING
--   outcomes        logged outcomes
--   audit           append-only audit log
--   tokens          API tokens (SHA-256 of the secret only)
--   idempotency     stored answers per token and idempotency key, with expiry
--   write_ids       chat write ids (double clicks, replays), with expiry
--   events          inbound platform event ids (Slack/Teams de-dup), with expiry
--   legacy_refs     old name-keyed conversation references (migrated away)
--   channel_refs, person_refs, person_emails   id-keyed conversation references
--   sync_state      connector cursor and status per source
--   sync_marks      accounts deleted or merged at their source
--   outbox          write-back queue; delivered_notes and written: what went out
--   segment_inbox, segment_msgs, segment_users, segment_active   Segment ingest
--   scores          daily score snapshots
--   settings, snoozes   per-user nudge settings and snoozed accounts
--   installations   the workspace/tenant each platform adapter learned

-- +goose Up
CREATE TABLE accounts (
    id      text PRIMARY KEY,
    record  jsonb NOT NULL,
    owner   text NOT NULL DEFAULT '',
    renewal int4 NOT NULL DEFAULT 0
);
CREATE INDEX accounts_owner ON accounts (owner COLLATE "C", id COLLATE "C") WHERE owner <> '';
CREATE INDEX accounts_renewal ON accounts (renewal, id COLLATE "C") WHERE renewal <> 0;

CREATE TABLE account_names (
    norm text COLLATE "C" NOT NULL,
    id   text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    PRIMARY KEY (norm, id)
);
CREATE INDEX account_names_id ON account_names (id);

CREATE TABLE usage (
    id           text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    day          int4 NOT NULL,
    active_users int4 NOT NULL,
    usage        int8 NOT NULL,
    tickets      int4 NOT NULL,
    PRIMARY KEY (id, day)
);

CREATE TABLE signals (
    id   text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    day  int4 NOT NULL,
    kind text NOT NULL,
    note text NOT NULL DEFAULT '',
    PRIMARY KEY (id, day, kind, note)
);

CREATE TABLE external_ids (
    source text NOT NULL,
    ext    text NOT NULL,
    id     text NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    PRIMARY KEY (source, ext)
);

CREATE TABLE unmatched (
    source text NOT NULL,
    ext    text NOT NULL,
    record jsonb NOT NULL,
    PRIMARY KEY (source, ext)
);

CREATE TABLE ledger (
    key        text PRIMARY KEY,
    entry      jsonb NOT NULL,
    updated_at timestamptz NOT NULL
);
CREATE INDEX ledger_updated ON ledger (updated_at);

CREATE TABLE outcomes (
    seq   bigserial PRIMARY KEY,
    id    text NOT NULL,
    day   int4 NOT NULL,
    entry jsonb NOT NULL
);
CREATE INDEX outcomes_day ON outcomes (day);

CREATE TABLE audit (
    seq     bigserial PRIMARY KEY,
    at      timestamptz NOT NULL,
    email   text NOT NULL DEFAULT '',
    user_id text NOT NULL DEFAULT '',
    account text NOT NULL DEFAULT '',
    entry   jsonb NOT NULL
);
CREATE INDEX audit_at ON audit (at, seq);
CREATE INDEX audit_email ON audit (email, at) WHERE email <> '';
CREATE INDEX audit_account ON audit (account, at) WHERE account <> '';

CREATE TABLE tokens (
    id    text PRIMARY KEY,
    token jsonb NOT NULL
);

CREATE TABLE idempotency (
    token      text NOT NULL,
    key        text NOT NULL,
    answer     bytea NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (token, key)
);

CREATE TABLE write_ids (
    id         text PRIMARY KEY,
    expires_at timestamptz NOT NULL
);

CREATE TABLE events (
    platform   text NOT NULL,
    id         text NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (platform, id)
);

CREATE TABLE legacy_refs (
    platform text NOT NULL,
    key      text NOT NULL,
    value    bytea NOT NULL,
    PRIMARY KEY (platform, key)
);

CREATE TABLE channel_refs (
    platform text NOT NULL,
    tenant   text NOT NULL,
    team     text NOT NULL,
    channel  text NOT NULL,
    name     text NOT NULL DEFAULT '',
    ref      bytea NOT NULL,
    PRIMARY KEY (platform, tenant, team, channel)
);
CREATE INDEX channel_refs_name ON channel_refs (platform, tenant, name) WHERE name <> '';

CREATE TABLE person_refs (
    platform text NOT NULL,
    tenant   text NOT NULL,
    user_id  text NOT NULL,
    email    text NOT NULL DEFAULT '',
    ref      bytea NOT NULL,
    PRIMARY KEY (platform, tenant, user_id)
);

CREATE TABLE person_emails (
    platform text NOT NULL,
    email    text NOT NULL,
    tenant   text NOT NULL,
    user_id  text NOT NULL,
    PRIMARY KEY (platform, email)
);

CREATE TABLE sync_state (
    source text PRIMARY KEY,
    cursor text NOT NULL DEFAULT '',
    status jsonb
);

CREATE TABLE sync_marks (
    id   text PRIMARY KEY,
    mark jsonb NOT NULL
);

CREATE TABLE outbox (
    source text NOT NULL,
    id     text NOT NULL,
    write  jsonb NOT NULL,
    PRIMARY KEY (source, id)
);

CREATE TABLE delivered_notes (
    id     text PRIMARY KEY,
    remote text NOT NULL
);

CREATE TABLE written (
    source text NOT NULL,
    id     text NOT NULL,
    props  jsonb NOT NULL,
    PRIMARY KEY (source, id)
);

CREATE TABLE segment_inbox (
    seq bigserial PRIMARY KEY,
    raw bytea NOT NULL
);

CREATE TABLE segment_msgs (
    message_id text PRIMARY KEY,
    expires_at timestamptz NOT NULL
);

CREATE TABLE segment_users (
    user_id text PRIMARY KEY,
    id      text NOT NULL
);

CREATE TABLE segment_active (
    id         text NOT NULL,
    day        int4 NOT NULL,
    user_id    text NOT NULL,
    expires_at timestamptz NOT NULL,
    PRIMARY KEY (id, day, user_id)
);

CREATE TABLE scores (
    id    text NOT NULL,
    day   int4 NOT NULL,
    snap  jsonb NOT NULL,
    PRIMARY KEY (id, day)
);

CREATE TABLE settings (
    user_id  text PRIMARY KEY,
    settings jsonb NOT NULL
);

CREATE TABLE snoozes (
    user_id text NOT NULL,
    id      text NOT NULL,
    until   int4 NOT NULL,
    PRIMARY KEY (user_id, id)
);

CREATE TABLE installations (
    platform text PRIMARY KEY,
    inst     jsonb NOT NULL
);

-- +goose Down
DROP TABLE installations, snoozes, settings, scores, segment_active, segment_users,
    segment_msgs, segment_inbox, written, delivered_notes, outbox, sync_marks, sync_state,
    person_emails, person_refs, channel_refs, legacy_refs, events, write_ids, idempotency,
    tokens, audit, outcomes, ledger, unmatched, external_ids, signals, usage, account_names, accounts;
