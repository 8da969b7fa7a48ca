# Orcheo developer entry points. `make help` lists them.
#
# Everything installs itself: the only prerequisites are bash, make and a system
# python3 >= 3.11. uv is used when present and bootstrapped with pip when not.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.ONESHELL:
.NOTPARALLEL:
.DEFAULT_GOAL := help

PYTHON ?= python3
# uv trusts the system certificate store too, so it works behind a TLS-inspecting proxy
# even when SSL_CERT_FILE is not set in the environment.
export UV_NATIVE_TLS ?= 1
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.orcheo-synced
UV_BOOTSTRAP := .cache/uv-bootstrap
PYTEST_WORKERS ?= 2
# Extra flags for `make lock`, e.g. `make lock LOCK_FLAGS=--upgrade`.
LOCK_FLAGS ?=
# functions/ joins the type check as soon as it holds Python code.
MYPY_TARGETS := $(strip orcheo_core $(if $(wildcard functions/*.py functions/*/*.py),functions) infra app.py)

# Sets $UV in the recipe's shell: uv from PATH, else `python3 -m uv`, else a copy
# installed by pip into $(UV_BOOTSTRAP). `pip install --target` works as root and as a
# user, needs nothing on PATH, and is not refused by "externally managed" (PEP 668)
# system Pythons the way a plain or --user install is.
define find_uv
if command -v uv >/dev/null 2>&1; then
  UV=uv
elif $(PYTHON) -m uv --version >/dev/null 2>&1; then
  UV="$(PYTHON) -m uv"
elif [ -x $(UV_BOOTSTRAP)/bin/uv ]; then
  UV=$(UV_BOOTSTRAP)/bin/uv
else
  echo "==> uv not found; installing it with pip into $(UV_BOOTSTRAP)"
  if ! $(PYTHON) -m pip --version >/dev/null 2>&1; then
    echo "error: neither uv nor pip is available for $(PYTHON); install one of them" >&2
    exit 1
  fi
  rm -rf $(UV_BOOTSTRAP)
  $(PYTHON) -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
    --no-warn-script-location --target $(UV_BOOTSTRAP) uv
  UV=$(UV_BOOTSTRAP)/bin/uv
fi
endef

.PHONY: help dev test check fmt lint typecheck bench lock clean venv lambda-assets-host canvas browser bubblewrap \
  lambda-assets synth

# The canvas (frontend/): built into frontend/dist, which the local stack serves at `/`.
FRONTEND := frontend
CANVAS_SOURCES := $(FRONTEND)/src $(FRONTEND)/index.html $(FRONTEND)/vite.config.ts \
  $(FRONTEND)/tsconfig.json $(FRONTEND)/package.json $(FRONTEND)/package-lock.json
# The browser the canvas e2e test drives (Debian's package; never `playwright install`).
CHROMIUM ?= /usr/bin/chromium
export CHROMIUM

help:
	@echo "make dev        install what is missing, then start the local stack on http://127.0.0.1:8000"
	echo "make test       install what is missing, then run every test tier"
	echo "make check      format check, lint, type check, then the tests (what CI should pass)"
	echo "make fmt        format the code and apply safe lint fixes"
	echo "make lint       ruff format --check + ruff check"
	echo "make typecheck  mypy --strict on $(MYPY_TARGETS)"
	echo "make bench      run the benchmarks in bench/"
	echo "make lock       recompile requirements/*.txt (with hashes) from pyproject.toml"
	echo "make clean      remove the virtualenv, caches and build output"
	echo "make canvas     install the canvas' node packages if missing, build it if stale"
	echo "make lambda-assets  build the Lambda asset folders (build/lambda/<function>/, no Docker)"
	echo "make synth      synthesise the CDK stack into cdk.out (offline; see docs/deploy.md)"

# The virtualenv: created once, re-synced only when requirements/dev.txt is newer than
# the stamp. The repo goes on sys.path through a .pth file, so no wheel is ever built.
venv: $(STAMP)

