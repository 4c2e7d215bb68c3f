# netfleet.tcp: development and CI entry points.
#
#   make audit   audit this machine (playbooks/audit.yml over a local connection), changing nothing
#   make test    sanity, lint, unit, integration and VM tests, then one summary line (CI runs it,
#                then make test-matrix: see .ci/run)
#
# What the targets create, all in folders .gitignore and galaxy.yml's build_ignore leave out:
#   .venv/     virtualenv: controller requirements for `make audit`, all of requirements/test.txt
#              for the test targets
#   .build/    sanity tree, stage logs and JUnit files, the collection tarball, the docsite
#   .cache/    pip cache, ansible-test's sanity virtualenvs, the version-matrix virtualenvs
#   .tmp/      collection link, pytest and hypothesis scratch, ANSIBLE_HOME (where the audit
#              report of `make audit` goes: .tmp/ansible/netfleet_tcp/reports/audit-<UTC time>/)
#   .fleet/    the test fleet's files (inventory, ansible.cfg, keys), from `make fleet` and the
#              integration tests; `make fleet-down` removes the fleet
# plus caches some tools leave next to the sources (__pycache__, .pytest_cache, .hypothesis,
# .ansible, tests/output, collections/) and playbooks/reports/ from audits run by hand with
# an older default. `make clean` removes all of it except .venv and .cache (distclean: those
# too) and the folder of a fleet that is up (make fleet-down first).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules --no-print-directory

REPO := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
PYTHON ?= /usr/bin/python3
VENV := $(REPO)/.venv
BIN := $(VENV)/bin
VENV_STAMP := $(VENV)/.netfleet-requirements
CONTROLLER_STAMP := $(VENV)/.netfleet-controller
REQUIREMENTS := $(REPO)/requirements/controller.txt $(REPO)/requirements/test.txt
BUILD := $(REPO)/.build
REPORTS := $(BUILD)/reports
CACHE := $(REPO)/.cache
COLLECTIONS := $(REPO)/.tmp/collections
COLLECTION_LINK := $(COLLECTIONS)/ansible_collections/netfleet/tcp
SANITY_TREE := $(BUILD)/sanity/ansible_collections/netfleet/tcp
# ansible-test keeps its sanity virtualenvs and bootstrap cache under ~/.ansible/test;
# it runs with HOME here so they stay in the checkout.
ANSIBLE_TEST_HOME := $(CACHE)/ansible-test
DEB_PACKAGES := openssh-server nftables iptables iproute2 rsync shellcheck prometheus chromium chromium-driver \
  qemu-system-x86 qemu-utils mmdebstrap
PYTEST := $(BIN)/python -m pytest

export PATH := $(BIN):$(PATH)
export ANSIBLE_HOME := $(REPO)/.tmp/ansible
export PIP_CACHE_DIR ?= $(CACHE)/pip
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export NETFLEET_FLEET_ID ?= 0
export PYTHONDONTWRITEBYTECODE := 1
export LANG ?= C.UTF-8
# cryptography 43+ warns on import that DSA keys are deprecated, once per Ansible process
# (ansible-core imports the DSA type for its ssh-agent support). Only that warning is
# silenced, by its message; every other warning still shows.
comma := ,
export PYTHONWARNINGS := $(if $(PYTHONWARNINGS),$(PYTHONWARNINGS)$(comma))ignore:DSA is deprecated
# ansible-lint records Python warnings itself and logs them whatever PYTHONWARNINGS says;
# `make lint` drops that one line from its output.
DSA_LINT_LINE := CryptographyDeprecationWarning DSA is deprecated and support will be removed

.PHONY: help venv controller-venv deps link fleet fleet-down sanity lint unit integration test-vm test test-matrix test-matrix-full audit build changelog docs docs-check docsite clean distclean

