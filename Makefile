# Everything runs from .venv, created on first use.
PY := .venv/bin/python
VENV_STAMP := .venv/.installed

.PHONY: run test check lint types eval bench clean-venv

$(VENV_STAMP): pyproject.toml
	test -x $(PY) || python3.11 -m venv .venv || python3 -m venv .venv
	$(PY) -m pip install --quiet --upgrade pip
	# torch first, pinned to the CPU build on this machine's disk (a plain `torch` pulls CUDA)
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(VENV_STAMP)

run: $(VENV_STAMP)
	.venv/bin/rla serve --ingest-sample-if-empty

test: $(VENV_STAMP)
	$(PY) -m pytest

lint: $(VENV_STAMP)
	.venv/bin/ruff check assistant ingest vectorstore ui tests

types: $(VENV_STAMP)
	.venv/bin/mypy

check: lint types test

clean-venv:
	rm -rf .venv
