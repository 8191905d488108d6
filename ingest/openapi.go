package ingest

import (
	_ "embed"
	"net/http"
)

// openAPI is the API's OpenAPI 3.1 document; openapi_test.go checks it
// against the routes, the handlers and the statuses they answer.
//
//go:embed openapi.json
var openAPI []byte

func serveOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(openAPI)
}
