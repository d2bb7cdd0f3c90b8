# Agora — `make run` serves the site, `make test` runs every test. Both set themselves up.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Re-install whenever pyproject.toml changes.
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml 2>/dev/null | cut -d' ' -f1)
# Generated examples per JSON API operation in the schemathesis tests; CI runs `make test`, so
# this is the CI depth. For a quick local run: SCHEMATHESIS_MAX_EXAMPLES=25 make test
SCHEMATHESIS_MAX_EXAMPLES ?= 300

.PHONY: help install run serve migrate test lint clean

help:  ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | column -t -s $$'\t'

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check uv >/dev/null 2>&1 || true
	@if [ -x $(BIN)/uv ]; then $(BIN)/uv pip install -q -p $(BIN)/python -e '.[test,postgres]'; \
	 else $(BIN)/python -m pip install -q --disable-pip-version-check -e '.[test,postgres]'; fi
	@rm -f $(VENV)/.installed-*; touch $@

install: $(STAMP)  ## create .venv and install Agora with its test tools

run: install  ## set up and serve http://127.0.0.1:8000 on SQLite (HOST, PORT, DATABASE_URL, SECRET_KEY override)
	$(BIN)/agora migrate
	$(BIN)/agora run

serve: install  ## production server: migrate, then WEB_CONCURRENCY workers behind a proxy (docs/deploy.md)
	$(BIN)/agora migrate
	$(BIN)/agora serve

migrate: install  ## apply pending database migrations
	$(BIN)/agora migrate

test: install  ## run the whole test suite
	SCHEMATHESIS_MAX_EXAMPLES=$(SCHEMATHESIS_MAX_EXAMPLES) $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install  ## ruff
	$(BIN)/ruff check app tests migrations
	$(BIN)/ruff format --check app tests migrations

clean:  ## remove the virtualenv and caches (keeps instance/ and its database)
	rm -rf $(VENV) .pytest_cache .ruff_cache build *.egg-info
