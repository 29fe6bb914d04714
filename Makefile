# Wennuan: `make run` sets up and starts the product; `make test` sets up and runs every check.
# Works on a fresh machine with python3 (>= 3.11), make and git.

PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export PATH := $(abspath $(VENV))/bin:$(PATH)
export PYTHONUNBUFFERED := 1
# The local PostgreSQL server used by the second test tier when DATABASE_URL is not set.
PG_TEST_URL ?= postgres://postgres@127.0.0.1:5432/wennuan
# The Redis databases of the scaled-configuration tier (make test-rq): the task queue and the
# shared cache. Each test empties the queue's database, so never point these at real data.
RQ_TEST_URL ?= redis://127.0.0.1:6379/15
CACHE_TEST_URL ?= redis://127.0.0.1:6379/14
CHROMIUM ?= /usr/bin/chromium

.PHONY: run test setup audit demo lint format typecheck pytest test-pg test-rq test-e2e test-api bench lock schema messages clean

$(VENV)/.created:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Wennuan needs Python 3.11 or newer")'
	@$(PYTHON) -m venv $(VENV) 2>/dev/null || { \
	  echo "python3 -m venv failed: installing Debian's python3-venv"; \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    apt-get update -qq && apt-get install -y -qq python3-venv && $(PYTHON) -m venv $(VENV); \
	  else echo "Run: sudo apt-get install python3-venv   and then make again"; exit 1; fi; }
	@touch $@

# Runtime packages, pinned by constraints.txt.
$(VENV)/.runtime: $(VENV)/.created pyproject.toml constraints.txt
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e .
	@touch $@

# Development packages (tests, linters, browser driver), pinned the same way.
$(VENV)/.dev: $(VENV)/.runtime
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e '.[dev]'
	@touch $@

setup: $(VENV)/.runtime
	@mkdir -p var
	$(PY) manage.py migrate --noinput
	$(PY) manage.py collectstatic --noinput --verbosity 0
	$(PY) manage.py demo_city --if-empty

run: setup
	@$(PY) manage.py demo_logins
	$(VENV)/bin/honcho start

demo: $(VENV)/.runtime
	$(PY) manage.py demo_city --households $${HOUSEHOLDS:-20000} --seed $${SEED:-2020}

lint: $(VENV)/.dev
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

format: $(VENV)/.dev
	$(PY) -m ruff format .
	$(PY) -m ruff check --fix .

typecheck: $(VENV)/.dev
	$(PY) -m mypy

pytest: $(VENV)/.dev
	$(PY) -m pytest -q

# The same suite on PostgreSQL, when a server is reachable.
test-pg: $(VENV)/.dev
	@url="$${DATABASE_URL:-$(PG_TEST_URL)}"; \
	if $(PY) scripts/db_reachable.py "$$url"; then \
	  echo "== test suite on PostgreSQL ($$url)"; DATABASE_URL="$$url" $(PY) -m pytest -q; \
	else echo "== PostgreSQL not reachable at $$url: PostgreSQL tier skipped"; fi

# The scaled configuration: the tests marked `tasks` with the task queue in Redis (RQ workers)
# and the cache in Redis, on PostgreSQL when it is reachable (else SQLite).
test-rq: $(VENV)/.dev
	@if $(PY) scripts/db_reachable.py "$(RQ_TEST_URL)"; then \
	  db="$${DATABASE_URL:-$(PG_TEST_URL)}"; \
	  $(PY) scripts/db_reachable.py "$$db" || db=""; \
	  echo "== task tests on the Redis queue ($(RQ_TEST_URL)), database $${db:-SQLite}"; \
	  DATABASE_URL="$$db" TASKS_BACKEND=rq TASKS_REDIS_URL="$(RQ_TEST_URL)" \
	    CACHE_URL="$(CACHE_TEST_URL)" $(PY) -m pytest -q -m tasks; \
	else echo "== Redis not reachable at $(RQ_TEST_URL): Redis queue tier skipped"; fi

# Schemathesis against the committed OpenAPI schema and a live server.
test-api: $(VENV)/.dev
	$(PY) scripts/api_fuzz.py

# Browser journeys in real Chromium, when it is installed.
test-e2e: $(VENV)/.dev
	@if [ -x "$(CHROMIUM)" ]; then \
	  echo "== browser journeys in $(CHROMIUM)"; CHROMIUM_PATH="$(CHROMIUM)" $(PY) -m pytest -q e2e; \
	else echo "== $(CHROMIUM) not found: browser tier skipped (apt-get install chromium)"; fi

test: $(VENV)/.dev
	@mkdir -p var
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	$(PY) scripts/check_translations.py
	@$(MAKE) --no-print-directory audit
	$(PY) manage.py spectacular --lang en --validate --fail-on-warn --file var/openapi.yaml
	@diff -u docs/openapi.yaml var/openapi.yaml || { echo "docs/openapi.yaml is out of date: run make schema"; exit 1; }
	@echo "== test suite on SQLite"
	$(PY) -m pytest -q
	@$(MAKE) --no-print-directory test-api
	@$(MAKE) --no-print-directory test-pg
	@$(MAKE) --no-print-directory test-rq
	@$(MAKE) --no-print-directory test-e2e

# Security: bandit over the code (settings in pyproject.toml; every `# nosec` says why) and
# pip-audit over the pinned dependencies (reviewed advisories: scripts/audit-reviewed.txt).
audit: $(VENV)/.dev
	@mkdir -p var
	@echo "== bandit"
	@# Its log repeats "nosec encountered" for every part of a reviewed line: shown on failure only.
	@$(PY) -m bandit -q -c pyproject.toml -r wennuan 2>var/bandit.log || { cat var/bandit.log; exit 1; }
	$(PY) scripts/dependency_audit.py

bench: $(VENV)/.dev
	$(PY) bench/demo_city.py
	$(PY) bench/household_lookup.py

# Re-pin every dependency to what is installed now (run after changing pyproject.toml).
lock: $(VENV)/.dev
	$(PY) -m pip freeze --exclude-editable --exclude wennuan | sort > constraints.txt

# The committed OpenAPI schema of /api/v1/ (make test fails when it differs from the code).
schema: $(VENV)/.dev
	$(PY) manage.py spectacular --lang en --validate --fail-on-warn --file docs/openapi.yaml

messages: $(VENV)/.dev
	$(PY) manage.py makemessages -l zh_Hans --no-obsolete --no-location -i ".venv/*" -i "var/*"
	$(PY) scripts/check_translations.py --compile

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
