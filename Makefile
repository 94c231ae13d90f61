# pane: build, test, demo and benchmarks. `make help` lists the targets.
GO ?= go

STATICCHECK ?= honnef.co/go/tools/cmd/staticcheck@v0.6.1

.PHONY: help build test unit lint backstage-check demo bench clean

help:
	@echo "make build            build ./bin/pane"
	@echo "make test             gofmt, vet, staticcheck, unit and script tests (race detector), Backstage validator check"
	@echo "make demo             compile the example workspace into .pane/demo-catalog.git"
	@echo "make bench            benchmarks: mapping throughput, schema validation, git commits"

build:
	$(GO) build -o bin/pane ./cmd/pane

lint:
	@out=$$(gofmt -l cmd pkg internal); if [ -n "$$out" ]; then echo "gofmt needed: $$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...

unit:
	$(GO) test -race -count=1 ./...

# Every entity of the compiled example must pass Backstage's own validator.
backstage-check: build
	bash test/backstage/check-example.sh bin/pane

test: lint unit backstage-check

demo:
	$(GO) run ./cmd/pane compile

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./pkg/...

clean:
	rm -rf bin .pane
