# ELB Playground. `make run` serves the site locally; `make test` is the one test entry point.
# Both create .venv (Python >= 3.11) and install the project into it on first use, and again
# only when pyproject.toml changes.

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := run
MAKEFLAGS += --no-print-directory

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PLAYWRIGHT_STAMP := $(VENV)/.playwright-chromium
CHROMIUM := /usr/bin/chromium
PORT ?= 8000
VAR_DIR := $(or $(PLAYGROUND_VAR_DIR),var)
PYTEST_ARGS ?=
BENCH ?=

export PIP_DISABLE_PIP_VERSION_CHECK := 1
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: run test lint migrations-check messages browser pytest bench clean

run: $(STAMP)
	@$(PY) -m playground.devserver --port $(PORT)

test: $(STAMP) lint migrations-check messages browser pytest

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null || { \
		found=$$(command -v $(PYTHON) >/dev/null && $(PYTHON) --version 2>&1 || echo "not installed"); \
		echo "ELB Playground needs Python 3.11 or newer, but '$(PYTHON)' is $$found." >&2; \
		echo "Install Python 3.11+ and run e.g. 'make $(MAKECMDGOALS) PYTHON=python3.12'." >&2; \
		exit 1; }
	@echo "Creating $(VENV) with $$($(PYTHON) --version)"
	@$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(PY)
	@echo "Installing ELB Playground and its dependencies into $(VENV) (first time: a minute or two)"
	@$(PY) -m pip install -qq --upgrade pip
	@$(PY) -m pip install -qq -e '.[dev]'
	@touch $@

lint: $(STAMP)
	@$(PY) -m ruff check --quiet .
	@$(PY) -m ruff format --check --quiet . || { echo "Run '$(PY) -m ruff format .'" >&2; exit 1; }
	@out=$$($(PY) -m mypy labs playground) || { echo "$$out"; exit 1; }

migrations-check: $(STAMP)
	@out=$$($(PY) manage.py makemigrations --check --dry-run 2>&1) || { \
		echo "$$out"; echo "Models and migrations differ: run 'manage.py makemigrations'." >&2; \
		exit 1; }

# Fails on untranslated or fuzzy Korean entries, then compiles them. The strings are first
# re-extracted (makemessages in a temporary copy of the tree, so the committed .po files and
# their line references stay as they are): a new string without Korean fails here, not on a
# Korean page. Without msgfmt (gettext) the committed .mo files are used as they are.
messages: $(STAMP)
	@if ! command -v msgfmt >/dev/null; then \
		echo "msgfmt not found (install gettext): not checking translations"; exit 0; fi; \
	copy=$$(mktemp -d); trap 'rm -rf "$$copy"' EXIT; \
	tar --exclude=./$(VENV) --exclude=./$(VAR_DIR) --exclude=./.git --exclude=./staticfiles \
		-cf - . | tar -xf - -C "$$copy"; \
	(cd "$$copy" && PLAYGROUND_VAR_DIR="$$copy/var" "$(CURDIR)/$(PY)" manage.py makemessages \
		--locale ko --ignore var --no-obsolete -v 0); \
	status=0; \
	for po in "$$copy"/locale/ko/LC_MESSAGES/*.po locale/ko/LC_MESSAGES/*.po; do \
		[ -e "$$po" ] || continue; \
		stats=$$(msgfmt --check --statistics -o /dev/null "$$po" 2>&1) || { echo "$$stats"; exit 1; }; \
		case "$$stats" in *fuzzy*|*untranslated*) \
			case "$$po" in "$$copy"/*) where="$${po#"$$copy/"} (strings re-extracted)";; *) where=$$po;; esac; \
			echo "$$where: $$stats" >&2; \
			msgattrib --untranslated --no-wrap "$$po" | sed -n 's/^msgid "\(..*\)"$$/  untranslated: \1/p' >&2; \
			msgattrib --only-fuzzy --no-wrap "$$po" | sed -n 's/^msgid "\(..*\)"$$/  fuzzy: \1/p' >&2; \
			status=1;; esac; \
	done; \
	[ $$status -eq 0 ] || { echo "Translate every Korean entry (and clear fuzzy flags) in locale/ko." >&2; exit 1; }; \
	$(PY) manage.py compilemessages --locale ko --ignore '$(VENV)' --ignore '$(VAR_DIR)' -v 0

# The browser tests drive Debian's Chromium. When it is missing it is installed with apt
# (as root; otherwise we stop and print the command). Only where there is no apt at all do we
# fall back to Playwright's own download, which needs a network beyond the package registries.
# apt waits for a lock another apt holds (a fresh machine's unattended upgrades) rather than fail.
browser: $(STAMP)
	@[ -x $(CHROMIUM) ] || [ -e $(PLAYWRIGHT_STAMP) ] || { \
		if command -v apt-get >/dev/null; then \
			if [ "$$(id -u)" -ne 0 ]; then \
				echo "$(CHROMIUM) is missing. Install it, then run 'make test' again:" >&2; \
				echo "    sudo apt-get update && sudo apt-get install -y --no-install-recommends chromium" >&2; \
				exit 1; fi; \
			echo "$(CHROMIUM) not found: installing Debian's chromium with apt (a few minutes)"; \
			DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -qq; \
			DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends \
				chromium >/dev/null; \
		else \
			echo "$(CHROMIUM) not found and no apt-get: installing Playwright's Chromium"; \
			$(PY) -m playwright install chromium && touch $(PLAYWRIGHT_STAMP); \
		fi; }

# The suite gets its own embedded Redis (var/test-redis.sock, so a running `make run` is
# left alone) or, with REDIS_URL set, that server; either way database 9, with keys and
# queues prefixed per checkout so two checkouts sharing one server never meet.
pytest: $(STAMP)
	@REDIS_KEY_PREFIX=test-$$(printf %s "$(CURDIR)" | cksum | cut -d' ' -f1) \
		$(PY) -m playground.embedded --socket $(VAR_DIR)/test-redis.sock --db 9 -- \
		$(PY) -m pytest -q $(PYTEST_ARGS)

bench: $(STAMP)
	@if [ -e labs/bench.py ] || [ -e labs/bench/__init__.py ]; then \
		$(PY) -m labs.bench $(BENCH); \
	else echo "No benchmarks yet (labs.bench does not exist)."; fi

clean:
	@rm -rf var build staticfiles *.egg-info .pytest_cache .ruff_cache .mypy_cache .hypothesis
	@find . -path ./$(VENV) -prune -o -name __pycache__ -type d -prune -exec rm -rf {} +
	@echo "Removed var/ (database, embedded Redis files) and caches; kept $(VENV) ('rm -rf $(VENV)' for a full reset)."
