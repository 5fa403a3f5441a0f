#!/usr/bin/env bash
# Builds llama.cpp's shared libraries (and, with --server, llama-server,
# llama-quantize and llama-bench for the benchmarks; with --rpc-server, ggml's rpc-server for
# splitting a model across hosts) from the source vendored in the pinned
# llama-cpp-python sdist, into a cache keyed by version and backend.
#
#   scripts/llama-build.sh [--server] [--rpc-server] [--print-prefix]
#
# Environment:
#   LLAMA_PY_VERSION  sdist version (default 0.3.36)
#   BACKEND           cpu | cuda (default: cuda when CUDA=1 or nvcc is on PATH)
#   NATIVE=1          optimise for this CPU (-march=native); off by default so a
#                     build can be copied to another x86-64-v3 machine
#   BLAS=1            CPU build with ggml's OpenBLAS backend. Off by default:
#                     measured on every weight type served here, ggml's own
#                     kernels prefill 1.8-4x faster and embed 3x faster than
#                     OpenBLAS on the 2-core build machines (docs/benchmarks.md)
#   PENDRA_CACHE      cache root (default ${XDG_CACHE_HOME:-~/.cache}/pendra)
#   JOBS              parallel build jobs (default: nproc)
set -euo pipefail

V="${LLAMA_PY_VERSION:-0.3.36}"
if [ -z "${BACKEND:-}" ]; then
  if [ "${CUDA:-0}" = 1 ] || command -v nvcc >/dev/null 2>&1; then BACKEND=cuda; else BACKEND=cpu; fi
fi
CACHE="${PENDRA_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/pendra}"
BLAS="${BLAS:-0}"
[ "$BACKEND" = cuda ] && BLAS=0
TAG="$V-$BACKEND$([ "$BLAS" = 1 ] && echo -blas || true)$([ "${NATIVE:-0}" = 1 ] && echo -native || true)"
PREFIX="$CACHE/llama.cpp-$TAG"
SRC="$CACHE/src/llama-cpp-python-$V/vendor/llama.cpp"
JOBS="${JOBS:-$(nproc)}"

want_server=0
want_rpc=0
for a in "$@"; do
  case "$a" in
    --server) want_server=1 ;;
    --rpc-server) want_rpc=1 ;;
    --print-prefix) echo "$PREFIX"; exit 0 ;;
    --print-src) echo "$SRC"; exit 0 ;;
    *) echo "llama-build.sh: unknown argument $a" >&2; exit 2 ;;
  esac
done

log() { echo "[llama.cpp $TAG] $*" >&2; }

fetch_source() {
  [ -f "$SRC/CMakeLists.txt" ] && return 0
  local dl="$CACHE/dl"
  mkdir -p "$dl" "$CACHE/src"
  if [ ! -f "$dl/llama_cpp_python-$V.tar.gz" ]; then
    log "downloading llama-cpp-python==$V sdist from PyPI"
    python3 -m pip download -q --no-deps --no-binary llama-cpp-python \
      "llama-cpp-python==$V" -d "$dl"
  fi
  log "unpacking"
  local tmp; tmp="$(mktemp -d "$CACHE/src/.unpack.XXXXXX")"
  tar xzf "$dl/llama_cpp_python-$V.tar.gz" -C "$tmp"
  rm -rf "$CACHE/src/llama-cpp-python-$V"
  mv "$tmp/llama_cpp_python-$V" "$CACHE/src/llama-cpp-python-$V"
  rmdir "$tmp"
}

