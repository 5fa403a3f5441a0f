# Pendra. The two commands a user needs are `make run` and `make test`;
# everything they depend on is installed and cached by the targets below.
SHELL := /bin/bash

LLAMA_PY_VERSION ?= 0.3.36
export LLAMA_PY_VERSION
HOST ?= 127.0.0.1
PORT ?= 8080
CONFIG ?= models.example

# GNU make 4.3 does not pass command-line variables to $(shell), so the
# backend switches are handed over explicitly (make build CUDA=1 / NATIVE=1 /
# BLAS=1; BLAS=1 is the OpenBLAS CPU build, slower than ggml's own kernels here).
CUDA ?= 0
NATIVE ?= 0
BLAS ?= 0
export CUDA NATIVE BLAS
LLAMA_PREFIX := $(shell CUDA=$(CUDA) NATIVE=$(NATIVE) BLAS=$(BLAS) scripts/llama-build.sh --print-prefix)
LLAMA_SRC := $(shell scripts/llama-build.sh --print-src)
VENV := .venv
PY := $(VENV)/bin/python

# SwiftPM ignores rpath in pkg-config Libs, so paths go on the command line.
# $ORIGIN/lib lets a binary copied next to its libraries (see bench-gpu) run too.
SWIFT_FLAGS := -Xcc -I$(LLAMA_PREFIX)/include \
	-Xlinker -L$(LLAMA_PREFIX)/lib \
	-Xlinker -rpath -Xlinker $(LLAMA_PREFIX)/lib \
	-Xlinker -rpath -Xlinker '$$ORIGIN/lib'
BIN := .build/release/pendra

.PHONY: all deps system-deps llama rpc-server venv-scale test-scale-out venv build models run test test-swift test-e2e test-webui webui-assets stress stress-short bench bench-rss bench-gpu bench-json bench-cpu-paths clean help

all: build

help:
	@echo "make run    install what is missing, build, generate models, serve on $(HOST):$(PORT)"
	@echo "make test   install what is missing, build, generate models, run every test suite"
	@echo "make test-webui  the web page in headless chromium (installs chromium); SCREENSHOT=docs/webui.png keeps its screenshot"
	@echo "make stress bounded abuse run (fuzz, idle connections, cut streams, slowloris), writes docs/reliability.md"
	@echo "make bench  Pendra vs llama-server on the same model (see README)"
	@echo "make bench-cpu-paths  llama.cpp's CPU builds (x86-64-v3, native, OpenBLAS) on every weight type"
	@echo "make test-scale-out  the RPC split and LiteLLM gateway recipes of docs/scale-out.md, on loopback"

deps: system-deps llama venv

system-deps:
	@scripts/deps.sh

llama: system-deps
	@scripts/llama-build.sh >/dev/null

# llama.cpp's rpc-server from the same pinned source and flags, cached
# beside the libraries ($(LLAMA_PREFIX)/bin/rpc-server; docs/scale-out.md).
rpc-server: system-deps
	@scripts/llama-build.sh --rpc-server >/dev/null

venv: $(VENV)/.stamp

$(VENV)/.stamp: scripts/requirements-test.txt | system-deps
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r scripts/requirements-test.txt
	@touch $@

build: llama
	swift build -c release $(SWIFT_FLAGS)

models: llama venv
	@$(PY) scripts/fetch_models.py --out models
	@$(PY) scripts/gen_models.py --llama-src $(LLAMA_SRC) --out models

run: deps build models
	$(BIN) serve --config $(CONFIG) --host $(HOST) --port $(PORT)

test: deps build models test-swift test-e2e

test-swift: llama
	PENDRA_LLAMA_SRC=$(LLAMA_SRC) PENDRA_MODELS_DIR=$(CURDIR)/models \
	  swift test $(SWIFT_FLAGS)

test-e2e: venv
	PENDRA_BIN=$(CURDIR)/$(BIN) PENDRA_MODELS_DIR=$(CURDIR)/models \
	  $(PY) -m pytest -q Tests/e2e

# The web page in a real browser (Tests/browser): headless chromium, the
# default model, about a minute. Its own target: CI machines may lack
# chromium, and `make run` never needs it (deps.sh --browser installs it).
test-webui: build models
	@scripts/deps.sh --browser
	PENDRA_BIN=$(CURDIR)/$(BIN) PENDRA_MODELS_DIR=$(CURDIR)/models PENDRA_WEBUI_SCREENSHOT=$(SCREENSHOT) \
	  $(PY) -m pytest -q Tests/browser

# Regenerates the Swift file that carries web/ in the binary (a unit test
# fails while they differ).
webui-assets:
	python3 scripts/embed_webui.py

