# netfleet.tcp: development and CI entry points.
#
#   make audit   audit this machine (playbooks/audit.yml over a local connection), changing nothing
#   make test    sanity, lint, unit, integration and VM tests, then one summary line (what CI runs)
#
# Everything the targets create stays inside ignored folders of the checkout:
# .venv/ (virtualenv), .build/ (sanity tree, reports, tarball), .cache/ (pip and
# ansible-test virtualenvs), .tmp/ (collection link, pytest and ansible scratch).

SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
MAKEFLAGS += --no-builtin-rules --no-print-directory

REPO := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))
PYTHON ?= /usr/bin/python3
VENV := $(REPO)/.venv
BIN := $(VENV)/bin
VENV_STAMP := $(VENV)/.netfleet-requirements
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
DEB_PACKAGES := openssh-server nftables iptables iproute2 rsync shellcheck qemu-system-x86 qemu-utils debootstrap
PYTEST := $(BIN)/python -m pytest

export PATH := $(BIN):$(PATH)
export ANSIBLE_HOME := $(REPO)/.tmp/ansible
export PIP_CACHE_DIR ?= $(CACHE)/pip
export PIP_DISABLE_PIP_VERSION_CHECK := 1
export NETFLEET_FLEET_ID ?= 0
export PYTHONDONTWRITEBYTECODE := 1
export LANG ?= C.UTF-8

.PHONY: help venv deps link sanity lint unit integration test-vm test audit build changelog docs docs-check docsite clean distclean

help:
	@echo "make audit        audit this machine with playbooks/audit.yml, changing nothing"
	@echo "make test         sanity, lint, unit, integration, then one summary line"
	@echo "make venv         create/update .venv from requirements/test.txt"
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

$(VENV_STAMP): $(REQUIREMENTS)
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
	"$(BIN)/python" -m pip install --quiet -r "$(REPO)/requirements/test.txt"
	@touch "$@"

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
	  2>&1 | tee "$(REPORTS)/lint.log" || rc=$$?; \
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
# with debootstrap and cached outside the checkout (NETFLEET_VM_CACHE); removes them at the end.
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

# --- using the collection ----------------------------------------------------

audit: venv link
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
	rm -rf "$(BUILD)" "$(REPO)/tests/output" "$(REPO)/.hypothesis" "$(REPO)/.pytest_cache" "$(REPO)/.ansible" \
	  "$(REPO)/.tmp/pytest-unit" "$(REPO)/.tmp/pytest-integration" "$(REPO)/.tmp/pytest-vm" "$(REPO)/.tmp/hypothesis" "$(REPO)/.tmp/ansible"
	@if [ -d "$(REPO)/collections/ansible_collections/netfleet/tcp" ] && ! git -C "$(REPO)" ls-files --error-unmatch collections >/dev/null 2>&1; then \
	  rm -rf "$(REPO)/collections"; fi  # pytest-ansible's symlink farm (rm does not follow the links)
	find "$(REPO)" -path "$(VENV)" -prune -o -path "$(REPO)/.cache" -prune -o -path "$(REPO)/.tmp" -prune \
	  -o -type d -name __pycache__ -print0 | xargs -0 -r rm -rf

distclean: clean
	rm -rf "$(VENV)" "$(CACHE)"
