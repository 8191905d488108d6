-- field_history: the point-in-time history of an account's scored fields
-- (domain.FieldState), one row per account and day it changed; written in
-- the transaction of the account write (see storage/fieldhistory.go).

-- +goose Up
CREATE TABLE field_history (
    id    text NOT NULL,
    day   int4 NOT NULL,
    state jsonb NOT NULL,
    PRIMARY KEY (id, day)
);

-- +goose Down
DROP TABLE field_history;
