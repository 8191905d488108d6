# AccountBot — see README.md.
GO        ?= go
BIN       := bin/accountbot
# A count, not a duration: duration-based -fuzztime can fail spuriously with
# "context deadline exceeded" on Go < 1.27 (golang/go#75804).
FUZZTIME  ?= 300000x

.PHONY: all build test run fuzz bench vet clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/accountbot

vet:
	@unformatted="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...

# The README's test command: vet plus every test under the race detector.
test: vet
	$(GO) test -race -count=1 ./...

# Starts the real bot. With no Slack/Teams credentials it loads the demo
# book into ./data (if empty) and opens the local console.
run: build
	./$(BIN) serve

# Runs each fuzz target for FUZZTIME; seed corpora live in testdata/fuzz.
fuzz:
	$(GO) test -run=^$$ -fuzz=FuzzParse -fuzztime=$(FUZZTIME) ./bot
	$(GO) test -run=^$$ -fuzz=FuzzImportJSON -fuzztime=$(FUZZTIME) ./storage/importer
	$(GO) test -run=^$$ -fuzz=FuzzImportCSV -fuzztime=$(FUZZTIME) ./storage/importer

clean:
	rm -rf bin