cmake_flags() {
  local f=(-G Ninja -DCMAKE_BUILD_TYPE=Release -DBUILD_SHARED_LIBS=ON
    -DCMAKE_INSTALL_RPATH='$ORIGIN' -DLLAMA_OPENSSL=OFF -DLLAMA_BUILD_TESTS=OFF
    -DLLAMA_BUILD_EXAMPLES=OFF -DLLAMA_BUILD_APP=OFF -DLLAMA_BUILD_UI=OFF
    -DLLAMA_USE_PREBUILT_UI=OFF -DGGML_RPC=ON)
  if [ "${NATIVE:-0}" = 1 ]; then
    f+=(-DGGML_NATIVE=ON)
  else
    # x86-64-v3: every x86 server CPU of the last decade, and no -march=native.
    case "$(uname -m)" in
      x86_64) f+=(-DGGML_NATIVE=OFF -DGGML_AVX=ON -DGGML_AVX2=ON -DGGML_FMA=ON -DGGML_F16C=ON -DGGML_BMI2=ON) ;;
      *) f+=(-DGGML_NATIVE=OFF) ;;
    esac
  fi
  if [ "$BACKEND" = cuda ]; then
    f+=(-DGGML_CUDA=ON -DCMAKE_CUDA_ARCHITECTURES="${CUDA_ARCH:-native}")
  elif [ "$BLAS" = 1 ]; then
    f+=(-DGGML_BLAS=ON -DGGML_BLAS_VENDOR=OpenBLAS)
  else
    f+=(-DGGML_BLAS=OFF)
  fi
  printf '%s\n' "${f[@]}"
}

build_libs() {
  [ -f "$PREFIX/.complete" ] && return 0
  fetch_source
  log "building shared libraries (one-time, several minutes)"
  local b="$CACHE/build/lib-$TAG"; mkdir -p "$CACHE/build"
  mapfile -t flags < <(cmake_flags)
  cmake -S "$SRC" -B "$b" "${flags[@]}" -DLLAMA_BUILD_COMMON=OFF \
    -DLLAMA_BUILD_TOOLS=OFF -DLLAMA_BUILD_SERVER=OFF \
    -DCMAKE_INSTALL_PREFIX="$PREFIX" >"$CACHE/build/lib-$TAG.cmake.log"
  cmake --build "$b" -j "$JOBS"
  cmake --install "$b" >/dev/null
  touch "$PREFIX/.complete"
  log "installed into $PREFIX"
}

# Configures the tools build in its own dir $1 (the library flags, plus the
# common and tools libraries; $2 is LLAMA_BUILD_SERVER) and builds targets $3...
build_tools() {
  local b="$1" server="$2"; shift 2
  mkdir -p "$CACHE/build"
  mapfile -t flags < <(cmake_flags)
  cmake -S "$SRC" -B "$b" "${flags[@]}" -DLLAMA_BUILD_COMMON=ON \
    -DLLAMA_BUILD_TOOLS=ON -DLLAMA_BUILD_SERVER="$server" >"$b.cmake.log"
  cmake --build "$b" -j "$JOBS" --target "$@"
  mkdir -p "$PREFIX/bin"
}

build_server() {
  [ -x "$PREFIX/bin/llama-server" ] && [ -x "$PREFIX/bin/llama-quantize" ] && [ -x "$PREFIX/bin/llama-bench" ] && return 0
  fetch_source
  log "building llama-server, llama-quantize and llama-bench (one-time, several minutes)"
  local b="$CACHE/build/tools-$TAG"
  build_tools "$b" ON llama-server llama-quantize llama-bench
  # The tools link their own copies of the libraries from the build tree.
  cp -a "$b/bin/." "$PREFIX/bin/"
}

# rpc-server is ggml's own remote backend (tools/rpc): it serves this host's
# devices to a Pendra whose model lists it in rpc_servers. It is built from the
# same flags as the libraries so both ends speak the same RPC protocol version,
# in its own build dir so it never waits on (or invalidates) the tools build.
build_rpc_server() {
  [ -x "$PREFIX/bin/rpc-server" ] && return 0
  fetch_source
  log "building rpc-server (one-time, a few minutes)"
  local b="$CACHE/build/rpc-$TAG"
  build_tools "$b" OFF ggml-rpc-server
  # -n: never overwrite ggml libraries a running llama-server may have mapped
  # (same source and flags, so the ones already there are the same build).
  cp -an "$b/bin/." "$PREFIX/bin/"
  cp -a "$b/bin/ggml-rpc-server" "$PREFIX/bin/rpc-server.tmp"
  mv "$PREFIX/bin/rpc-server.tmp" "$PREFIX/bin/rpc-server"
}

build_libs
[ "$want_server" = 1 ] && build_server
[ "$want_rpc" = 1 ] && build_rpc_server
echo "$PREFIX"
