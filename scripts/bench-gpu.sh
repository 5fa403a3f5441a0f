#!/usr/bin/env bash
# Pendra vs llama-server on a GPU machine that has nvcc, CMake, Ninja and
# Python but no Swift. See docs/benchmarks.md.
#
#   scripts/bench-gpu.sh DIST_DIR [run_bench.py options...]
#
# DIST_DIR holds a Pendra binary built elsewhere with
#   swift build -c release --static-swift-stdlib $(SWIFT_FLAGS)   (make build's flags)
# copied as DIST_DIR/pendra; its rpath includes $ORIGIN/lib, so this script
# puts the CUDA build of the same pinned llama.cpp into DIST_DIR/lib.
#
# Steps: build llama.cpp with CUDA (libraries + llama-server + llama-quantize,
# cached), copy the libraries next to the binary, write a random-weight
# ~8B llama model (F16 -> Q4_K_M, cached in models/), generate the MiniLM
# embedding model, then run bench/run_bench.py --preset gpu.
#
# Environment: MODEL (default models/bench-8b.gguf), CUDA_ARCH (default 90:
# the H200's sm_90 only, which keeps the CUDA build to a few minutes at -j16),
# ROUNDS (default 1: the whole run must fit one 10-minute call), PYTHON
# (default python3), plus llama-build.sh's. Each stage logs its seconds.
set -euo pipefail
cd "$(dirname "$0")/.."

DIST="${1:?usage: scripts/bench-gpu.sh DIST_DIR [run_bench.py options]}"
shift
DIST="$(cd "$DIST" && pwd)"
MODEL="${MODEL:-models/bench-8b.gguf}"
ROUNDS="${ROUNDS:-1}"
PYTHON="${PYTHON:-python3}"
export CUDA_ARCH="${CUDA_ARCH:-90}"
log() { echo "[bench-gpu ${SECONDS}s] $*" >&2; }

[ -x "$DIST/pendra" ] || { echo "bench-gpu: $DIST/pendra is missing or not executable" >&2; exit 2; }
command -v nvcc >/dev/null || { echo "bench-gpu: nvcc not on PATH (CUDA toolkit needed)" >&2; exit 2; }
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader >&2 || true

# 1. llama.cpp with CUDA: libraries, then llama-server and llama-quantize.
export CUDA=1 BACKEND=cuda
PREFIX="$(scripts/llama-build.sh --print-prefix)"
SRC="$(scripts/llama-build.sh --print-src)"
log "building llama.cpp (CUDA) into $PREFIX (cached after the first time)"
scripts/llama-build.sh --server >/dev/null
log "llama.cpp built"

# 2. The libraries next to the binary (symlinks kept: libllama.so -> .so.0 ...).
mkdir -p "$DIST/lib"
cp -a "$PREFIX"/lib/*.so* "$DIST/lib/"
# lib64 on some distributions
if compgen -G "$PREFIX/lib64/*.so*" >/dev/null; then cp -a "$PREFIX"/lib64/*.so* "$DIST/lib/"; fi
# The binary's RUNPATH may also name the build machine's llama.cpp prefix;
# if that path exists here (a CPU build) it would win over $ORIGIN/lib, so
# Pendra runs through a wrapper that puts dist/lib first (exec keeps the PID,
# so RSS is still read from the server process itself).
cat > "$DIST/pendra-gpu" <<WRAP
#!/bin/sh
LD_LIBRARY_PATH="$DIST/lib\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" exec "$DIST/pendra" "\$@"
WRAP
chmod +x "$DIST/pendra-gpu"
LD_LIBRARY_PATH="$DIST/lib" ldd "$DIST/pendra" | grep -E 'llama|ggml|not found' >&2 || true
if LD_LIBRARY_PATH="$DIST/lib" ldd "$DIST/pendra" | grep -q 'not found'; then
  echo "bench-gpu: $DIST/pendra has unresolved libraries (see above)" >&2; exit 2
fi
"$DIST/pendra-gpu" --version >&2

# 3. Python with numpy + pyyaml for gguf-py (a venv of its own).
VENV="${PENDRA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pendra}/venv-bench"
if [ ! -x "$VENV/bin/python" ]; then
  "$PYTHON" -m venv "$VENV"
  "$VENV/bin/pip" install -q --upgrade pip
  "$VENV/bin/pip" install -q numpy pyyaml
fi
PY="$VENV/bin/python"

# 4. The ~8B model (random weights, Llama-3-8B shapes) and the embedding model.
mkdir -p "$(dirname "$MODEL")"
"$PY" bench/gen_8b.py --llama-src "$SRC" --quantize "$PREFIX/bin/llama-quantize" --out "$MODEL"
EMBED=models/all-minilm-l6-v2.gguf
if [ ! -f "$EMBED" ]; then
  "$PY" scripts/gen_models.py --llama-src "$SRC" --out models --only all-minilm-l6-v2 \
    || log "warning: could not generate $EMBED; embeddings will be skipped"
fi

log "models ready"

# 5. The comparison: servers one at a time, all layers on the GPU. spec-edit
# runs on the 8B model too (no real model travels to the GPU machine: the
# carried files are limited to 64 MiB), so its acceptance there is that of
# random weights, not of a model copying a file.
log "running bench/run_bench.py --preset gpu (rounds $ROUNDS)"
exec "$PY" bench/run_bench.py --preset gpu --rounds "$ROUNDS" --gpu-layers -1 \
  --pendra "$DIST/pendra-gpu" --llama-server "$PREFIX/bin/llama-server" \
  --model "$MODEL" --embed-model "$EMBED" --out bench/results "$@"
