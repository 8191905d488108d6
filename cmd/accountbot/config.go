package main

import (
	"bytes"
	"fmt"
	"net/url"
	"os"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/accountbot/accountbot/bot/nudge"
	"github.com/accountbot/accountbot/domain"
	"github.com/accountbot/accountbot/ingest"
)

// FileConfig is the YAML configuration file. Every key is optional; absent
// keys keep their defaults (see `accountbot config`).
type FileConfig struct {
	Rules     domain.Config `yaml:"rules"`
	Nudges    nudge.Config  `yaml:"nudges"`
	Playbooks string        `yaml:"playbooks_dir"`
	Currency  string        `yaml:"default_currency"`
	Sync      SyncConfig    `yaml:"sync"` // sync.go
	// DatabaseURL selects PostgreSQL instead of the embedded store (env
	// ACCOUNTBOT_DATABASE_URL wins); see README "Running on PostgreSQL".
	DatabaseURL string `yaml:"database_url"`

	// The ingest API and its Segment receiver (package ingest).
	Ingest  ingest.Config        `yaml:"ingest"`
	Segment ingest.SegmentConfig `yaml:"segment"`
}

func defaultFileConfig() FileConfig {
	return FileConfig{Rules: domain.DefaultConfig(), Nudges: nudge.DefaultConfig(), Currency: "USD", Sync: defaultSyncConfig(),
		Ingest: ingest.DefaultConfig(), Segment: ingest.DefaultSegmentConfig()}
}

// loadConfig reads a YAML file over the defaults. Unknown keys are errors
// (a typo must not silently keep a default), and the result is validated.
func loadConfig(path string) (FileConfig, error) {
	cfg := defaultFileConfig()
	if path == "" {
		return cfg, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return cfg, domain.Errorf(domain.EINVALID, "reading config %s: %v", path, err)
	}
	return parseConfig(path, b)
}

// parseConfig reads YAML over the defaults; errors name the file and the
// field (fuzzed: no input panics).
func parseConfig(path string, b []byte) (FileConfig, error) {
	cfg := defaultFileConfig()
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&cfg); err != nil && err.Error() != "EOF" {
		return cfg, domain.Errorf(domain.EINVALID, "config %s: %s", path, strings.TrimPrefix(err.Error(), "yaml: "))
	}
	if err := cfg.Rules.Validate(); err != nil {
		return cfg, domain.Errorf(domain.EINVALID, "config %s: %s", path, domain.ErrorMessage(err))
	}
	if err := cfg.Nudges.Validate(); err != nil {
		return cfg, domain.Errorf(domain.EINVALID, "config %s: %s", path, domain.ErrorMessage(err))
	}
	for _, err := range []error{cfg.Ingest.Validate(), cfg.Segment.Validate()} {
		if err != nil {
			return cfg, domain.Errorf(domain.EINVALID, "config %s: %s", path, domain.ErrorMessage(err))
		}
	}
	if len(cfg.Currency) != 3 {
		return cfg, domain.Errorf(domain.EINVALID, "config %s: default_currency must be a 3-letter code", path)
	}
	cfg.Currency = strings.ToUpper(cfg.Currency)
	return cfg, nil
}

func dumpConfig(cfg FileConfig) (string, error) {
	cfg.DatabaseURL = redactURL(cfg.DatabaseURL)
	var b bytes.Buffer
	enc := yaml.NewEncoder(&b)
	enc.SetIndent(2)
	if err := enc.Encode(cfg); err != nil {
		return "", fmt.Errorf("encoding config: %w", err)
	}
	return b.String(), nil
}

// redactURL hides a database URL's password (`accountbot config` output
// gets pasted into tickets).
func redactURL(s string) string {
	u, err := url.Parse(s)
	if err != nil || u.User == nil {
		return s
	}
	if _, ok := u.User.Password(); ok {
		u.User = url.UserPassword(u.User.Username(), "REDACTED")
	}
	return u.String()
}