help:
	@echo "make audit        audit this machine with playbooks/audit.yml, changing nothing"
	@echo "make test         sanity, lint, unit, integration, then one summary line"
	@echo "make venv         create/update .venv from requirements/test.txt"
	@echo "make fleet        build the test fleet (network namespaces, root only) for the README's examples"
	@echo "make fleet-down   remove the test fleet"
	@echo "make test-matrix  the version matrix CI runs: what differs per ansible-core version, every host Python"
	@echo "make test-matrix-full  the whole matrix (release): all sanity, unit, smoke per ansible-core x host Python"
	@echo "make deps         install missing Debian packages ($(DEB_PACKAGES)); root only"
	@echo "make sanity       ansible-test sanity on a copy of the tree, antsibull-changelog lint"
	@echo "make lint         ansible-lint, production profile"
	@echo "make unit         pytest tests/unit"
	@echo "make integration  pytest tests/integration (builds the test fleet; needs root)"
	@echo "make test-vm      pytest tests/vm (Debian 12 VMs under qemu, image cached in /var/cache/netfleet-tcp/vm; root)"
	@echo "make build        ansible-galaxy collection build into .build/"
	@echo "make changelog    fold changelogs/fragments into changelogs/changelog.yaml and CHANGELOG.md"
	@echo "make docs         regenerate docs/reference/ (knobs, profiles, roles) from the catalog and specs"
	@echo "make docs-check   fail when a generated page under docs/reference/ is stale"
	@echo "make docsite      build the static documentation site into .build/docsite"
	@echo "make clean        remove build and test output (distclean: also .venv and .cache)"

# --- environment -------------------------------------------------------------

venv: $(VENV_STAMP)

controller-venv: $(CONTROLLER_STAMP)

# `make audit` needs only the controller requirements (ansible-core, jmespath); the test
# targets install requirements/test.txt, which includes them.
$(CONTROLLER_STAMP): $(REPO)/requirements/controller.txt
	@$(MAKE) -C "$(REPO)" venv-dir
	@if [ -f "$(VENV_STAMP)" ] && [ "$(VENV_STAMP)" -nt "$<" ]; then touch "$@"; exit 0; fi; \
	echo "make: installing the controller requirements (ansible-core, jmespath) into .venv"; \
	"$(BIN)/python" -m pip install --quiet -r "$<"; \
	touch "$@"

$(VENV_STAMP): $(REQUIREMENTS)
	@$(MAKE) -C "$(REPO)" venv-dir
	@echo "make: installing the test requirements (requirements/test.txt) into .venv"
	"$(BIN)/python" -m pip install --quiet -r "$(REPO)/requirements/test.txt"
	@touch "$@" "$(CONTROLLER_STAMP)"

