package bot

import (
	"fmt"

	"github.com/accountbot/accountbot/domain"
)

// Result is a verb's typed answer. Its JSON form is what `ask --json`
// prints (and what docs/schemas describes); Message draws it in the
// neutral block model every platform renders.
type Result interface {
	Message() *Message
}

// ErrorResult is the one shape of a failed command: the message says how
// to fix the input (or apologises, for internal failures, leaking nothing).
type ErrorResult struct {
	Error string `json:"error"`
	// Code is invalid, not_found, conflict or internal.
	Code string `json:"code"`
}

// Message draws the error.
func (r *ErrorResult) Message() *Message {
	title := "Can't do that"
	if r.Code == domain.EINTERNAL {
		title = "Something went wrong"
	}
	return &Message{Title: title, Error: true, Blocks: []Block{Section{Text: r.Error}}}
}

// userErrorf is a user-facing error: the input was wrong.
func userErrorf(format string, args ...any) error {
	return domain.Errorf(domain.EINVALID, format, args...)
}

// errorResult turns any error into the error shape.
func errorResult(err error) *ErrorResult {
	return &ErrorResult{Error: domain.ErrorMessage(err), Code: domain.ErrorCode(err)}
}

// reply draws a result and attaches it as the reply's data.
func reply(r Result) *Message {
	m := r.Message()
	addDataAsOf(m, r)
	m.Data = r
	return m
}

// userError is an error reply for platforms (buttons that no longer exist).
func userError(format string, args ...any) *Message {
	return reply(&ErrorResult{Error: fmt.Sprintf(format, args...), Code: domain.EINVALID})
}
