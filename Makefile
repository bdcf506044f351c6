# appydex smoke harness. The README explains each target.
#
#   make smoke      provision PostgreSQL, migrate, clone, report (go run ./cmd/smoke run)
#   make test       every test, against real PostgreSQL (race detector on)
#   make bench      benchmarks: server start per source, template build, clone
#   make load       200, then 1000, sign-ins at once to the reference API (its own
#                   process, production's password cost): 5xx, p50/p99, peak memory
#   make lint       gofmt, import grouping (goimports), go vet, go mod tidy, actionlint
#   make fuzz       fuzz the login and refresh handlers, and the masking of connection strings,
#                   for FUZZTIME each (default 30000x: a count)
#   make api        run the reference API on :16110 (APPYDEX_DATABASE_URL, APPYDEX_JWT_SECRET)
#   make admin      run the reference admin panel on :42319, calling the API on :16110
#   make pg-image   build appydex-smoke/postgres:15 from Debian's packages (no registry needed)
#   make api-image  build appydex-smoke/api:dev, the API and its migration tool in a FROM scratch image
#   make backend-images  build the backends' images: the reference API, the incident's own
#                   FastAPI stack (appydex-smoke/fastapi:incident and :fixed) and a Rails 6.1 one
#                   (appydex-smoke/rails:incident and :fixed), from Debian's packages
#   make chromium-image  build appydex-smoke/chromium:bookworm, headless Chromium from Debian's
#                   packages: the browser step runs it where the host has no Chromium
#   make smoke-image  build appydex-smoke/smoke: the smoke command and Chromium, for a team with
#                   Docker and no Go (README, "Without Go")
#
# PG_SOURCE=auto|container|local|external picks where PostgreSQL comes from
# (the same as SMOKE_PG_SOURCE); the default, auto, uses Docker when it answers.

GO ?= go
PG_SOURCE ?=
ACTIONLINT ?= github.com/rhysd/actionlint/cmd/actionlint@v1.7.12
GOIMPORTS ?= golang.org/x/tools/cmd/goimports@v0.52.0
MODULE := github.com/appydex/smoke
# A count, not a duration: Go 1.26's fuzz coordinator can report "context
# deadline exceeded" as a failure when a -fuzztime duration runs out while
# a worker is mid-input (go.dev/issue/75804, fixed in Go 1.27); a count has
# no deadline to race. 30000 inputs take 2-30 s a handler here.
FUZZTIME ?= 30000x
# How many of a package's parallel tests run at once in make test (below).
PARALLEL ?= 4

ifneq ($(PG_SOURCE),)
export SMOKE_PG_SOURCE := $(PG_SOURCE)
endif

.PHONY: smoke test bench load lint fuzz api admin pg-image api-image backend-images chromium-image smoke-image ensure-images ensure-pg-image \
	ensure-backend-images ensure-chromium-image ensure-smoke-image ensure-browser

# The browser step runs the host's Chromium when there is one, else the
# image's: built here only when the host has none.
smoke: ensure-pg-image ensure-browser
	$(GO) run ./cmd/smoke run

# -parallel 4: most tests wait on what they started (PostgreSQL, containers,
# Chromium, a one-time code's next 30 s window), so four of a package's
# parallel tests at once fill what two leave idle on a 2-core machine
# (docs/measurements.md, "The test suite"). The browser's own tests do not
# run in parallel, and the number of packages at once stays go's default.
test: ensure-images
	$(GO) test -race -count=1 -parallel $(PARALLEL) -timeout 30m ./...

bench: ensure-images
	$(GO) test -run '^$$' -bench . -skip '^BenchmarkLoginStorm$$' -benchtime 20x ./...

load: ensure-pg-image
	$(GO) test -run '^$$' -bench '^BenchmarkLoginStorm$$' -benchtime 1x ./tests

lint:
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt: not formatted:"; echo "$$out"; exit 1; fi
	@out=$$($(GO) run $(GOIMPORTS) -local $(MODULE) -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then \
		echo "goimports: imports not in three groups (standard library, third party, $(MODULE)); fix with"; \
		echo "  $(GO) run $(GOIMPORTS) -local $(MODULE) -w FILE"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) mod tidy -diff
	$(GO) run $(ACTIONLINT) .github/workflows/*.yml

fuzz: ensure-pg-image
	$(GO) test ./app/httpapi -run '^$$' -fuzz '^FuzzLogin$$' -fuzztime $(FUZZTIME)
	$(GO) test ./app/httpapi -run '^$$' -fuzz '^FuzzRefresh$$' -fuzztime $(FUZZTIME)
	$(GO) test ./redact -run '^$$' -fuzz '^FuzzRedact$$' -fuzztime $(FUZZTIME)

api:
	$(GO) run ./cmd/appydex-api

admin:
	$(GO) run ./cmd/appydex-admin

api-image:
	images/api/build.sh appydex-smoke/api:dev

# Builds (or keeps current) the registry-free image, whatever is present.
pg-image:
	images/postgres/build.sh appydex-smoke/postgres:15

backend-images: api-image
	fixtures/backends/fastapi/build.sh
	fixtures/backends/rails/build.sh

chromium-image:
	images/chromium/build.sh appydex-smoke/chromium:bookworm

smoke-image:
	images/smoke/build.sh appydex-smoke/smoke

# Before tests: every image they run, pulled or built only if needed. The
# browser's image is among them, host Chromium or not: its tests run it.
ensure-images: ensure-pg-image ensure-backend-images ensure-chromium-image ensure-smoke-image

ensure-pg-image:
	@images/postgres/ensure.sh

# Each build is skipped while its recipe is unchanged; without a Docker
# Engine the backend tests skip (or fail, where SMOKE_REQUIRE_SOURCES says so).
ensure-backend-images:
	@if docker info >/dev/null 2>&1; then $(MAKE) --no-print-directory backend-images; \
	else echo "backend images: no Docker Engine answers; tests that run backends in containers skip"; fi

ensure-chromium-image:
	@if docker info >/dev/null 2>&1; then $(MAKE) --no-print-directory chromium-image; \
	else echo "chromium image: no Docker Engine answers; the browser runs only where the host has Chromium"; fi

ensure-smoke-image:
	@if docker info >/dev/null 2>&1; then $(MAKE) --no-print-directory smoke-image; \
	else echo "smoke image: no Docker Engine answers; its test skips"; fi

# The browser's image where the host has no Chromium (the names browser.Find
# looks for). Its build needs root (debootstrap); where it cannot be built,
# the browser step is skipped, saying so, and make smoke goes on.
ensure-browser:
	@found=; for b in chromium chromium-browser google-chrome google-chrome-stable headless_shell; do \
		command -v $$b >/dev/null && found=$$b; done; \
	if [ -n "$$SMOKE_CHROMIUM$$found" ]; then :; else $(MAKE) --no-print-directory ensure-chromium-image || \
		echo "chromium image: not built (above); the browser step will be skipped: install Chromium, or run make chromium-image as root"; fi
