# GridDesk — every set-up step a fresh machine needs lives here.
#   make run    venv + install + migrate SQLite + demo data + serve on 127.0.0.1:8000
#   make test   the whole suite: engines, SQLite, then a throwaway PostgreSQL 15, browser included
#   make bench  benchmarks against gunicorn + PostgreSQL (see benchmarks/RESULTS.md)
#   make lint   ruff check (run by .ci/run before make test)
#   make typecheck  mypy over griddesk/ against mypy-baseline.txt (run by make test; ADR 0031)

PY       ?= python3
VENV     := .venv
BIN      := $(VENV)/bin
STAMP    := $(VENV)/.installed-stamp
PYTEST   := $(BIN)/python -m pytest
SUDO     := $(shell [ "$$(id -u)" = 0 ] || echo sudo -n)

.PHONY: install run serve test test-engines test-sqlite test-postgres browser-deps bench lint typecheck typecheck-sync messages clean

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -c constraints.txt -e ".[test]"
	touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/griddesk migrate --noinput -v0
	$(BIN)/griddesk demo
	$(BIN)/griddesk serve 127.0.0.1:8000

# Debian's chromium and a small CJK font for the browser test (no browser download).
browser-deps:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "wenquanyi\|noto sans cjk"; then \
	  echo "installing chromium + fonts-wqy-microhei"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null \
	    || echo "WARNING: could not install chromium; browser tests will be skipped"; \
	fi

# mypy over the whole package (engines strict, apps with the Django/DRF plugins).
# Fails on an error that is not in mypy-baseline.txt, and on a baseline entry
# that no longer occurs: the baseline only shrinks. Its cache is .mypy_cache.
MYPY_OUT := .mypy_cache/griddesk-last-run.txt
typecheck: install
	@mkdir -p .mypy_cache
	@$(BIN)/mypy griddesk > $(MYPY_OUT); rc=$$?; \
	if [ $$rc -gt 1 ]; then cat $(MYPY_OUT); echo "mypy itself failed (exit $$rc)"; exit $$rc; fi; \
	if grep -q '^griddesk/engines/' mypy-baseline.txt; then \
	  echo "mypy-baseline.txt lists errors in griddesk/engines: the engines stay clean"; exit 1; fi; \
	$(BIN)/mypy-baseline filter < $(MYPY_OUT) || { \
	  echo; \
	  echo "typecheck failed (ADR 0031). New errors (printed above): fix them, never add them to the baseline."; \
	  echo "Fixed errors: good - shrink the baseline with 'make typecheck-sync' and commit mypy-baseline.txt."; \
	  exit 1; }

# Rewrites mypy-baseline.txt after errors were fixed; refuses while there are new errors.
typecheck-sync: install
	@mkdir -p .mypy_cache
	@$(BIN)/mypy griddesk > $(MYPY_OUT); rc=$$?; \
	if [ $$rc -gt 1 ]; then cat $(MYPY_OUT); echo "mypy itself failed (exit $$rc)"; exit $$rc; fi; \
	$(BIN)/mypy-baseline filter --allow-unsynced --hide-stats < $(MYPY_OUT) || { \
	  echo "new mypy errors (above): fix them first; the baseline only shrinks"; exit 1; }; \
	$(BIN)/mypy-baseline sync < $(MYPY_OUT) && echo "mypy-baseline.txt: $$(grep -c . mypy-baseline.txt) errors"

lint: install
	$(BIN)/ruff check .

test-engines: install typecheck
	$(BIN)/lint-imports
	$(PYTEST) tests/engines -p no:django --noconftest

test-sqlite: install
	$(PYTEST) tests --ignore=tests/engines -n 2 --dist loadfile

test-postgres: install
	scripts/with-postgres.sh $(PYTEST) tests --ignore=tests/engines -n 2 --dist loadfile

test: install browser-deps test-engines test-sqlite test-postgres

bench: install
	$(BIN)/python benchmarks/deadlines.py
	$(BIN)/python benchmarks/pls.py
	$(BIN)/python benchmarks/intake_floor.py
	WITH_FSYNC=1 scripts/with-postgres.sh $(BIN)/python benchmarks/webhooks_throughput.py
	benchmarks/run.sh

messages: install
	cd griddesk && ../$(BIN)/python ../manage.py makemessages -l zh_Hans --ignore "engines/*" && ../$(BIN)/python ../manage.py compilemessages -l zh_Hans

clean:
	rm -rf $(VENV) var test-artifacts .pytest_cache .mypy_cache
