# The two commands of README.md: `make demo` and `make test`. Each phase prints how long it took.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PHASE := scripts/phase.sh
ENV := . scripts/env.sh &&
# The example `dev` stack's passphrase: it guards only an example key that opens no host.
DEV_PASSPHRASE ?= example-dev-only

.PHONY: help venv toolchain test unit preview-dev reference demo

help:
	@echo "make demo   - toolchain + lab + pulumi up --stack lab"
	@echo "make test   - all tests (unit, engine)"
	@echo "make toolchain / make preview-dev / make reference"

venv: .venv/.installed
.venv/.installed: requirements.txt
	@$(PHASE) venv bash -c 'python3 -m venv .venv && .venv/bin/pip install -q --disable-pip-version-check -r requirements.txt && touch $@'

toolchain:
	@$(PHASE) toolchain bash scripts/toolchain.sh

unit: venv
	@$(PHASE) unit-tests .venv/bin/python -m pytest -q tests -m "not engine"

test: venv toolchain
	@$(PHASE) tests bash -c '$(ENV) python -m pytest -q tests'

preview-dev: venv toolchain
	@$(PHASE) preview-dev bash -c '$(ENV) export PULUMI_CONFIG_PASSPHRASE=$(DEV_PASSPHRASE) && \
	  (pulumi stack select dev 2>/dev/null || pulumi stack init dev) && pulumi preview --stack dev --diff'

# Regenerates the config reference in README.md from the typed config's own descriptions.
reference: venv
	@.venv/bin/python scripts/reference.py
