-- The name index, external ids and signals lose their foreign keys to
-- accounts, and the name index its index by account (which served only the
-- foreign key's cascade), for the reason usage lost its own (00005): a
-- lookup of the account per row, with an index update per name, made them
-- the most expensive part of an import after usage itself (measured with
-- pg_stat_statements on a 20,000-account import: the name index cost a
-- third of the usage COPY; without these, a quarter of that). Nothing
-- deletes accounts (restore empties every table at once), and every writer
-- of these rows writes or locks the account in the same transaction
-- (Apply, the ingest API's applyActivity).

-- +goose Up
ALTER TABLE account_names DROP CONSTRAINT IF EXISTS account_names_id_fkey;
ALTER TABLE external_ids DROP CONSTRAINT IF EXISTS external_ids_id_fkey;
ALTER TABLE signals DROP CONSTRAINT IF EXISTS signals_id_fkey;
DROP INDEX IF EXISTS account_names_id;

-- +goose Down
CREATE INDEX account_names_id ON account_names (id);
ALTER TABLE signals ADD CONSTRAINT signals_id_fkey FOREIGN KEY (id) REFERENCES accounts (id) ON DELETE CASCADE;
ALTER TABLE external_ids ADD CONSTRAINT external_ids_id_fkey FOREIGN KEY (id) REFERENCES accounts (id) ON DELETE CASCADE;
ALTER TABLE account_names ADD CONSTRAINT account_names_id_fkey FOREIGN KEY (id) REFERENCES accounts (id) ON DELETE CASCADE;
