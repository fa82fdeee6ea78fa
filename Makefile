# tactica developer commands. `make help` lists them.
# `make demo` and `make test` work on a fresh machine with only Python >= 3.11 and make:
# they bootstrap uv from PyPI into .tools/ and the locked environment into .venv/.

PYTHON ?= python3
TOOLS := .tools
SYSTEM_UV := $(shell command -v uv 2>/dev/null)
UV := $(if $(SYSTEM_UV),$(SYSTEM_UV),$(TOOLS)/bin/uv)
VENV_STAMP := .venv/.tactica-synced
RUN := $(UV) run --no-sync --python .venv/bin/python

.DEFAULT_GOAL := help
.PHONY: help demo test test-pythons lint fmt typecheck codegen codegen-check bench docs docs-serve changelog clean

help: ## List the targets with what they do.
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  \033[36m%-14s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

$(TOOLS)/bin/uv:
	$(PYTHON) -m venv $(TOOLS)
	$(TOOLS)/bin/python -m pip install --quiet --disable-pip-version-check uv

$(VENV_STAMP): pyproject.toml uv.lock | $(UV)
	$(UV) sync --locked --all-extras --python $(PYTHON)
	@touch $@

demo: $(VENV_STAMP) ## Run the reference application on an embedded database.
	$(RUN) python -m examples.demo

test: $(VENV_STAMP) ## Run the whole test suite (with coverage).
	$(RUN) pytest --cov --cov-report=term $(PYTEST_ARGS)

test-pythons: $(VENV_STAMP) ## Run the suite on the other supported Pythons (3.12, 3.13) too.
	UV=$(UV) bash .ci/other-pythons

lint: $(VENV_STAMP) ## Lint and check formatting (ruff).
	$(RUN) ruff check .
	$(RUN) ruff format --check .

fmt: $(VENV_STAMP) ## Format the code and apply safe lint fixes.
	$(RUN) ruff format .
	$(RUN) ruff check --fix .

typecheck: $(VENV_STAMP) ## mypy --strict and pyright strict on src/ and the typing tests.
	$(RUN) mypy
	$(RUN) mypy --strict tests/typing examples
	$(RUN) pyright

codegen: $(VENV_STAMP) ## Regenerate every *_sync.py from its *_async.py source.
	$(RUN) python tools/unasync.py

codegen-check: $(VENV_STAMP) ## Fail if a generated sync twin drifted or has no async source.
	$(RUN) python tools/unasync.py --check

bench: $(VENV_STAMP) ## Side-by-side benchmarks, printed as ratios (never pass/fail).
	$(RUN) python -m bench

docs: $(VENV_STAMP) ## Build the documentation site into site/ (strict).
	NO_MKDOCS_2_WARNING=1 $(RUN) mkdocs build --strict

docs-serve: $(VENV_STAMP) ## Serve the documentation locally with live reload.
	NO_MKDOCS_2_WARNING=1 $(RUN) mkdocs serve

changelog: $(VENV_STAMP) ## Preview the changelog built from changelog.d/ fragments.
	$(RUN) towncrier build --draft --version unreleased

clean: ## Remove the environment, caches and build output.
	rm -rf .venv .venv-3.* $(TOOLS) .mypy_cache .pytest_cache .ruff_cache site dist .coverage
