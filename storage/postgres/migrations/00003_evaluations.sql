-- evaluations: each account's stored evaluation (domain.EvalRecord) with
-- its rank key (domain.EvalRecord.RankKey: byte order is rank order),
-- indexed per owner and for the whole book, as the Badger store's ev/,
-- eo/ and eb/ keys.

-- +goose Up
CREATE TABLE evaluations (
    id       text PRIMARY KEY,
    owner    text NOT NULL,
    rank_key bytea NOT NULL,
    record   jsonb NOT NULL
);
CREATE INDEX evaluations_owner ON evaluations (owner COLLATE "C", rank_key, id COLLATE "C");
CREATE INDEX evaluations_book ON evaluations (rank_key, id COLLATE "C");

-- +goose Down
DROP TABLE evaluations;
