# Two commands do everything: `make run` serves the API locally, `make test` runs every check.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
PYTHON ?= python3.12
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 3000
SEED ?= 0

# Every step of `make test` is one target whose recipe is one `$(STEP) <name> -- <command>` line: a banner with
# the step's elapsed time, and its counts in build/summary.tsv, which .ci/run sums into its last line
# (`N passed, N failed`). A command that records no counts of its own counts as one check; one that knows its
# test cases records them with scripts/ci/ci_summary.py (see its docstring). To add a step: a target with one
# $(STEP) line, listed in `test-lanes:` or `python-checks:` below.
STEP := bash scripts/ci/ci_step.sh
REPORTS := build/reports

.PHONY: run test test-lanes python-checks format lint typecheck unit pytest contract terraform \
	terraform-apply packages workflows bench load clean summary-reset

# PYTHON given (environment or command line) that is not the interpreter .venv was made with: .venv is made
# again with it, so the choice is never silently ignored (decided while the Makefile is read, so before any
# target, `make -n` included). PYTHON that does not run stops here, removing nothing.
ifneq ($(filter environment command,$(firstword $(origin PYTHON))),)
ifneq ($(wildcard $(VENV)/pyvenv.cfg),)
VENV_INTERPRETER := $(shell sed -n 's/^executable = //p' $(VENV)/pyvenv.cfg)
WANTED_INTERPRETER := $(shell $(PYTHON) -c 'import os, sys; print(os.path.realpath(sys.executable))' 2>/dev/null)
ifeq ($(WANTED_INTERPRETER),)
$(error PYTHON=$(PYTHON) does not run; name a Python 3.12 interpreter)
endif
ifneq ($(WANTED_INTERPRETER),$(VENV_INTERPRETER))
$(info .venv was made with $(VENV_INTERPRETER); PYTHON=$(PYTHON) is $(WANTED_INTERPRETER): making .venv again)
$(shell rm -rf $(VENV))
endif
endif
endif

