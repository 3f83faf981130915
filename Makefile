# Two commands for people: `make run` (demo server) and `make test` (the test suite).
# The other targets are their building blocks.

PYTHON ?= python3
PORT ?= 5000
PYTEST_ARGS ?=

VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PO_FILES := $(wildcard translations/*/LC_MESSAGES/*.po)

.DEFAULT_GOAL := help
.PHONY: help run test venv translations test-system-packages test-tools mutation

help:
	@echo "make run    start the demo on http://127.0.0.1:$(PORT) (PORT=... to change)"
	@echo "make test   run the tests (PYTEST_ARGS=... passes arguments to pytest)"

# --- Python environment -------------------------------------------------------

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "Python 3.11 or newer is needed: make PYTHON=python3.12 ..." >&2; exit 1; }
	$(PYTHON) -m venv $(VENV) || \
	  { rm -rf $(VENV); echo "could not create $(VENV) (Debian: apt-get install python3-venv)" >&2; exit 1; }

# Re-install whenever pyproject.toml is newer than the stamp.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --disable-pip-version-check -e '.[test]'
	touch $@

venv: $(STAMP)

# --- Translations (.mo files are not in git) -----------------------------------

translations: venv
ifneq ($(strip $(PO_FILES)),)
	$(BIN)/pybabel compile -d translations
else
	@echo "translations: no .po files yet, nothing to compile"
endif

# --- make run ------------------------------------------------------------------

# The demo serves plain http, so the session cookie cannot be Secure here
# (production keeps the default, Secure). No MAIL_SERVER: mail is printed below.
run: export IMI_SESSION_COOKIE_SECURE = false
run: export FLASK_DEBUG = 0
# Links in mails point at this server; "localhost" (not 127.0.0.1) so that passkeys work too
# (WebAuthn needs a domain name). Give IMI_BASE_URL yourself to override it.
run: export IMI_BASE_URL ?= http://localhost:$(PORT)
run: venv translations
	$(BIN)/flask --app wsgi db upgrade
	$(BIN)/flask --app wsgi imi demo
	@echo "Serving on $$IMI_BASE_URL/login  (Ctrl+C stops; mail is printed here)"
	$(BIN)/flask --app wsgi run --host 127.0.0.1 --port $(PORT)

# --- make test -----------------------------------------------------------------

# The browser and database tests use Debian's Chromium and a throwaway PostgreSQL
# cluster; the cluster test also nginx and Redis (started by the test on loopback). As root, install what is missing; otherwise those tests are skipped
# (and fail under CI=true).
test-system-packages:
	@if [ "$$(id -u)" -ne 0 ]; then \
	  [ -x /usr/bin/chromium ] || echo "note: /usr/bin/chromium missing; browser tests will be skipped (apt-get install chromium)"; \
	  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || echo "note: PostgreSQL missing; PostgreSQL tests will be skipped (apt-get install postgresql)"; \
	  command -v java >/dev/null || echo "note: Java missing; the HTML checks will be skipped (apt-get install default-jre-headless)"; \
	  [ -x /usr/sbin/nginx ] || echo "note: nginx missing; the cluster test will be skipped (apt-get install nginx)"; \
	  command -v redis-server >/dev/null 2>&1 || echo "note: redis-server missing; the cluster test will be skipped (apt-get install redis-server)"; \
	  exit 0; \
	fi; \
	packages=""; \
	[ -x /usr/bin/chromium ] || packages="$$packages chromium"; \
	command -v java >/dev/null || packages="$$packages default-jre-headless"; \
	command -v npm >/dev/null || packages="$$packages npm"; \
	ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || packages="$$packages postgresql"; \
	[ -x /usr/sbin/nginx ] || packages="$$packages nginx"; \
	command -v redis-server >/dev/null 2>&1 || packages="$$packages redis-server"; \
	if [ -n "$$packages" ]; then \
	  echo "installing:$$packages"; \
	  apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $$packages; \
	fi

# axe-core and the W3C Nu HTML checker (vnu.jar), which the browser tests run on the pages.
TOOLS := tests/tools/node_modules/.installed
$(TOOLS): tests/tools/package.json tests/tools/package-lock.json
	@if command -v npm >/dev/null; then \
	  npm ci --prefix tests/tools --no-audit --no-fund && touch $@; \
	else echo "note: npm missing; the accessibility and HTML checks will be skipped (apt-get install npm)"; fi

test-tools: test-system-packages $(TOOLS)

# pytest exits with 5 when it collected no tests: that fails too (as does any non-zero status).
test: venv translations test-system-packages test-tools
	@echo "$(BIN)/pytest $(PYTEST_ARGS)"
	@status=0; $(BIN)/pytest $(PYTEST_ARGS) || status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: pytest collected no tests" >&2; fi; \
	exit $$status

# --- make mutation (long: not part of make test) ---------------------------------

# Mutation testing of the rules' modules ([tool.mutmut] in pyproject.toml); results in mutants/.
mutation: venv translations
	$(BIN)/mutmut run --max-children $${MUTMUT_CHILDREN:-2}
	$(BIN)/mutmut results
