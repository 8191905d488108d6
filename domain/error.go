// Package domain holds AccountBot's account model and its pure rules: tiers,
// the three-dimensional health score, action priorities, renewal milestones
// and readiness, expansion triggers, ROI arithmetic and portfolio metrics.
//
// Nothing here performs I/O or knows about Slack, Teams, Badger or LLMs, and
// every rule that depends on the date takes `now` as a parameter, so the whole
// package is deterministic under test.
package domain

import (
	"errors"
	"fmt"
)

// Application error codes. They are deliberately few: adapters map them to
// their own vocabulary (HTTP status, a chat reply, an exit code).
const (
	ECONFLICT = "conflict" // the action cannot be performed in the current state
	EINTERNAL = "internal" // a bug or an infrastructure failure; never shown verbatim
	EINVALID  = "invalid"  // the input was wrong; the message says how
	// EFORBIDDEN: the asker lacks the role; the message names the role
	// needed and nothing that exists.
	EFORBIDDEN = "forbidden"
	ENOTFOUND  = "not_found" // the named thing does not exist
)

// Error is the one application error type. Its Message is written for the
// person who typed the command, so it is safe to show; internal errors are
// wrapped in ordinary Go errors instead and never reach a user verbatim.
type Error struct {
	Code    string
	Message string
}

func (e *Error) Error() string {
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

// Errorf returns an *Error with the given code and a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other non-nil error, and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage returns the user-facing message of the first *Error in err's
// chain, or a generic apology for any other error (whose text may leak
// internals such as paths or keys).
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "Sorry, something went wrong on our side. The error has been logged."
}
