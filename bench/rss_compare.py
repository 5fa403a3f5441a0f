#!/usr/bin/env python3
"""Resident memory of Pendra and llama-server serving the same GGUF with the
same context and parallel sequences, after one short greedy request each.

    bench/rss_compare.py --pendra .build/release/pendra \
        --llama-server ~/.cache/pendra/llama.cpp-0.3.36-cpu/bin/llama-server \
        --model models/gemma-3-270m.gguf --ctx 32768 --parallel 4 [--rounds 3]

Prints VmRSS (MiB) per round and the median ratio Pendra / llama-server.
`make bench-rss` runs it on Gemma 3 270M (sliding-window attention)."""
from __future__ import annotations

import argparse
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_mib(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def post(url: str, body: dict) -> dict:
    req = urllib.request.Request(url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=600) as r:
        return json.loads(r.read())


def wait_ready(url: str, proc: subprocess.Popen, timeout: float = 600) -> None:
    end = time.time() + timeout
    while time.time() < end:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(url + "/health", timeout=5) as r:
                if r.status == 200:
                    return
        except Exception:  # noqa: BLE001 - not up yet
            pass
        time.sleep(0.5)
    raise RuntimeError("server did not become ready")


def measure(cmd: list[str], port: int, model_id: str) -> float:
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        wait_ready(url, proc)
        post(url + "/v1/chat/completions", {"model": model_id, "max_tokens": 8, "temperature": 0,
                                            "messages": [{"role": "user", "content": "Hello"}]})
        time.sleep(1)
        return rss_mib(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pendra", type=Path, required=True)
    ap.add_argument("--llama-server", type=Path, required=True)
    ap.add_argument("--model", type=Path, required=True)
    ap.add_argument("--chat-template", type=Path, default=None, help="for GGUFs without one (Gemma 3 270M base)")
    ap.add_argument("--ctx", type=int, default=32768)
    ap.add_argument("--parallel", type=int, default=4)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    model_id = "rss:latest"
    ratios = []
    with tempfile.TemporaryDirectory() as td:
        cfg = Path(td) / "config.json"
        entry = {"id": model_id, "path": str(a.model.resolve()), "capability": "chat", "context_size": a.ctx,
                 "parallel": a.parallel, "batch_size": 512}
        if a.chat_template:
            entry["chat_template"] = str(a.chat_template.resolve())
        cfg.write_text(json.dumps({"server": {"api_keys": []}, "models": [entry]}))
        for r in range(a.rounds):
            pp = free_port()
            p = measure([str(a.pendra), "serve", "--config", str(cfg), "--port", str(pp)], pp, model_id)
            lp = free_port()
            lcmd = [str(a.llama_server), "-m", str(a.model), "-a", model_id, "-c", str(a.ctx), "-np", str(a.parallel),
                    "--host", "127.0.0.1", "--port", str(lp), "--jinja"]
            if a.chat_template:
                lcmd += ["--chat-template-file", str(a.chat_template)]
            lsv = measure(lcmd, lp, model_id)
            ratios.append(p / lsv)
            print(f"round {r + 1}: pendra {p:.1f} MiB, llama-server {lsv:.1f} MiB, ratio {p / lsv:.3f}", flush=True)
    print(f"median ratio pendra / llama-server: {statistics.median(ratios):.3f} "
          f"({a.model.name}, context {a.ctx}, parallel {a.parallel})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
