package evaluator

// BulkWait exposes bulkWait to the external tests.
var BulkWait = bulkWait
