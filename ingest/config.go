package ingest

import (
	"fmt"
	"time"

	"github.com/accountbot/accountbot/domain"
)

// Config tunes the ingest API (the `ingest:` section of the config file).
type Config struct {
	MaxBodyBytes   int64         `yaml:"max_body_bytes"`  // largest request body; 413 above
	RatePerSecond  float64       `yaml:"rate_per_second"` // requests per second per token
	Burst          int           `yaml:"burst"`           // requests a token may make at once
	IdempotencyTTL time.Duration `yaml:"idempotency_ttl"` // how long an Idempotency-Key's answer is kept
	Currency       string        `yaml:"-"`               // for records that name none (default_currency)
	// EvaluatorShare is the share of one core that re-evaluating changed
	// accounts takes while a bulk load arrives (evaluator.Options.BulkShare).
	EvaluatorShare float64 `yaml:"evaluator_share"`
}

// DefaultConfig is the ingest API's configuration when the file says nothing.
func DefaultConfig() Config {
	return Config{MaxBodyBytes: 8 << 20, RatePerSecond: 20, Burst: 40, IdempotencyTTL: 24 * time.Hour, Currency: "USD", EvaluatorShare: 0.5}
}

// Validate checks the values a config file may set.
func (c Config) Validate() error {
	switch {
	case c.MaxBodyBytes < 1<<10 || c.MaxBodyBytes > 512<<20:
		return domain.Errorf(domain.EINVALID, "ingest.max_body_bytes must be between 1024 and 536870912 (got %d)", c.MaxBodyBytes)
	case c.RatePerSecond <= 0 || c.Burst < 1:
		return domain.Errorf(domain.EINVALID, "ingest.rate_per_second must be positive and ingest.burst at least 1")
	case c.EvaluatorShare < 0.1 || c.EvaluatorShare > 1:
		return domain.Errorf(domain.EINVALID, "ingest.evaluator_share must be between 0.1 and 1 (a share of one core; got %g)", c.EvaluatorShare)
	case c.IdempotencyTTL < time.Minute:
		return domain.Errorf(domain.EINVALID, "ingest.idempotency_ttl must be at least 1m (got %s)", c.IdempotencyTTL)
	}
	return nil
}

// SegmentConfig maps Segment events onto accounts (the `segment:` section).
type SegmentConfig struct {
	// SharedSecret signs every request (X-Signature); without it the
	// endpoint refuses everything. ACCOUNTBOT_SEGMENT_SECRET overrides it.
	SharedSecret string `yaml:"shared_secret"`
	MaxBodyBytes int64  `yaml:"max_body_bytes"`
	// AccountPaths are where an event names its account (an account id or
	// a `segment` external id), tried in order; a group call's groupId
	// always counts, and a user a group call placed keeps that account.
	AccountPaths []string `yaml:"account_paths"`
	// UsageEvents are the track events that count as usage (empty: all
	// but IgnoreEvents and TicketEvents). Each adds 1 to the day's usage
	// and its userId to the day's distinct active users.
	UsageEvents  []string `yaml:"usage_events"`
	IgnoreEvents []string `yaml:"ignore_events"`
	// TicketEvents add 1 to the day's support tickets instead.
	TicketEvents []string `yaml:"ticket_events"`
	// Traits name the identify traits a stakeholder is read from.
	Traits TraitMap `yaml:"traits"`
}

// TraitMap names the identify traits that fill a stakeholder.
type TraitMap struct {
	Name      string `yaml:"name"`
	Email     string `yaml:"email"`
	Role      string `yaml:"role"`
	Function  string `yaml:"function"`
	Champion  string `yaml:"champion"`
	Executive string `yaml:"executive"`
}

// DefaultSegmentConfig is the mapping when the config file says nothing.
func DefaultSegmentConfig() SegmentConfig {
	return SegmentConfig{
		MaxBodyBytes: 1 << 20,
		AccountPaths: []string{"context.groupId", "traits.company.id", "context.traits.company.id", "properties.account_id"},
		IgnoreEvents: []string{"Application Backgrounded", "Application Installed", "Application Updated"},
		TicketEvents: []string{"Ticket Created"},
		Traits:       TraitMap{Name: "name", Email: "email", Role: "title", Function: "department", Champion: "champion", Executive: "executive"},
	}
}

// Validate checks the mapping.
func (c SegmentConfig) Validate() error {
	if c.MaxBodyBytes < 1<<10 || c.MaxBodyBytes > 64<<20 {
		return domain.Errorf(domain.EINVALID, "segment.max_body_bytes must be between 1024 and 67108864 (got %d)", c.MaxBodyBytes)
	}
	for _, p := range c.AccountPaths {
		if p == "" {
			return domain.Errorf(domain.EINVALID, "segment.account_paths: empty path (want e.g. context.groupId)")
		}
	}
	if c.Traits.Name == "" && c.Traits.Email == "" {
		return domain.Errorf(domain.EINVALID, "segment.traits: name or email must name a trait, or no stakeholder can be named")
	}
	return nil
}

func limitText(n int64) string {
	if n >= 1<<20 && n%(1<<20) == 0 {
		return fmt.Sprintf("%d MiB", n>>20)
	}
	return fmt.Sprintf("%d bytes", n)
}

// MarshalYAML keeps the shared secret out of `accountbot config`'s output.
func (c SegmentConfig) MarshalYAML() (any, error) {
	type plain SegmentConfig
	p := plain(c)
	if p.SharedSecret != "" {
		p.SharedSecret = "<redacted>"
	}
	return p, nil
}
