// Package storage holds what every store backend shares: the types its
// consumers pass in and get back (conversation reference keys, API tokens,
// Segment events, audit queries, restore options) and the few rules about
// them that are not about one technology. The backends are named for theirs:
// storage/badger (embedded, the default) and storage/postgres; one contract
// suite, storage/storagetest, runs against both. Consumers declare the small
// interfaces they need from a backend themselves.
package storage
