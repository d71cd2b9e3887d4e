# Mailsetup — the two set-up commands of the README work on a fresh Debian
# machine as root: `make run` and `make test`. Each installs what it lacks.

GO      ?= go
GOFLAGS ?=
export GOFLAGS

.PHONY: run test bench deps fuzz vet build screenshots demo dist dist-check dist-wine

## run: start the desktop app (needs a display; "Try the demo" works offline)
run:
	@./scripts/install-deps run
	$(GO) run ./cmd/mailsetup

## demo: the command line's offline demo, for machines without a display
demo: deps
	$(GO) run ./cmd/mailprobe demo

## screenshots: PNGs of the app's main states under Xvfb, into ./screenshots
screenshots:
	@./scripts/install-deps screenshots
	./scripts/screenshots screenshots

## build: mailprobe without cgo (helpdesk machines, servers) and the app
build: deps
	CGO_ENABLED=0 $(GO) build -o bin/mailprobe ./cmd/mailprobe
	$(GO) build -o bin/mailsetup ./cmd/mailsetup

## dist: the release artefacts into ./dist: mailprobe for six OS/arch
## (.tar.gz/.zip with README, LICENSE, completions), the Linux app
## (fyne package), the .deb, the Windows app (mingw-w64), SHA256SUMS
dist:
	@./scripts/install-deps dist
	./scripts/dist dist

## dist-check: make dist from a clean copy of the tree, then check every
## artefact, install the .deb and start what it installed (Xvfb), remove it
dist-check:
	@./scripts/install-deps dist-check
	./scripts/dist-check

## dist-wine: mailprobe.exe of $(DIST) under Wine (make dist first)
DIST ?= dist
dist-wine:
	@./scripts/install-deps wine
	./scripts/dist-wine $(DIST)

## test: vet, then every test (lab scenarios, CLI end to end, ISPDB corpus,
## fuzz seeds, EAST, exports) with the race detector
# The suites that start real daemons or a 963-domain world run one package
# at a time after the rest, so they do not compete for the two cores.
HEAVY := ./internal/interop/ ./internal/realmail/ ./internal/replay/

test: deps vet
	CGO_ENABLED=0 $(GO) build -o /dev/null ./cmd/mailprobe
	$(GO) test -race -count=1 -timeout 20m $$($(GO) list ./... | grep -v -e /internal/interop -e /internal/realmail -e /internal/replay)
	$(GO) test -race -count=1 -timeout 20m -p 1 $(HEAVY)

vet:
	$(GO) vet ./...
	$(GO) vet -tags screenshots ./ui/ ./cmd/mailsetup/
	$(GO) vet -tags mangen ./cmd/mailprobe/
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	  if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

## bench: detection time next to the round-trip model's critical path at 30
## and 100 ms per round trip (CPU, allocations, connections per detection),
## the cost of a silent first host, DNSSEC validation round trips cold and warm,
## batch throughput and peak memory of the 963-domain ISPDB replay
bench: deps
	$(GO) test -run '^$$' -bench '^BenchmarkCriticalPath$$' -benchtime 10x -timeout 30m ./detect/
	$(GO) test -run '^$$' -bench '^BenchmarkSilentFirst$$' -benchtime 3x ./detect/
	$(GO) test -run '^$$' -bench . -benchtime 50x ./detect/dnssec/
	$(GO) test -run '^$$' -bench '^BenchmarkReplay$$' -benchtime 1x ./internal/replay/

## fuzz: run each fuzz target for a while (FUZZTIME=30s)
FUZZTIME ?= 30s
fuzz: deps
	$(GO) test -run '^$$' -fuzz '^FuzzReadMozilla$$' -fuzztime $(FUZZTIME) ./autoconfig/
	$(GO) test -run '^$$' -fuzz '^FuzzReadAutodiscover$$' -fuzztime $(FUZZTIME) ./autoconfig/
	$(GO) test -run '^$$' -fuzz '^FuzzParseAddress$$' -fuzztime $(FUZZTIME) ./detect/
	$(GO) test -run '^$$' -fuzz '^FuzzValidate$$' -fuzztime $(FUZZTIME) ./detect/dnssec/
	$(GO) test -run '^$$' -fuzz '^FuzzReadOAuth2$$' -fuzztime $(FUZZTIME) ./autoconfig/
	$(GO) test -run '^$$' -fuzz '^FuzzOAuthReason$$' -fuzztime $(FUZZTIME) ./detect/probe/
	$(GO) test -run '^$$' -fuzz '^FuzzParseMetadata$$' -fuzztime $(FUZZTIME) ./oauth/
	$(GO) test -run '^$$' -fuzz '^FuzzParseRegistration$$' -fuzztime $(FUZZTIME) ./oauth/
	$(GO) test -run '^$$' -fuzz '^FuzzParseError$$' -fuzztime $(FUZZTIME) ./internal/xoauth2/
	$(GO) test -run '^$$' -fuzz '^FuzzServer$$' -fuzztime $(FUZZTIME) ./internal/xoauth2/

## deps: what a fresh Debian machine lacks (gcc for -race; module download)
deps:
	@./scripts/install-deps test