# A bounded loopback-only abuse run (scripts/stress.py): at most 10 minutes
# on 2 cores; writes its figures to docs/reliability.md. CI runs the short mode.
stress: build models
	PENDRA_LLAMA_SRC=$(LLAMA_SRC) $(PY) scripts/stress.py --bin $(BIN) --models models --out docs/reliability.md

stress-short: build models
	PENDRA_LLAMA_SRC=$(LLAMA_SRC) $(PY) scripts/stress.py --bin $(BIN) --models models --short

clean:
	rm -rf .build

# Both scale-out recipes of docs/scale-out.md, run for real on loopback: a
# model split over two rpc-servers, and two workers behind LiteLLM's proxy
# with one killed mid-run. Not part of `make test`: litellm[proxy] is a
# large install, kept in its own venv.
VENV_SCALE := .venv-scale
venv-scale: $(VENV_SCALE)/.stamp

$(VENV_SCALE)/.stamp: scripts/requirements-scale-out.txt | system-deps
	python3 -m venv $(VENV_SCALE)
	$(VENV_SCALE)/bin/pip install -q --upgrade pip
	$(VENV_SCALE)/bin/pip install -q -r scripts/requirements-scale-out.txt
	@touch $@

test-scale-out: build models rpc-server venv-scale
	@$(PY) scripts/gen_models.py --llama-src $(LLAMA_SRC) --out models --only split-llama
	$(VENV_SCALE)/bin/python scripts/scale_out.py --bin $(BIN) --models models \
	  --rpc-server $(LLAMA_PREFIX)/bin/rpc-server --litellm $(VENV_SCALE)/bin/litellm $(SCALE_ARGS)

# Pendra vs llama-server on the same generated model (bench/run_bench.py).
# BENCH_ARGS passes options through, e.g. BENCH_ARGS="--rounds 5".
# Against two llama-servers from the same source: one with Pendra's flags,
# one built the way llama.cpp's users build it (its defaults: GGML_NATIVE).
LLAMA_DEFAULT_PREFIX := $(shell NATIVE=1 scripts/llama-build.sh --print-prefix)
bench: build models
	@scripts/llama-build.sh --server >/dev/null
	@NATIVE=1 scripts/llama-build.sh --server >/dev/null
	@$(PY) scripts/gen_models.py --llama-src $(LLAMA_SRC) --out models --only bench-llama
	$(PY) bench/run_bench.py --pendra $(BIN) --llama-server $(LLAMA_PREFIX)/bin/llama-server \
	  --llama-server-default $(LLAMA_DEFAULT_PREFIX)/bin/llama-server \
	  --model models/bench-llama.gguf --embed-model models/all-minilm-l6-v2.gguf \
	  --parity-model models/smollm2-135m-instruct.gguf --out bench/results $(BENCH_ARGS)

# The CPU builds of llama.cpp side by side on every weight type served
# (docs/benchmarks.md): ggml's kernels with Pendra's portable x86-64-v3 flags,
# llama.cpp's default build (GGML_NATIVE), and OpenBLAS. About 10 minutes
# on 2 quiet cores once the three builds are cached.
bench-cpu-paths: models
	@BLAS=1 scripts/deps.sh
	@P=$$(scripts/llama-build.sh --server); N=$$(NATIVE=1 scripts/llama-build.sh --server); \
	  B=$$(BLAS=1 scripts/llama-build.sh --server); \
	  $(PY) scripts/gen_models.py --llama-src $(LLAMA_SRC) --out models --only bench-llama && \
	  $(PY) bench/cpu_paths.py --build ggml-x86-64-v3=$$P --build ggml-native=$$N --build openblas=$$B \
	    --model models/bench-llama.gguf --embed-model models/all-minilm-l6-v2.gguf $(BENCH_ARGS)

# JSON parse time on a 1 MB Claude Code-shaped body, new parser vs the old
# JSONSerialization path (docs/benchmarks.md). BODY=file times a real body.
bench-json:
	swift build -c release --product pendra-json-bench
	.build/release/pendra-json-bench $(BODY)

# Resident memory against llama-server on the real sliding-window model.
bench-rss: build models
	@scripts/llama-build.sh --server >/dev/null
	$(PY) bench/rss_compare.py --pendra $(BIN) --llama-server $(LLAMA_PREFIX)/bin/llama-server \
	  --model models/gemma-3-270m.gguf --chat-template $(LLAMA_SRC)/models/templates/google-gemma-2-2b-it.jinja \
	  --ctx 32768 --parallel 4 $(BENCH_ARGS)

# GPU machine without Swift: DIST=dir holding a pendra built elsewhere
# (see docs/benchmarks.md).
bench-gpu:
	scripts/bench-gpu.sh $(or $(DIST),dist) $(BENCH_ARGS)
