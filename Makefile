SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
NODE_STAMP := node_modules/.package-lock.json
PYTEST_ARGS ?=

.PHONY: help venv install node-modules chromium demo test test-faults lint fmt bench bench-load services services-stop clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-14s %s\n", $$1, $$2}'

# The venv needs Python 3.11 exactly (pyproject: >=3.11,<3.12).
$(PY):
	@py="$$(command -v python3.11 || true)"; \
	if [[ -z "$$py" ]] && command -v python3 >/dev/null \
	   && python3 -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then \
	    py="$$(command -v python3)"; \
	fi; \
	[[ -n "$$py" ]] || { echo "Python 3.11 not found (python3.11, or python3 being 3.11)" >&2; exit 1; }; \
	rm -rf $(VENV); \
	if ! "$$py" -m venv $(VENV); then \
	    rm -rf $(VENV); \
	    if [[ $$EUID -eq 0 ]] && command -v apt-get >/dev/null; then \
	        echo "venv failed: installing python3.11-venv" >&2; \
	        DEBIAN_FRONTEND=noninteractive apt-get update -qq; \
	        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3.11-venv; \
	        "$$py" -m venv $(VENV); \
	    else \
	        echo "'$$py -m venv' failed: install python3.11-venv" >&2; exit 1; \
	    fi; \
	fi; \
	$(PY) -m pip install --quiet --upgrade pip

venv: $(PY) ## create .venv (Python 3.11) if missing

# Re-installs only when the pins or the project metadata change.
$(STAMP): pyproject.toml constraints.txt | $(PY)
	$(PY) -m pip install --quiet -c constraints.txt -e '.[dev]'
	@touch $@

install: $(STAMP) $(NODE_STAMP) ## install the project and dev tools into .venv (pinned by constraints.txt) and node_modules

# Front-end packages (htmx, axe-core) from the npm registry, exactly as package-lock.json pins them;
# npm writes node_modules/.package-lock.json, so this re-runs only when the lock file is newer.
$(NODE_STAMP): package.json package-lock.json
	@command -v npm >/dev/null || { echo "npm not found: install Node.js 20+ (apt-get install nodejs npm)" >&2; exit 1; }
	npm ci --no-audit --no-fund
	@touch $@

node-modules: $(NODE_STAMP) ## install the front-end packages (npm ci) if package-lock.json changed

# The browser tests drive Debian's chromium (playwright's own browser download is not used).
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	@if [[ $$EUID -eq 0 ]] && command -v apt-get >/dev/null; then \
	    echo "installing chromium for the browser tests" >&2; \
	    DEBIAN_FRONTEND=noninteractive apt-get update -qq; \
	    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium; \
	else \
	    echo "$(CHROMIUM) not found: install Debian's chromium package (as root: apt-get install chromium)" >&2; exit 1; \
	fi

chromium: $(CHROMIUM) ## install Debian's chromium (apt-get, as root) when missing

# The demo is self-contained (SQLite, filesystem broker): no inherited server URL may leak in.
# DEBUG defaults to off in settings (and then demands SECRET_KEY); the demo is a local run.
demo: install $(NODE_STAMP) ## migrate + seed SQLite, run Celery worker/beat and the web on http://127.0.0.1:8000
	env -u DATABASE_URL -u TEST_DATABASE_URL -u REDIS_URL -u CELERY_BROKER_URL \
	    DEBUG="$${DEBUG:-true}" $(PY) manage.py rundemo

test: install lint chromium ## lint, then the whole suite against real PostgreSQL + Redis (PYTEST_ARGS=...)
	@exports="$$(scripts/services.sh env)"; \
	eval "$$exports"; \
	echo "DATABASE_URL=$$DATABASE_URL REDIS_URL=$$REDIS_URL CELERY_BROKER_URL=$$CELERY_BROKER_URL"; \
	$(PY) -m pytest $(PYTEST_ARGS)

# Its own throwaway PostgreSQL cluster (the suite restarts it) and Redis; about 1-2 minutes.
test-faults: install ## steady traffic while Redis, a worker and PostgreSQL restart; then SQL invariants and exactly-once delivery
	scripts/test_faults.sh -q $(PYTEST_ARGS)

lint: install ## ruff check + ruff format --check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

fmt: install ## ruff format + ruff check --fix
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install ## run the benchmarks (benchmarks/run.sh)
	@[[ -f benchmarks/run.sh ]] || { echo "benchmarks/run.sh not found" >&2; exit 1; }
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" bash benchmarks/run.sh

# wrk (Debian package) drives gunicorn; the large seed is made once into its own database and kept.
bench-load: install ## load benchmark: gunicorn + PostgreSQL + Redis, wrk at 50/200 users (benchmarks/load/run.sh)
	@if ! command -v wrk >/dev/null; then \
	    if [[ $$EUID -eq 0 ]] && command -v apt-get >/dev/null; then \
	        echo "installing wrk for the load benchmark" >&2; \
	        DEBIAN_FRONTEND=noninteractive apt-get update -qq; \
	        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk; \
	    else \
	        echo "wrk not found: install Debian's wrk package (as root: apt-get install wrk)" >&2; exit 1; \
	    fi; \
	fi
	PATH="$(CURDIR)/$(VENV)/bin:$$PATH" bash benchmarks/load/run.sh

services: install ## make PostgreSQL + Redis reachable (throwaway ones if needed) and print the URLs
	scripts/services.sh start

services-stop: ## stop the throwaway PostgreSQL/Redis started by `make services`/`make test`
	@if [[ -x scripts/services.sh && -d var/services ]]; then scripts/services.sh stop; fi

clean: services-stop ## remove var/ (demo db, broker, throwaway servers) and the install stamp
	rm -rf var $(STAMP) .pytest_cache .ruff_cache .hypothesis
	find . -path ./$(VENV) -prune -o -type d -name __pycache__ -prune -exec rm -rf {} +
