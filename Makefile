# AccountBot — see README.md.
GO        ?= go
BIN       := bin/accountbot
# A count, not a duration: duration-based -fuzztime can fail spuriously with
# "context deadline exceeded" on Go < 1.27 (golang/go#75804).
FUZZTIME  ?= 300000x

.PHONY: all build test run fuzz bench vet clean schemas check-badger

all: build

build:
	$(GO) build -o $(BIN) ./cmd/accountbot

vet:
	@unformatted="$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go'))"; \
	  if [ -n "$$unformatted" ]; then echo "gofmt needed: $$unformatted"; exit 1; fi
	$(GO) vet ./...

# The README's test command: vet plus every test under the race detector.
# The generous timeout is for crowded machines: the crash tests run the real
# binary dozens of times.
# The PostgreSQL tests need a server (PGHOST/PG* or
# ACCOUNTBOT_TEST_DATABASE_URL; `pg_virtualenv -t make test` makes a
# throw-away one) and skip without; ACCOUNTBOT_REQUIRE_PG=1 (CI) fails instead.
test: vet
	@if [ -z "$$PGHOST$$PGPORT$$ACCOUNTBOT_TEST_DATABASE_URL" ]; then \
	  if [ "$$ACCOUNTBOT_REQUIRE_PG" = 1 ]; then \
	    echo "PostgreSQL tests are required (ACCOUNTBOT_REQUIRE_PG=1) but no server is set: run under pg_virtualenv -t"; exit 1; \
	  fi; \
	  echo "skipping PostgreSQL tests: no server (set PGHOST or ACCOUNTBOT_TEST_DATABASE_URL, or run: pg_virtualenv -t make test)"; \
	fi
	$(GO) test -race -count=1 -timeout 30m ./...

# Starts the real bot. With no Slack/Teams credentials it loads the demo
# book into ./data (if empty) and opens the local console.
run: build
	./$(BIN) serve

# Runs each fuzz target for FUZZTIME; seed corpora live in testdata/fuzz.
fuzz:
	$(GO) test -run=^$$ -fuzz=FuzzParse -fuzztime=$(FUZZTIME) ./bot
	$(GO) test -run=^$$ -fuzz=FuzzImportJSON -fuzztime=$(FUZZTIME) ./storage/importer
	$(GO) test -run=^$$ -fuzz=FuzzImportCSV -fuzztime=$(FUZZTIME) ./storage/importer
	$(GO) test -run=^$$ -fuzz=FuzzConfig -fuzztime=$(FUZZTIME) ./cmd/accountbot

# Benchmarks (not part of make test): 1K/10K/100K books in-process against
# raw Badger, then the real `serve` and a Bolt-for-JavaScript peer under the
# same signed load on loopback (with the ingest API under load), then the
# CRM sync benchmarks. Writes bench/results/latest.md.
# The PostgreSQL section needs a server: a configured one (PGHOST/PG* or
# ACCOUNTBOT_BENCH_DATABASE_URL), else a throw-away cluster made with
# pg_virtualenv when PostgreSQL is installed; without either it reports
# "not measured: no server".
bench: build
	@(cd bench/bolt && npm install --no-audit --no-fund --loglevel=error) || echo "npm install failed: the Bolt peer will be skipped"
	@if [ -z "$$PGHOST$$ACCOUNTBOT_BENCH_DATABASE_URL" ] && command -v pg_virtualenv >/dev/null 2>&1; then \
	  echo "bench: the PostgreSQL section runs on a throw-away cluster (pg_virtualenv -t)"; \
	  echo pg_virtualenv -t $(GO) run ./bench/benchrun -bin $(BIN) -go $(GO) $(BENCHFLAGS); \
	  pg_virtualenv -t $(GO) run ./bench/benchrun -bin $(BIN) -go $(GO) $(BENCHFLAGS); \
	else \
	  [ -n "$$PGHOST$$ACCOUNTBOT_BENCH_DATABASE_URL" ] || echo "bench: PostgreSQL section not measured: no server (install postgresql for pg_virtualenv, or set ACCOUNTBOT_BENCH_DATABASE_URL)"; \
	  echo $(GO) run ./bench/benchrun -bin $(BIN) -go $(GO) $(BENCHFLAGS); \
	  $(GO) run ./bench/benchrun -bin $(BIN) -go $(GO) $(BENCHFLAGS); \
	fi

# Regenerates docs/schemas (the JSON Schema of every command's `ask --json`
# output) from the result types; a test fails when they are stale.
schemas:
	$(GO) run ./bot/schema/schemagen -out docs/schemas

# Checks that third_party/badger is the published Badger plus
# accountbot.patch, nothing else (downloads it from the Go module proxy).
check-badger:
	bash third_party/badger/check.sh

clean:
	rm -rf bin