$(STAMP): requirements/dev.txt
	@if ! $(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; then
	  echo "error: Orcheo needs Python >= 3.11; rerun with PYTHON=/path/to/python3.11" >&2
	  exit 1
	fi
	$(find_uv)
	if [ ! -x $(VPY) ]; then
	  echo "==> creating $(VENV)"
	  $$UV venv --quiet $(VENV) --python "$$($(PYTHON) -c 'import sys; print(sys.executable)')"
	fi
	echo "==> syncing dependencies from requirements/dev.txt"
	$$UV pip sync --quiet --python $(VPY) requirements/dev.txt
	site="$$($(VPY) -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')"
	echo "$(CURDIR)" > "$$site/orcheo-repo.pth"
	# The `orcheo` command, without building a wheel: a shim that runs orcheo_core.cli.
	printf '#!/bin/sh\nexec "%s" -m orcheo_core.cli "$$@"\n' "$(CURDIR)/$(VPY)" > $(VENV)/bin/orcheo
	chmod +x $(VENV)/bin/orcheo
	touch $@

# The local stack on http://127.0.0.1:8000 (data in $$ORCHEO_HOME, default ~/.orcheo).
# ORCHEO_PORT / ORCHEO_HOST / ORCHEO_HOME change where it listens and keeps data.
dev: $(STAMP) bubblewrap canvas
	@exec $(VPY) -m functions.local

# Without node the canvas is skipped (the local stack then serves a placeholder page).
# `npm ci` runs when node_modules is missing or older than the lock file; the build when
# frontend/dist is missing or older than any source.
canvas:
	@if ! command -v npm >/dev/null 2>&1; then
	  echo "==> npm not found: the canvas is not built (install Node.js >= 20.19 to get it)"
	  exit 0
	fi
	if [ ! -f $(FRONTEND)/node_modules/.package-lock.json ] \
	   || [ $(FRONTEND)/package-lock.json -nt $(FRONTEND)/node_modules/.package-lock.json ]; then
	  echo "==> npm ci (frontend)"
	  (cd $(FRONTEND) && npm ci --no-audit --no-fund --loglevel=error)
	fi
	if [ ! -f $(FRONTEND)/dist/index.html ] \
	   || [ -n "$$(find $(CANVAS_SOURCES) -newer $(FRONTEND)/dist/index.html -print -quit)" ]; then
	  echo "==> building the canvas into $(FRONTEND)/dist"
	  (cd $(FRONTEND) && npm run --silent build -- --logLevel warn)
	fi

# bubblewrap and libseccomp: the OS boundary of user code (docs/security.md). Installed
# with apt when missing and running as root; otherwise user code is refused until they
# are (or ORCHEO_SANDBOX=process is set), and the message says so.
bubblewrap:
	@if ! command -v bwrap >/dev/null 2>&1 || ! { /sbin/ldconfig -p 2>/dev/null | grep -q 'libseccomp\.so\.2'; }; then
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	    echo "==> installing bubblewrap and libseccomp2 with apt-get"
	    apt-get install -y -q bubblewrap libseccomp2 >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q bubblewrap libseccomp2 >/dev/null; }
	  else
	    echo "==> WARNING: bwrap or libseccomp missing: user code will be refused (apt-get install bubblewrap libseccomp2)"
	  fi
	fi

# chromium for the canvas e2e test: installed with apt when missing and running as root;
# otherwise that test is skipped and says why.
browser:
	@if [ ! -x "$(CHROMIUM)" ]; then
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
	    echo "==> installing chromium with apt-get"
	    apt-get install -y -q chromium >/dev/null 2>&1 || { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; }
	  else
	    echo "==> no chromium at $(CHROMIUM): the canvas browser test will be skipped"
	  fi
	fi

# Every tier runs even when an earlier one fails (a failure in one must not hide the
# others), then one summary line per tier; the target fails if any tier failed. The e2e
# tier (real servers on loopback) runs on its own, then the canvas unit tier, then the
# fast tiers in parallel.
test: $(STAMP) bubblewrap canvas browser synth lambda-assets-host
	@summary=()
	failed=0
	tier() {
	  local name="$$1"; shift
	  echo "==> tests ($$name)"
	  local code=0
	  "$$@" || code=$$?
	  if [ "$$code" = 0 ]; then summary+=("passed  $$name"); else summary+=("FAILED  $$name (exit $$code)"); failed=1; fi
	}
	tier "e2e: real servers and browsers on loopback" $(VPY) -m pytest -q -m e2e
	if command -v npm >/dev/null 2>&1; then
	  tier "canvas unit: vitest" bash -c 'cd $(FRONTEND) && npx vitest run --reporter=dot'
	else
	  summary+=("skipped canvas unit: vitest (npm not found)")
	fi
	tier "all tiers but e2e" $(VPY) -m pytest -q -n $(PYTEST_WORKERS) -m 'not e2e'
	echo "==> test summary"
	printf '    %s\n' "$${summary[@]}"
	exit $$failed

