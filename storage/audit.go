package storage

import "time"

// AuditQuery selects audit records. Zero fields select everything.
type AuditQuery struct {
	Since, Until time.Time // Until is exclusive; zero: no bound
	Who          string    // an e-mail (any case), or a platform user id
	Account      string    // an account id
	Limit        int       // keep the most recent Limit records; 0: all
}
