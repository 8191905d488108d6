package badger

// Keys of stored evaluations, for raw-read baselines in `make bench`: an
// owner's rank index entries (the id follows domain.RankKeyLen bytes of
// rank key) and an account's record.

// EvalOwnerPrefix is the prefix of an owner's rank index entries.
func EvalOwnerPrefix(owner string) []byte { return join(prefixEvalOwner, []byte(owner), []byte{sep}) }

// EvalKey is the key of an account's stored evaluation.
func EvalKey(id string) []byte { return evalKey(id) }
