-- usage loses its foreign key to accounts: the per-row check (a lookup of
-- the account for each of its 52+ usage rows) made writing usage about
-- three times slower, and usage is most of an import. Nothing deletes
-- accounts (restore empties every table at once), Apply writes an
-- account's row in the transaction that writes its usage, and Segment
-- usage is written only WHERE EXISTS its account.

-- +goose Up
ALTER TABLE usage DROP CONSTRAINT IF EXISTS usage_id_fkey;

-- +goose Down
ALTER TABLE usage ADD CONSTRAINT usage_id_fkey FOREIGN KEY (id) REFERENCES accounts (id) ON DELETE CASCADE;
