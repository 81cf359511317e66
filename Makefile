# The two commands of README.md: `make demo` and `make test`. Each phase prints how long it took.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
PHASE := scripts/phase.sh
ENV := . scripts/env.sh &&
# The example `dev` stack's passphrase: it guards only an example key that opens no host.
DEV_PASSPHRASE ?= example-dev-only

.PHONY: help venv toolchain lab-install test unit preview-dev reference optdata demo lab-down

help:
	@echo "make demo   - toolchain + lab + its OpenStack + pulumi up --stack lab (hosts, volume types, QoS, image); make lab-down stops it"
	@echo "make test   - all tests: unit (mocks), the real engine, the lab's real hosts"
	@echo "make unit   - only the tests that need nothing but Python (no lab, engine, validate venv, local services)"
	@echo "make toolchain / make preview-dev / make reference / make optdata / make lab-down"

venv: .venv/.installed
.venv/.installed: requirements.txt
	@$(PHASE) venv bash -c 'python3 -m venv .venv && .venv/bin/pip install -q --disable-pip-version-check -r requirements.txt && touch $@'

toolchain:
	@$(PHASE) toolchain bash scripts/toolchain.sh

# Only the tests that need nothing but Python (seconds): no lab, engine, .venv-validate or local service; UNIT_ONLY
# makes one that reaches for them fail (tests/conftest.py). pytest.ini's markers name what each other test needs.
unit: venv
	@$(PHASE) unit-tests env UNIT_ONLY=1 .venv/bin/python -m pytest -q tests \
	  -m "not engine and not lab and not validate and not host"

# The lab's Debian packages (lab/install.sh) and its OpenStack venv.
lab-install:
	@$(PHASE) lab-install bash lab/openstack/install.sh

# Unit tests, the engine test and the lab tests (they bring the lab up when it is down, and down again).
test: venv toolchain lab-install
	@$(PHASE) tests bash -c '$(ENV) python -m pytest -q --durations=10 tests'

preview-dev: venv toolchain
	@$(PHASE) preview-dev bash -c '$(ENV) export PULUMI_CONFIG_PASSPHRASE=$(DEV_PASSPHRASE) && \
	  (pulumi stack select dev 2>/dev/null || pulumi stack init dev) && pulumi preview --stack dev --diff'

# The lab's hosts, then its OpenStack services (they run before the program wires them to storage), then one
# `pulumi up` for the hosts and the cloud. On a running lab the stack is kept and the second demo changes nothing.
demo: venv toolchain lab-install
	@$(PHASE) lab-up bash lab/lab.sh up
	@$(PHASE) openstack-up bash lab/openstack/up.sh
	@$(PHASE) lab-stack bash -c '$(ENV) python lab/stack.py'
	@$(PHASE) pulumi-up bash -c '$(ENV) export PULUMI_CONFIG_PASSPHRASE_FILE=$$PWD/lab/run/passphrase && \
	  pulumi up --stack lab --yes --skip-preview'
	@$(PHASE) summary bash -c '$(ENV) export PULUMI_CONFIG_PASSPHRASE_FILE=$$PWD/lab/run/passphrase && python lab/summary.py'

lab-down:
	@$(PHASE) lab-down bash lab/lab.sh down

# Regenerates the config reference in README.md from the typed config's own descriptions.
reference: venv
	@.venv/bin/python scripts/reference.py

# Regenerates the option data the program ships (components/config/optdata/<release>/) for every release
# validate/releases lists, each from its own locked pins and virtualenv (validate/build.sh).
optdata:
	@bash validate/build.sh
	@sed -e 's/#.*//' validate/releases | while read -r release pins venv; do [ -z "$$release" ] || \
	  "$$venv/bin/python" validate/optdata.py --release "$$release" || exit 1; done