$(BIN)/python:
	@command -v $(PYTHON) > /dev/null || { echo "$(PYTHON) not found: install Python 3.12, or name one with PYTHON=/path/to/python3.12" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

# Only what the local server needs: the runtime requirements and moto's server. Every requirements*.txt is
# compiled from its .in with hashes (pip-compile --generate-hashes: the command is in each file's header), and
# installed only if every file matches them.
$(VENV)/.run-installed: requirements-layer.txt requirements.txt requirements-local.txt | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements-local.txt
	touch $@

$(VENV)/.dev-installed: requirements-layer.txt requirements.txt requirements-local.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet --require-hashes -r requirements-dev.txt
	touch $@ $(VENV)/.run-installed

run: $(VENV)/.run-installed
	PORT=$(PORT) SEED=$(SEED) PYTHONPATH=src $(BIN)/python -m scripts.local_server

format: $(VENV)/.dev-installed
	$(BIN)/black src scripts tests

lint: $(VENV)/.dev-installed
	$(STEP) lint -- $(BIN)/black --check --quiet src scripts tests

typecheck: $(VENV)/.dev-installed
	$(STEP) typecheck -- $(BIN)/mypy

# Fast feedback while working: tests/unit only (no servers, no packages).
unit: $(VENV)/.dev-installed
	$(BIN)/pytest tests/unit -q

# Every pytest test but the Terraform applies (unit, integration, contract, deployment, pipeline) with branch
# coverage of src/; each test counts in CI's summary (JUnit report); coverage reports go to build/reports for
# CI's artifacts.
# pytest exits 5 when it collected no tests: that is a failure here, never a pass.
# PYTEST_WORKERS parallel workers (pytest-xdist), each with its own moto server and local server; tests marked
# xdist_group("name") run on one worker together.
PYTEST_WORKERS ?= 2
pytest: $(VENV)/.dev-installed
	$(STEP) pytest -- bash -c 'status=0; $(BIN)/pytest -n $(PYTEST_WORKERS) --dist loadgroup \
	  --junitxml=$(REPORTS)/pytest-junit.xml --cov --cov-branch \
	  --cov-report=term --cov-report=xml:$(REPORTS)/coverage.xml --cov-report=html:$(REPORTS)/coverage-html \
	  --cov-fail-under=90 || status=$$?; python3 scripts/ci/ci_summary.py junit pytest $(REPORTS)/pytest-junit.xml; \
	  if [ $$status -eq 5 ]; then echo "pytest collected no tests" >&2; exit 1; fi; exit $$status'

# schemathesis against the local server (every generated case counts), then the post-deployment validation.
contract: $(VENV)/.dev-installed
	$(STEP) contract -- bash scripts/ci/check_contract.sh

# The Lambda packages (build/lambda), built once before both Terraform lanes: the Lambda stack's tests hash them
# and the apply deploys them, so neither lane may rebuild them while the other reads.
packages: $(VENV)/.dev-installed
	$(STEP) lambda-packages -- bash scripts/ops/package_lambdas.sh

# fmt, validate, terraform test and checkov over the three stacks.
terraform: packages
	$(STEP) terraform -- bash scripts/ci/check_terraform.sh --static

# A real apply of the three stacks on moto, checked with boto3 (tests/terraform).
terraform-apply: packages
	$(STEP) terraform-apply -- bash scripts/ci/check_terraform.sh --apply

# zizmor (offline) over .github/: no findings allowed.
workflows: $(VENV)/.dev-installed
	$(STEP) zizmor -- $(BIN)/zizmor --offline --no-progress .github/

# openapi.yaml through the Node tools pinned in tools/openapi-lint (npm ci on first use); any problem fails.
openapi-redocly: $(VENV)/.dev-installed
	$(STEP) openapi-redocly -- bash scripts/ci/openapi_lint.sh redocly
openapi-spectral: $(VENV)/.dev-installed
	$(STEP) openapi-spectral -- bash scripts/ci/openapi_lint.sh spectral
openapi-ajv: $(VENV)/.dev-installed
	$(STEP) openapi-ajv -- bash scripts/ci/openapi_lint.sh ajv
.PHONY: openapi-redocly openapi-spectral openapi-ajv

summary-reset:
	@mkdir -p build && rm -f build/summary.tsv

# Three lanes at once: the Python checks one after the other; the static Terraform checks; and the apply,
# which mostly waits on moto and the AWS provider. Each lane's output shows whole when the lane ends.
test: summary-reset $(VENV)/.dev-installed
	@$(MAKE) --no-print-directory -j3 --output-sync=recurse test-lanes
	@python3 scripts/ci/ci_summary.py table
	@python3 scripts/ci/ci_summary.py print

test-lanes: python-checks terraform terraform-apply

python-checks:
	@$(MAKE) --no-print-directory -j1 lint typecheck workflows openapi-redocly openapi-spectral openapi-ajv \
	  pytest contract

# Not a test: measures cold start, request overhead and list reads, and rewrites docs/PERFORMANCE.md.
bench: $(VENV)/.dev-installed
	PYTHONPATH=src $(BIN)/python -m scripts.perf.benchmark

# Locust at RATE requests/s for DURATION s with the production mix; without URL it starts the local server.
# Fails when an operation's p95 passes P95_MS or the error rate passes MAX_ERROR_RATE (a fraction).
URL ?=
RATE ?= 50
DURATION ?= 60
P95_MS ?= 300
MAX_ERROR_RATE ?= 0
load: $(VENV)/.dev-installed
	PYTHONPATH=src $(BIN)/python -m scripts.perf.load_test --rate $(RATE) --duration $(DURATION) --p95-ms $(P95_MS) \
		--max-error-rate $(MAX_ERROR_RATE) $(if $(URL),--url $(URL))

clean:
	rm -rf $(VENV) .venv-checkov build .coverage .pytest_cache .mypy_cache
