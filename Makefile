# pane: build, test, demo and benchmarks. `make help` lists the targets.
GO ?= go

STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.6.1
ACTIONLINT ?= github.com/rhysd/actionlint/cmd/actionlint@v1.7.12

.PHONY: help build test unit lint actionlint backstage-check demo bench bench-go clean

help:
	@echo "make build            build ./bin/pane"
	@echo "make test             gofmt, vet, staticcheck, actionlint, unit and script tests (race detector), Backstage validator check"
	@echo "make demo             compile the example workspace into .pane/demo-catalog.git"
	@echo "make bench            end to end: synthetic orgs of 1k and 10k repositories (BENCH_FULL=1: and 50k)"
	@echo "                      compiled cold, warm, 1% changed, one record changed; against the obvious"
	@echo "                      CUE implementation and gojq; BENCH_FLAGS passes flags (bin/panebench -h)"
	@echo "make bench-go         go test -bench for the parts: mapping, schema validation, git commits"

build:
	$(GO) build -o bin/pane ./cmd/pane

lint: actionlint
	@out=$$(gofmt -l cmd pkg internal); if [ -n "$$out" ]; then echo "gofmt needed: $$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

# Every GitHub workflow of this project, and those pane init scaffolds, pass actionlint.
actionlint:
	$(GO) run $(ACTIONLINT) .github/workflows/*.yml pkg/scaffold/template/.github/workflows/*.yml

unit:
	$(GO) test -race -count=1 ./...

# Every entity of the compiled example must pass Backstage's own validator.
backstage-check: build
	bash test/backstage/check-example.sh bin/pane

test: lint unit backstage-check

demo:
	$(GO) run ./cmd/pane compile

# One process tree, deterministic from a seed; each case runs in a child process.
bench:
	$(GO) build -o bin/panebench ./cmd/panebench
	bin/panebench $(BENCH_FLAGS)

bench-go:
	$(GO) test -run '^$$' -bench . -benchmem ./pkg/...

clean:
	rm -rf bin .pane
