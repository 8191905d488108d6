package leader

import (
	"cmp"
	"context"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
)

// DefaultLockID is the advisory lock AccountBot's replicas campaign for
// (a constant: every replica of one database must use the same).
const DefaultLockID int64 = 0x4163_6342_6f74_4c64 // "AcBotLd"

// Postgres elects a leader among the processes sharing a database.
type Postgres struct {
	URL    string        // the database (the same as the store's)
	LockID int64         // DefaultLockID when zero
	Retry  time.Duration // how often a follower tries, and a leader checks its session; 1s when zero
	Log    *slog.Logger
	// AppName is the session's application_name (pg_stat_activity shows
	// which replica leads); "accountbot leader" when empty.
	AppName string
	// OnChange is called with true when this process starts leading and
	// false when it stops (metrics); optional.
	OnChange func(leading bool)

	t *terms
}

// NewPostgres returns an elector for the database at url.
func NewPostgres(url string, log *slog.Logger) *Postgres {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Postgres{URL: url, Log: log, t: newTerms()}
}

// Leading reports whether this process holds the lock now.
func (p *Postgres) Leading() bool { return p.t.leading() }

// Do runs fn while this process leads; see Elector.
func (p *Postgres) Do(ctx context.Context, fn func(ctx context.Context)) { p.t.do(ctx, fn) }

// Run campaigns until ctx ends: it connects, tries the lock every Retry,
// and once it holds it checks its session every Retry; a lost session
// ends the term at once and the campaign starts again.
func (p *Postgres) Run(ctx context.Context) {
	retry := p.Retry
	if retry <= 0 {
		retry = time.Second
	}
	for ctx.Err() == nil {
		p.campaign(ctx, retry)
		select {
		case <-ctx.Done():
		case <-time.After(retry):
		}
	}
}

// campaign is one connection's life: try, lead, until the connection fails.
func (p *Postgres) campaign(ctx context.Context, retry time.Duration) {
	cfg, err := pgx.ParseConfig(p.URL)
	if err != nil {
		p.Log.Error("leader election: reading the database URL", "err", err)
		return
	}
	cfg.RuntimeParams["application_name"] = cmp.Or(p.AppName, "accountbot leader")
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		if ctx.Err() == nil {
			p.Log.Warn("leader election: connecting", "err", err)
		}
		return
	}
	defer func() {
		closeCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
		defer cancel()
		conn.Close(closeCtx) // ends the session: the lock is released with it
	}()
	id := p.LockID
	if id == 0 {
		id = DefaultLockID
	}
	t := time.NewTicker(retry)
	defer t.Stop()
	for {
		var got bool
		if err := conn.QueryRow(ctx, `SELECT pg_try_advisory_lock($1)`, id).Scan(&got); err != nil {
			if ctx.Err() == nil {
				p.Log.Warn("leader election: trying the lock", "err", err)
			}
			return
		}
		if got {
			p.lead(ctx, conn, t)
			return
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// lead holds the term while the session answers.
func (p *Postgres) lead(ctx context.Context, conn *pgx.Conn, t *time.Ticker) {
	p.Log.Info("leader election: this replica leads (runs nudges and sync)")
	p.t.begin(ctx)
	p.notify(true)
	defer func() {
		p.t.end()
		p.notify(false)
		p.Log.Info("leader election: this replica no longer leads")
	}()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		pingCtx, cancel := context.WithTimeout(ctx, max(time.Second, p.Retry))
		err := conn.Ping(pingCtx)
		cancel()
		if err != nil {
			if ctx.Err() == nil {
				p.Log.Warn("leader election: lost the database session", "err", err)
			}
			return
		}
	}
}

func (p *Postgres) notify(leading bool) {
	if p.OnChange != nil {
		p.OnChange(leading)
	}
}