# The AWS stack (docs/deploy.md). Lambda assets: one folder per function, built without
# Docker (manylinux2014_aarch64 wheels for python3.12 from the hashed runtime lock).
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION ?= 20
lambda-assets: $(STAMP)
	@$(find_uv)
	UV="$$UV" $(VPY) -m infra.assets build

# The same assets for this machine's CPU (build/lambda-host/, never deployed), built when
# missing: tests/infra/test_assets.py imports each handler from its own folder alone.
lambda-assets-host: $(STAMP)
	@if [ ! -d build/lambda-host ]; then
	  $(find_uv)
	  echo "==> Lambda assets for this CPU (build/lambda-host), for the asset import tests"
	  UV="$$UV" $(VPY) -m infra.assets build --host || \
	    echo "==> WARNING: host assets could not be built: tests/infra/test_assets.py will skip"
	fi

# Synth needs no network and no Docker. It builds the assets first when they are missing
# (and only warns when they are older than the code: `make lambda-assets` before a
# deploy); where no build can happen (no registry on a fresh machine) it synthesises
# with placeholder assets and says so: that cdk.out is for review, not for deploying.
synth: $(STAMP)
	@assets=build/lambda
	if ! $(VPY) -m infra.assets check; then
	  $(MAKE) --no-print-directory lambda-assets || {
	    echo "==> WARNING: Lambda assets could not be built: synthesising with placeholders (not deployable)"
	    assets=build/lambda-placeholders
	    $(VPY) -m infra.assets placeholders $$assets
	  }
	fi
	echo "==> cdk synth into cdk.out (cdk-nag AwsSolutions checks included)"
	rm -rf cdk.out
	ORCHEO_LAMBDA_ASSETS=$$assets CDK_OUTDIR=cdk.out $(VPY) app.py

lint: $(STAMP)
	@echo "==> ruff format --check"
	$(VPY) -m ruff format --check .
	echo "==> ruff check"
	$(VPY) -m ruff check .
	if [ -d $(FRONTEND)/node_modules ]; then
	  echo "==> tsc --noEmit + eslint (frontend)"
	  (cd $(FRONTEND) && npx tsc --noEmit && npx eslint .)
	fi

typecheck: $(STAMP)
	@echo "==> mypy --strict $(MYPY_TARGETS)"
	$(VPY) -m mypy --strict $(MYPY_TARGETS)

check: lint typecheck test

fmt: $(STAMP)
	@$(VPY) -m ruff format .
	$(VPY) -m ruff check --fix .

bench: $(STAMP)
	@$(VPY) -m bench

# Lock files name no registry host (no uv.lock, no --emit-index-url); the grep guards it.
lock:
	@$(find_uv)
	echo "==> compiling requirements/runtime.txt"
	$$UV pip compile --quiet --generate-hashes --python-version 3.11 \
	  --custom-compile-command "make lock" $(LOCK_FLAGS) \
	  -o requirements/runtime.txt pyproject.toml
	echo "==> compiling requirements/dev.txt"
	$$UV pip compile --quiet --generate-hashes --python-version 3.11 --extra dev \
	  --custom-compile-command "make lock" $(LOCK_FLAGS) \
	  -o requirements/dev.txt pyproject.toml
	if grep -nE '://|--(extra-)?index-url|--find-links' requirements/runtime.txt requirements/dev.txt; then
	  echo "error: a lock file names a package source; lock files must stay host-free" >&2
	  exit 1
	fi

clean:
	@rm -rf $(VENV) .cache .pytest_cache .mypy_cache .ruff_cache .hypothesis cdk.out build dist \
	  $(FRONTEND)/dist tmp/artifacts
	find . -name __pycache__ -type d -not -path './frontend/node_modules/*' -prune -exec rm -rf {} +
	find . -name '*.egg-info' -type d -prune -exec rm -rf {} +
