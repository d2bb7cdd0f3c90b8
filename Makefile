# Agora — `make run` serves the site, `make test` runs every test. Both set themselves up.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Re-install whenever pyproject.toml changes.
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml 2>/dev/null | cut -d' ' -f1)
# The browser tests' checkers (axe-core, vnu) and Lighthouse live in node_modules/, re-installed when the lock changes.
NODE_STAMP := node_modules/.installed-$(shell cksum package-lock.json 2>/dev/null | cut -d' ' -f1)
CHROMIUM ?= /usr/bin/chromium
IS_ROOT := $(filter 0,$(shell id -u))
apt_install = DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1) >/dev/null \
	|| { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(1) >/dev/null; }
# Generated examples per JSON API operation in the schemathesis tests; CI runs `make test`, so
# this is the CI depth (.ci/run lowers it for its PostgreSQL pass). For a quick local run:
# SCHEMATHESIS_MAX_EXAMPLES=25 make test-unit
SCHEMATHESIS_MAX_EXAMPLES ?= 300

.PHONY: help install browser-tools run serve migrate test test-unit screenshots lighthouse lint clean bench bench-quick \
	bench-tools

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

# Each step of a first install says what it is doing: on a fresh clone it takes half a minute.
step = printf 'agora: %s\n' $(1)

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || { $(call step,"creating the virtual environment in $(VENV)"); $(PYTHON) -m venv $(VENV); }
	@$(call step,"installing Agora and its dependencies (about 30 s the first time)")
	@# uv installs the stack in about a second; plain pip is the fallback (slower, same result).
	@$(BIN)/python -m pip --version >/dev/null 2>&1 || $(BIN)/python -m ensurepip -q >/dev/null 2>&1 || true
	@command -v uv >/dev/null || [ -x $(BIN)/uv ] || \
	 $(BIN)/python -m pip install -q --disable-pip-version-check uv >/dev/null 2>&1 || true
	@UV=$$(command -v uv || echo $(BIN)/uv); \
	 if [ -x "$$UV" ]; then "$$UV" pip install -q -p $(BIN)/python -e '.[test,postgres]'; \
	 else $(BIN)/python -m pip install -q --disable-pip-version-check -e '.[test,postgres]'; fi
	@rm -f $(VENV)/.installed-*; touch $@

install: $(STAMP)  ## create .venv and install Agora with its test tools

$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { test -n "$(IS_ROOT)" && $(call apt_install,nodejs npm); } \
	 || { echo "npm is missing: install Node.js"; exit 1; }
	@npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	@rm -f node_modules/.installed-*; touch $@

browser-tools: install $(NODE_STAMP)  ## Chromium, Java, axe-core, vnu and Lighthouse for the browser tests
	@if [ -x "$(CHROMIUM)" ]; then :; \
	 elif [ -n "$(IS_ROOT)" ]; then echo "installing Chromium"; $(call apt_install,chromium); \
	 else $(BIN)/python -m playwright install chromium; fi
	@command -v java >/dev/null || { test -n "$(IS_ROOT)" && $(call apt_install,default-jre-headless); } \
	 || { echo "java is missing: install a Java 17+ runtime"; exit 1; }

run: install  ## set up and serve http://127.0.0.1:8000 on SQLite (HOST, PORT, DATABASE_URL, SECRET_KEY override)
	@$(call step,"applying database migrations")
	@$(BIN)/agora migrate
	@$(call step,"starting the server")
	@$(BIN)/agora run

serve: install  ## production server: migrate, then WEB_CONCURRENCY workers behind a proxy (docs/deploy.md)
	$(BIN)/agora migrate
	$(BIN)/agora serve

migrate: install  ## apply pending database migrations
	$(BIN)/agora migrate

test: install browser-tools  ## run the whole test suite: unit tests and the browser (E2E) tests
	CHROMIUM=$(CHROMIUM) SCHEMATHESIS_MAX_EXAMPLES=$(SCHEMATHESIS_MAX_EXAMPLES) $(BIN)/python -m pytest $(PYTEST_ARGS)

test-unit: install  ## every test but the browser ones (tests/e2e): needs no Chromium, Java or npm
	SCHEMATHESIS_MAX_EXAMPLES=$(SCHEMATHESIS_MAX_EXAMPLES) $(BIN)/python -m pytest --ignore=tests/e2e $(PYTEST_ARGS)

screenshots: install browser-tools  ## write docs/screenshots/*.png from a server with demo content
	CHROMIUM=$(CHROMIUM) $(BIN)/python -m tests.e2e.screenshots

lighthouse: install browser-tools  ## Lighthouse's scores for the feed, a post and the login page, on demo content (~1 min)
	CHROMIUM=$(CHROMIUM) $(BIN)/python -m tests.e2e.lighthouse

BENCH_STAMP := $(VENV)/.bench-$(shell cksum pyproject.toml 2>/dev/null | cut -d' ' -f1)
$(BENCH_STAMP): $(STAMP)
	@UV=$$(command -v uv || echo $(BIN)/uv); \
	 if [ -x "$$UV" ]; then "$$UV" pip install -q -p $(BIN)/python -e '.[test,postgres,bench]'; \
	 else $(BIN)/python -m pip install -q --disable-pip-version-check -e '.[test,postgres,bench]'; fi
	@rm -f $(VENV)/.bench-*; touch $@

bench-tools: install $(BENCH_STAMP)
	@command -v wrk >/dev/null || { test -n "$(IS_ROOT)" && $(call apt_install,wrk); } \
	 || { echo "wrk is missing: install it (Debian: apt-get install wrk)"; exit 1; }

bench: install bench-tools  ## benchmark Agora against the plain reference, write docs/performance.md (~30 min, most of it the 1M-post seed and 5 rounds per scenario)
	$(BIN)/python -m bench.run

bench-quick: install bench-tools  ## the hot pages only (feeds, a post, a thread), 3 short rounds (under 3 min on a quiet machine, its database seeded once and kept in .bench-cache/)
	$(BIN)/python -m bench.run --quick

lint: install  ## ruff on the whole tree, mypy on app/ (settings in pyproject.toml)
	$(BIN)/ruff check app tests migrations bench
	$(BIN)/ruff format --check app tests migrations bench
	$(BIN)/mypy

clean:  ## remove the virtualenv and caches (keeps instance/ and its database)
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache .mypy_cache build *.egg-info .bench-cache