.PHONY: venv-dir
venv-dir:
	@if ! "$(BIN)/python" -c 'import sys' >/dev/null 2>&1; then \
	  rm -rf "$(VENV)"; \
	  if ! "$(PYTHON)" -m venv "$(VENV)"; then \
	    rm -rf "$(VENV)"; \
	    if [ "$$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then \
	      echo "make venv: '$(PYTHON) -m venv' failed; install python3-venv" >&2; exit 1; \
	    fi; \
	    echo "make venv: installing python3-venv"; \
	    export DEBIAN_FRONTEND=noninteractive; \
	    apt-get install -y --no-install-recommends python3-venv \
	      || { apt-get update && apt-get install -y --no-install-recommends python3-venv; }; \
	    "$(PYTHON)" -m venv "$(VENV)"; \
	  fi; \
	fi

deps:
	@if ! command -v dpkg-query >/dev/null; then \
	  echo "make deps: no dpkg here; make sure these are installed: $(DEB_PACKAGES)"; exit 0; \
	fi; \
	missing=""; \
	for pkg in $(DEB_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' "$$pkg" 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$pkg"; \
	done; \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ]; then \
	  echo "make deps: not root, not installing:$$missing" >&2; exit 0; \
	fi; \
	echo "make deps: installing$$missing"; \
	export DEBIAN_FRONTEND=noninteractive; \
	apt-get install -y --no-install-recommends $$missing \
	  || { apt-get update && apt-get install -y --no-install-recommends $$missing; }

# .tmp/collections/ansible_collections/netfleet/tcp -> the checkout (tests/conftest.py makes the same link)
link:
	@mkdir -p "$(dir $(COLLECTION_LINK))"
	@[ "$$(readlink "$(COLLECTION_LINK)" 2>/dev/null)" = "$(REPO)" ] || ln -sfn "$(REPO)" "$(COLLECTION_LINK)"

# The test fleet of tests/fleet/fleet.sh (network namespaces on this machine, root only),
# NETFLEET_FLEET_ID (default 0) and NETFLEET_FLEET_SIZE hosts (default 4), for the README's
# and the how-tos' examples: .fleet/$(NETFLEET_FLEET_ID)/inventory.ini and ansible.cfg.
fleet: deps controller-venv link
	@tests/fleet/fleet.sh up $${NETFLEET_FLEET_SIZE:-4} >/dev/null
	@echo "fleet $(NETFLEET_FLEET_ID) is up: .fleet/$(NETFLEET_FLEET_ID)/inventory.ini, ANSIBLE_CONFIG=.fleet/$(NETFLEET_FLEET_ID)/ansible.cfg; remove it with make fleet-down"

fleet-down:
	@tests/fleet/fleet.sh down

# --- test stages -------------------------------------------------------------

# ansible-test refuses symlinked collections, so it runs on a physical copy of the files git
# knows about (tracked plus untracked-but-not-ignored). The copy gets its own empty git repo:
# ansible-test lists files with git, and would otherwise find this checkout's repo, in which
# .build/ is ignored. Its pip bootstrap (a get-pip download from a host CI cannot reach) is
# replaced by .ci/get_pip_offline.py, which uses ensurepip.
sanity: venv deps
	@rm -rf "$(BUILD)/sanity" && mkdir -p "$(SANITY_TREE)" "$(REPORTS)"
	@cd "$(REPO)" && git ls-files -z --cached --others --exclude-standard \
	  | rsync -a --from0 --files-from=- --ignore-missing-args ./ "$(SANITY_TREE)/"
	@git -C "$(SANITY_TREE)" init -q
	@pip_version=$$(sed -n "s/^ *pip='\([0-9.]*\)',.*/\1/p" \
	    "$$("$(BIN)/python" -c 'import ansible_test, os; print(os.path.dirname(ansible_test.__file__))')/_internal/python_requirements.py"); \
	  mkdir -p "$(ANSIBLE_TEST_HOME)/.ansible/test/cache"; \
	  for v in $$pip_version; do \
	    cp "$(REPO)/.ci/get_pip_offline.py" "$(ANSIBLE_TEST_HOME)/.ansible/test/cache/get_pip_$${v//./_}.py"; \
	  done
	@pyver=$$("$(BIN)/python" -c 'import sys; print("%d.%d" % sys.version_info[:2])'); \
	rc=0; cd "$(SANITY_TREE)" && HOME="$(ANSIBLE_TEST_HOME)" "$(BIN)/ansible-test" sanity \
	  --local --python "$$pyver" --color no 2>&1 | tee "$(REPORTS)/sanity.log" || rc=$$?; \
	crc=0; cd "$(REPO)" && { "$(BIN)/antsibull-changelog" lint \
	  && "$(BIN)/antsibull-changelog" lint-changelog-yaml changelogs/changelog.yaml; } || crc=$$?; \
	"$(BIN)/python" "$(REPO)/.ci/report.py" stage sanity $$(( rc || crc )) \
	  --sanity-log "$(REPORTS)/sanity.log" --extra 1 --changelog-rc $$crc; \
	exit $$(( rc || crc ))

lint: venv link
	@mkdir -p "$(REPORTS)"
	@rc=0; cd "$(REPO)" && ANSIBLE_COLLECTIONS_PATH="$(COLLECTIONS)" "$(BIN)/ansible-lint" --nocolor \
	  2>&1 | { grep -v -F "$(DSA_LINT_LINE)" || true; } | tee "$(REPORTS)/lint.log" || rc=$$?; \
	"$(BIN)/python" "$(REPO)/.ci/report.py" stage lint $$rc --lint-log "$(REPORTS)/lint.log"; \
	exit $$rc

unit: venv
	@mkdir -p "$(REPORTS)"
	@rc=0; cd "$(REPO)" && $(PYTEST) tests/unit -ra --basetemp="$(REPO)/.tmp/pytest-unit" \
	  --junitxml="$(REPORTS)/unit.xml" || rc=$$?; \
	"$(BIN)/python" "$(REPO)/.ci/report.py" stage unit $$rc --junit "$(REPORTS)/unit.xml"; \
	exit $$rc

# The fleet fixtures in tests/integration/conftest.py build and remove the test fleet
# (NETFLEET_FLEET_ID, default 0); `fleet.sh down` afterwards is a safety net.
integration: venv deps
	@mkdir -p "$(REPORTS)"
	@rc=0; cd "$(REPO)" && $(PYTEST) tests/integration -ra --durations=10 --basetemp="$(REPO)/.tmp/pytest-integration" \
	  --junitxml="$(REPORTS)/integration.xml" || rc=$$?; \
	if [ -x tests/fleet/fleet.sh ] && [ "$$(id -u)" = 0 ]; then tests/fleet/fleet.sh down >/dev/null 2>&1 || true; fi; \
	"$(BIN)/python" "$(REPO)/.ci/report.py" stage integration $$rc --junit "$(REPORTS)/integration.xml"; \
	exit $$rc

# The VM tier (tests/vm/conftest.py): boots Debian 12 VMs under qemu from an image built once
# with mmdebstrap and cached outside the checkout (NETFLEET_VM_CACHE); removes them at the end.
test-vm: venv deps
	@mkdir -p "$(REPORTS)"
	@rc=0; cd "$(REPO)" && $(PYTEST) tests/vm -ra --durations=10 --basetemp="$(REPO)/.tmp/pytest-vm" \
	  --junitxml="$(REPORTS)/vm.xml" || rc=$$?; \
	"$(BIN)/python" "$(REPO)/.ci/report.py" stage vm $$rc --junit "$(REPORTS)/vm.xml"; \
	exit $$rc

# All five stages run even when one fails, so one CI run shows everything; the exit
# status is non-zero unless all passed. The last line is the summary.
test:
	@rm -f "$(REPORTS)"/{sanity,lint,unit,integration,vm}.json
	@rc=0; \
	for stage in sanity lint unit integration test-vm; do \
	  echo "=== make $$stage"; \
	  $(MAKE) -C "$(REPO)" $$stage || rc=1; \
	done; \
	"$(BIN)/python" "$(REPO)/.ci/report.py" summary || rc=1; \
	exit $$rc

# The version matrix (.ci/matrix.py; README "Supported versions"), two profiles:
#   test-matrix       what CI runs after make test (.ci/run): for each ansible-core version besides
#                     .venv's, the version-bound sanity tests, the unit tests that drive
#                     ansible-core (commands, AnsibleModule, plugins, templar) and a smoke run of both roles on the test fleet; every host Python (3.8 to
#                     3.13 from pyenv) in one run of both roles, a fleet host each. A few minutes.
#   test-matrix-full  before a release: every ansible-core version (2.17 to 2.20) with all of
#                     sanity and tests/unit, and the smoke run with every host Python it supports.
#                     Over an hour on 2 cores.
# Virtualenvs under .cache/matrix; the fleet is NETFLEET_FLEET_ID's (root only). MATRIX_ARGS
# narrows a run, e.g. MATRIX_ARGS='--cores 2.20 --stages venv,unit'; MATRIX_JOBS sets how many
# sanity/unit cells run at once (default 2, beside the fleet's lane).
MATRIX_JOBS ?= 2

test-matrix: venv deps link
	@mkdir -p "$(REPORTS)" && rm -f "$(REPORTS)/matrix.json"
	@rc=0; cd "$(REPO)" && "$(BIN)/python" .ci/matrix.py --profile ci --jobs $(MATRIX_JOBS) $(MATRIX_ARGS) || rc=$$?; \
	"$(BIN)/python" "$(REPO)/.ci/report.py" stage matrix $$rc --matrix "$(REPORTS)/matrix-cells.json"; \
	exit $$rc

test-matrix-full: venv deps link
	@mkdir -p "$(REPORTS)"
	cd "$(REPO)" && "$(BIN)/python" .ci/matrix.py --profile full --jobs $(MATRIX_JOBS) $(MATRIX_ARGS)

# --- using the collection ----------------------------------------------------

audit: controller-venv link
	@if [ ! -f "$(REPO)/playbooks/audit.yml" ]; then \
	  echo "make audit: playbooks/audit.yml does not exist yet, nothing to run" >&2; exit 2; \
	fi
	cd "$(REPO)" && ANSIBLE_COLLECTIONS_PATH="$(COLLECTIONS)" "$(BIN)/ansible-playbook" \
	  -i localhost, -c local -e 'ansible_python_interpreter={{ ansible_playbook_python }}' \
	  playbooks/audit.yml $(AUDIT_ARGS)

build: venv
	@mkdir -p "$(BUILD)"
	cd "$(REPO)" && "$(BIN)/ansible-galaxy" collection build --force --output-path "$(BUILD)" .

changelog: venv
	cd "$(REPO)" && "$(BIN)/antsibull-changelog" lint
	cd "$(REPO)" && "$(BIN)/antsibull-changelog" release --reload-plugins --update-existing --refresh-fragments without-archives
	@ls "$(REPO)"/changelogs/fragments/*.yml >/dev/null  # fragments are kept (keep_fragments: true)

# --- documentation -----------------------------------------------------------

# The reference pages are generated from the knob catalog, the profiles and the roles'
# argument specs; docs-check is what tests/unit/docs checks too.
docs: venv link
	cd "$(REPO)" && "$(BIN)/python" scripts/gen_reference_docs.py

docs-check: venv link
	cd "$(REPO)" && "$(BIN)/python" scripts/gen_reference_docs.py --check

docsite: venv link
	cd "$(REPO)" && "$(BIN)/python" scripts/build_docsite.py

# --- housekeeping ------------------------------------------------------------

clean:
	rm -rf "$(BUILD)" "$(REPO)/.tmp" "$(REPO)/tests/output" "$(REPO)/.ansible" "$(REPO)/playbooks/reports" "$(REPO)/reports"
	@for dir in "$(REPO)"/.fleet/*/; do \
	  [ -d "$$dir" ] || continue; id=$$(basename "$$dir"); \
	  if NETFLEET_FLEET_ID=$$id "$(REPO)/tests/fleet/fleet.sh" status >/dev/null 2>&1 || [ $$? -ne 3 ]; then \
	    echo "make clean: .fleet/$$id kept: fleet $$id is up (NETFLEET_FLEET_ID=$$id make fleet-down)"; \
	  else rm -rf "$$dir"; fi; \
	done; rmdir "$(REPO)/.fleet" 2>/dev/null || true
	@if [ -d "$(REPO)/collections/ansible_collections/netfleet/tcp" ] && ! git -C "$(REPO)" ls-files --error-unmatch collections >/dev/null 2>&1; then \
	  rm -rf "$(REPO)/collections"; fi  # pytest-ansible's symlink farm (rm does not follow the links)
	find "$(REPO)" -path "$(VENV)" -prune -o -path "$(REPO)/.cache" -prune -o -path "$(REPO)/.tmp" -prune \
	  -o -path "$(REPO)/.git" -prune -o -path "$(REPO)/.fleet" -prune \
	  -o -type d \( -name __pycache__ -o -name .pytest_cache -o -name .hypothesis \) -print0 | xargs -0 -r rm -rf

distclean: clean
	rm -rf "$(VENV)" "$(CACHE)"
