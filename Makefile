# The two commands: `make run` (portal, worker and provider sandbox on this machine) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
HOST ?= 127.0.0.1
PORT ?= 8000
SANDBOX_PORT ?= 8001
# `make run PORT=8100 SANDBOX_PORT=8101` moves the portal, its OAuth redirect (PORTAL_BASE_URL) and the sandbox together.
RUN_ENV := PORTAL_BASE_URL=http://$(HOST):$(PORT) SANDBOX_URL=http://$(HOST):$(SANDBOX_PORT)

.PHONY: run demo-connect test lint bench schema clean

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(VENV)/.installed-run: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet .
	@touch $@

$(VENV)/.installed-dev: pyproject.toml | $(PY)
	$(PY) -m pip install --quiet ".[dev]"
	@touch $@ $(VENV)/.installed-run

run: $(VENV)/.installed-run
	@$(PY) manage.py help run_dev >/dev/null 2>&1 || { echo "make run needs the provider sandbox (sandbox/), and it" \
		"is off here (PROVIDER_SANDBOX=false or DEBUG off): turn it on, or run manage.py runserver and qcluster."; exit 1; }
	$(RUN_ENV) $(PY) manage.py migrate --noinput
	$(RUN_ENV) $(PY) manage.py seed_demo
	$(RUN_ENV) $(PY) manage.py sandbox_seed
	@echo ""
	@echo "  Connector portal:  http://$(HOST):$(PORT)/accounts/login/"
	@echo "  Sign in as:        demo@example.com / demo-password"
	@echo "  Health:            http://$(HOST):$(PORT)/healthz"
	@echo "  Provider sandbox:  http://$(HOST):$(SANDBOX_PORT)/_control/"
	@echo "  Press Ctrl-C to stop the portal, the worker and the provider sandbox."
	@echo ""
	@$(RUN_ENV) $(PY) manage.py run_dev --addr $(HOST):$(PORT)

# With `make run` going (same PORT and SANDBOX_PORT): connect a demo project through the sandbox's sign-in pages.
PROJECT ?= PC-1003
PROVIDER ?= procore
demo-connect: $(VENV)/.installed-run
	$(RUN_ENV) $(PY) manage.py demo_connect $(PROJECT) $(PROVIDER)

test: $(VENV)/.installed-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy
	$(PY) -m pytest

bench: $(VENV)/.installed-dev
	BENCH=1 $(PY) -m pytest tests/bench -p no:randomly -s

schema: $(VENV)/.installed-dev
	$(PY) manage.py spectacular --validate --fail-on-warn --file openapi/schema.yaml

clean:
	rm -rf $(VENV) db.sqlite3 sandbox.sqlite3 staticfiles
