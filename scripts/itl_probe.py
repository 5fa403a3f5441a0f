#!/usr/bin/env python3
"""Stream inter-token latency with and without big requests arriving.

Starts `pendra serve` on loopback, measures the p50/p99 gap between SSE
events of one greedy stream alone (baseline), then again while two
Claude Code-shaped 500 KB /v1/messages requests arrive (their parsing,
template rendering and tokenizing is the blocking work that must stay off
the cooperative pool). Prints the figures; asserts nothing (timing on a
shared machine is not a unit test).

  scripts/itl_probe.py --bin .build/release/pendra --models models [--rounds 3]
"""
from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx

CHAT = "tiny-llama:latest"


def start(binary: str, models: Path, tmp: Path) -> tuple[subprocess.Popen, str]:
    config = {"server": {"api_keys": [], "default_model": CHAT, "max_body_mb": 8},
              "models": [{"id": CHAT, "path": str(models / "tiny-llama.gguf"), "capability": "chat",
                          "context_size": 4096, "parallel": 4}]}
    path = tmp / "config.json"
    path.write_text(json.dumps(config))
    proc = subprocess.Popen([binary, "serve", "--config", str(path), "--port", "0"], stdout=subprocess.PIPE,
                            stderr=open(tmp / "stderr.log", "wb"))
    line = proc.stdout.readline().decode()
    if not line.startswith("pendra listening on "):
        sys.exit(f"server did not start: {line!r}")
    return proc, line.split("on ", 1)[1].strip()


def claude_code_body(size: int = 500_000) -> dict:
    """System prompt, 20 tools with schemas, and a long tool-using history, about `size` bytes."""
    tools = [{"name": f"tool_{i}", "description": "Runs a thing. " * 40,
              "input_schema": {"type": "object", "properties": {f"arg{j}": {"type": "string", "description": "x" * 60}
                                                                  for j in range(8)}, "required": ["arg0"]}}
             for i in range(20)]
    messages = []
    chunk = ("def function_%d(x):\n    return x * %d  # some code the agent read\n" * 20)
    i = 0
    while len(json.dumps(messages)) < size - 60_000:
        messages.append({"role": "user", "content": [{"type": "text", "text": "Please look at file %d" % i}]})
        messages.append({"role": "assistant", "content": [{"type": "tool_use", "id": f"toolu_{i}", "name": "tool_1",
                                                           "input": {"arg0": f"src/file_{i}.py"}}]})
        messages.append({"role": "user", "content": [{"type": "tool_result", "tool_use_id": f"toolu_{i}",
                                                      "content": chunk % tuple(range(40))}]})
        i += 1
    messages.append({"role": "user", "content": "Now fix the bug."})
    return {"model": "claude-sonnet-4-5", "max_tokens": 1, "stream": True,
            "system": [{"type": "text", "text": "You are Claude Code. " * 2000}], "tools": tools, "messages": messages}


def stream_gaps(url: str, tokens: int) -> list[float]:
    body = {"model": CHAT, "messages": [{"role": "user", "content": "count"}], "max_tokens": tokens,
            "temperature": 0, "ignore_eos": True, "stream": True}
    gaps, last = [], None
    with httpx.Client(timeout=300) as h, h.stream("POST", url + "/v1/chat/completions", json=body) as r:
        for line in r.iter_lines():
            if not line.startswith("data:") or line.endswith("[DONE]"):
                continue
            now = time.perf_counter()
            if last is not None:
                gaps.append(now - last)
            last = now
    return gaps


def pct(values: list[float], p: float) -> float:
    s = sorted(values)
    return s[min(len(s) - 1, int(round(p / 100 * (len(s) - 1))))] * 1000


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=".build/release/pendra")
    ap.add_argument("--models", default="models")
    ap.add_argument("--tokens", type=int, default=96)
    ap.add_argument("--rounds", type=int, default=3)
    a = ap.parse_args()
    a.bin = str(Path(a.bin).resolve())
    big = json.dumps(claude_code_body()).encode()
    with tempfile.TemporaryDirectory() as d:
        proc, url = start(a.bin, Path(a.models).resolve(), Path(d))
        try:
            stream_gaps(url, 8)  # warm-up
            base, loaded, big_status = [], [], []
            for _ in range(a.rounds):
                base += stream_gaps(url, a.tokens)

                def fire():
                    time.sleep(0.3)  # arrive while the stream runs
                    with httpx.Client(timeout=300) as h:
                        r = h.post(url + "/v1/messages", content=big, headers={"Content-Type": "application/json"})
                        big_status.append(r.status_code)

                threads = [threading.Thread(target=fire) for _ in range(2)]
                for t in threads:
                    t.start()
                loaded += stream_gaps(url, a.tokens)
                for t in threads:
                    t.join()
        finally:
            proc.terminate()
            proc.wait(20)
    print(f"big requests: {len(big)} bytes each, answered {sorted(set(big_status))}")
    print(f"baseline ITL  p50 {pct(base, 50):.1f} ms  p99 {pct(base, 99):.1f} ms  ({len(base)} gaps)")
    print(f"with 2 x 500 KB arriving  p50 {pct(loaded, 50):.1f} ms  p99 {pct(loaded, 99):.1f} ms  ({len(loaded)} gaps)")
    print(f"p99 ratio {pct(loaded, 99) / max(pct(base, 99), 1e-9):.2f}x (issue 14 target: at most 2x)")


if __name__ == "__main__":
    main()
