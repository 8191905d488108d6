-- rules_versions: every applied rules version (domain.RulesVersion, access
-- left out); the highest is in force. rules_file: the config file's rules
-- as last seen (one row).

-- +goose Up
CREATE TABLE rules_versions (
    version int4 PRIMARY KEY,
    entry   jsonb NOT NULL
);
CREATE TABLE rules_file (
    one   bool PRIMARY KEY DEFAULT true CHECK (one),
    rules jsonb NOT NULL
);

-- +goose Down
DROP TABLE rules_file, rules_versions;
