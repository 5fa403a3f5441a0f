#!/usr/bin/env python3
"""Pendra vs llama-server, side by side, on the same GGUF with equivalent settings.

    bench/run_bench.py --pendra .build/release/pendra \
        --llama-server ~/.cache/pendra/llama.cpp-0.3.36-cpu/bin/llama-server \
        --model models/bench-llama.gguf --embed-model models/all-minilm-l6-v2.gguf

Runs the servers one at a time (never both: they would fight for the cores).
Every round starts one server, loads the model, records its idle RSS, runs every
chat scenario once, stops it, then does the same for the other server (the
order alternates between rounds so slow drift of a shared machine does not
favour either), then the same for the embedding model. The table reports the
median over rounds and the Pendra / llama-server ratio.

Equivalent settings: one unified KV cache of --ctx cells shared by --parallel
sequences (Pendra always uses a unified cache; llama-server gets `-kvu`, so its
-c is the same total pool and every slot may use all of it), the same logical
batch (-b), micro-batch 512 (-ub, Pendra's fixed value), the same threads (-t,
also used for batch threads by both), flash attention left to each server's
default (llama.cpp's auto; Pendra turns it off for a one-sequence model on the
CPU, so llama-server's parity run gets -fa off there to compute the same),
greedy sampling, `ignore_eos` with a fixed max_tokens.

Writes bench/results/bench-<UTC time>.json and .md, and latest.json/latest.md.
Only the Python standard library is needed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))
from loadgen import (Client, StreamResult, _ms, make_text, percentile,  # noqa: E402
                     run_concurrent, short_messages, summarize)
import spec_edit  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


# --------------------------------------------------------------------------
# servers
# --------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def rss_kb(pid: int) -> dict[str, int]:
    out: dict[str, int] = {}
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "RssAnon", "RssFile"):
                out[k] = int(v.split()[0])
    except OSError:
        pass
    return out


class Server:
    """A server process started and stopped by the benchmark."""

    def __init__(self, name: str, cmd: list[str], log: Path, env: dict[str, str] | None = None):
        self.name = name
        self.cmd = cmd
        self.log = log
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None
        self.base_url = ""
        self.load_s = 0.0

    def start(self, ready: Callable[["Server"], None], timeout: float = 300.0) -> None:
        t0 = time.perf_counter()
        self.logf = open(self.log, "ab")
        self.logf.write(f"\n$ {' '.join(self.cmd)}\n".encode())
        self.logf.flush()
        self.proc = subprocess.Popen(self.cmd, stdout=subprocess.PIPE, stderr=self.logf,
                                     env=self.env, start_new_session=True)
        self._deadline = t0 + timeout
        ready(self)
        self.load_s = time.perf_counter() - t0

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        self.logf.close()

    def check_alive(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            raise RuntimeError(f"{self.name} exited (see {self.log})")


def pump_stdout(srv: Server, on_line: Callable[[str], None] | None = None) -> None:
    """Copies the server's stdout into its log on a thread (so a full pipe
    never blocks it), calling on_line for each line."""
    assert srv.proc and srv.proc.stdout

    def run() -> None:
        assert srv.proc and srv.proc.stdout
        for raw in srv.proc.stdout:
            srv.logf.write(raw)
            srv.logf.flush()
            if on_line:
                on_line(raw.decode(errors="replace"))
    threading.Thread(target=run, daemon=True).start()


def wait_pendra(srv: Server) -> None:
    found = threading.Event()
    url: list[str] = []

    def on_line(line: str) -> None:
        if "pendra listening on " in line and not found.is_set():
            url.append(line.split("pendra listening on ", 1)[1].strip())
            found.set()
    pump_stdout(srv, on_line)
    while not found.wait(0.05):
        srv.check_alive()
        if time.perf_counter() > srv._deadline:
            raise RuntimeError(f"{srv.name} not ready in time (see {srv.log})")
    srv.base_url = url[0]


def wait_llama(port: int) -> Callable[[Server], None]:
    def ready(srv: Server) -> None:
        pump_stdout(srv)
        srv.base_url = f"http://127.0.0.1:{port}"
        while True:
            srv.check_alive()
            if time.perf_counter() > srv._deadline:
                raise RuntimeError(f"{srv.name} not ready in time (see {srv.log})")
            try:
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                c.request("GET", "/health")
                r = c.getresponse()
                r.read()
                c.close()
                if r.status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.05)
    return ready


# --------------------------------------------------------------------------
# scenarios
# --------------------------------------------------------------------------

def sc_concurrent(base: str, model: str, conc: int, reqs: int, max_tokens: int, words: int,
                  tag: str) -> dict[str, Any]:
    s, results = run_concurrent(base, model, conc, reqs, max_tokens, short_messages(words, tag))
    # Decode rate of each stream once it started: what "single-stream decode" means.
    rates = [(r.completion_tokens - 1) / (r.token_times[-1] - r.t_first)
             for r in results if r.ok and r.t_first and len(r.token_times) > 1
             and r.token_times[-1] > r.t_first]
    s["stream_decode_tok_s_p50"] = round(statistics.median(rates), 2) if rates else None
    return s


def sc_mixed(base: str, model: str, running: int, running_tokens: int, running_words: int,
             n_long: int, long_words: int, tag: str) -> dict[str, Any]:
    """`running` streams decode; once all have started, `n_long` cold long
    prompts arrive together. Reports the running streams' inter-token latency
    while the long prompts prefill (from their arrival to their first token)
    against before, and the decode rate the running streams kept meanwhile."""
    run_res: list[StreamResult | None] = [None] * running
    firsts: list[float | None] = [None] * running

    def run_watched(i: int) -> None:
        c = Client(base)
        run_res[i] = c.stream_chat(model, short_messages(running_words, f"{tag}-run")(i), running_tokens,
                                   on_first=lambda t: firsts.__setitem__(i, t))
        c.close()

    threads = [threading.Thread(target=run_watched, args=(i,), daemon=True) for i in range(running)]
    t0 = time.perf_counter()
    for t in threads:
        t.start()
    while any(f is None for f in firsts) and any(t.is_alive() for t in threads):
        time.sleep(0.01)
    time.sleep(0.3)

    long_res: list[StreamResult | None] = [None] * n_long

    def run_long(j: int) -> None:
        c = Client(base)
        msgs = [{"role": "user", "content": make_text(long_words, f"{tag}-long-{j}-{time.time_ns()}")}]
        long_res[j] = c.stream_chat(model, msgs, 4)
        c.close()

    lthreads = [threading.Thread(target=run_long, args=(j,), daemon=True) for j in range(n_long)]
    t_arrive = time.perf_counter()
    for t in lthreads:
        t.start()
    for t in lthreads:
        t.join()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0

    longs = [r for r in long_res if r is not None]
    runs = [r for r in run_res if r is not None]
    ok_long = [r for r in longs if r.ok and r.t_first]
    t_prefilled = max((r.t_first for r in ok_long), default=t_arrive)  # type: ignore[type-var]
    during: list[float] = []
    before: list[float] = []
    tokens_in_window = 0
    for r in runs:
        if not r.ok:
            continue
        for a, b in zip(r.token_times, r.token_times[1:]):
            if b <= t_arrive:
                before.append(b - a)
            elif a < t_prefilled:
                during.append(b - a)
        tokens_in_window += sum(1 for t in r.token_times if t_arrive < t <= t_prefilled)
    last_running_token = max((r.token_times[-1] for r in runs if r.token_times), default=t_arrive)
    window = t_prefilled - t_arrive
    covered = min(last_running_token, t_prefilled) - t_arrive
    long_ttfts = [r.ttft for r in ok_long if r.ttft is not None]
    errors = [r.error for r in runs + longs if not r.ok]
    return {
        "requests": len(runs) + len(longs), "ok": len(runs) + len(longs) - len(errors),
        "errors": len(errors), "error_samples": sorted(set(e for e in errors if e))[:3],
        "wall_s": round(wall, 3),
        "long_prompt_tokens": [r.prompt_tokens for r in ok_long],
        "long_ttft_p50_ms": _ms(percentile(long_ttfts, 50)),
        # Each long prompt's TTFT, by request index (their client threads
        # start in that order; the server may receive them in either): whether
        # a server finishes them one after the other or together, which one
        # p50 cannot show.
        "long_ttfts_ms": [_ms(t) for t in long_ttfts],
        "prefill_window_ms": _ms(window),
        "window_covered_by_running_streams": round(covered / window, 3) if window > 0 else None,
        "itl_before_p50_ms": _ms(percentile(before, 50)),
        "itl_during_p50_ms": _ms(percentile(during, 50)),
        "itl_during_p95_ms": _ms(percentile(during, 95)),
        "itl_during_max_ms": _ms(max(during) if during else None),
        # The stall a running stream feels: its ITL p95 while the long prompts
        # prefill over its ITL before they came (1.0 would be no stall at all).
        "itl_during_p95_over_before": (round(percentile(during, 95) / percentile(before, 50), 2)
                                       if during and before and percentile(before, 50) else None),
        "running_tok_s_during_prefill": (round(tokens_in_window / covered, 2) if covered > 0 else None),
        "running_output_tok_s": round(sum(r.completion_tokens for r in runs if r.ok) / wall, 2),
    }


def sc_prefix(base: str, model: str, system_words: int, user_words: int, cold_n: int, reused_n: int,
              tag: str) -> dict[str, Any]:
    """A ~2,000-token system prompt shared by different user turns: TTFT of a
    reused prefix against a cold prompt of the same length. Cold samples: the
    first request with the shared system prompt (the server was started for
    this round, so nothing of it is cached) and `cold_n` prompts with a fresh
    system text of the same word count; one of those runs between the reused
    requests, so the shared prefix has to survive other traffic."""
    c = Client(base)
    shared = make_text(system_words, f"{tag}-shared")

    def msgs(system: str, u: str) -> list[dict[str, str]]:
        return [{"role": "system", "content": system}, {"role": "user", "content": u}]

    prime = c.stream_chat(model, msgs(shared, make_text(user_words, f"{tag}-u-prime")), 4)
    cold: list[StreamResult] = [prime]
    warm: list[StreamResult] = []
    for i in range(max(reused_n, cold_n)):
        if i < reused_n:
            warm.append(c.stream_chat(model, msgs(shared, make_text(user_words, f"{tag}-uw-{i}")), 4))
        if i < cold_n:
            cold_sys = make_text(system_words, f"{tag}-cold-{i}-{time.time_ns()}")
            cold.append(c.stream_chat(model, msgs(cold_sys, make_text(user_words, f"{tag}-uc-{i}")), 4))
    c.close()
    allr = cold + warm
    errors = [r.error for r in allr if not r.ok]
    ct = [r.ttft for r in cold if r.ok and r.ttft]
    wt = [r.ttft for r in warm if r.ok and r.ttft]
    cold_p50 = percentile(ct, 50)  # type: ignore[arg-type]
    warm_p50 = percentile(wt, 50)  # type: ignore[arg-type]
    return {
        "requests": len(allr), "ok": len(allr) - len(errors), "errors": len(errors),
        "error_samples": sorted(set(e for e in errors if e))[:3],
        "prompt_tokens_cold": [r.prompt_tokens for r in cold],
        "prompt_tokens_reused": [r.prompt_tokens for r in warm],
        "cached_tokens_reused": [r.cached_tokens for r in warm],
        "cached_tokens_reused_p50": median_of([r.cached_tokens for r in warm]),
        "cached_tokens_cold": [r.cached_tokens for r in cold],
        "ttft_cold_ms": [_ms(r.ttft) for r in cold],
        "ttft_reused_ms": [_ms(r.ttft) for r in warm],
        "ttft_cold_p50_ms": _ms(cold_p50),
        "ttft_reused_p50_ms": _ms(warm_p50),
        "reused_over_cold": (round(warm_p50 / cold_p50, 4) if cold_p50 and warm_p50 else None),
    }


def sc_sessions(base: str, model: str, sessions: int, prefix_words: int, user_words: int,
                tag: str) -> dict[str, Any]:
    """`sessions` interleaved conversations, each with its own long system
    prompt (~6,000 tokens on the cpu preset), on a context of 8,192 cells that
    holds one of them at a time. Round one is every session's cold first
    turn; in round two each comes back with a new question after all the
    others have pushed it out of the KV cells, so its prefix can come only
    from a host-RAM cache (Pendra's prefix_cache_ram_mb, llama-server's
    --cache-ram). Returning TTFT over cold TTFT is the figure."""
    c = Client(base)
    stamp = time.time_ns()
    systems = [make_text(prefix_words, f"{tag}-sess-{i}-{stamp}") for i in range(sessions)]
    rounds: list[list[StreamResult]] = [[], []]
    for rnd, out in enumerate(rounds):
        for i, system in enumerate(systems):
            msgs = [{"role": "system", "content": system},
                    {"role": "user", "content": make_text(user_words, f"{tag}-sess-q{rnd}-{i}")}]
            out.append(c.stream_chat(model, msgs, 4))
    c.close()
    cold, back = rounds
    errors = [r.error for r in cold + back if not r.ok]
    ct = [r.ttft for r in cold if r.ok and r.ttft]
    bt = [r.ttft for r in back if r.ok and r.ttft]
    cold_p50, back_p50 = percentile(ct, 50), percentile(bt, 50)
    return {
        "requests": len(cold) + len(back), "ok": len(cold) + len(back) - len(errors), "errors": len(errors),
        "error_samples": sorted(set(e for e in errors if e))[:3],
        "prompt_tokens_cold": [r.prompt_tokens for r in cold],
        "cached_tokens_returning": [r.cached_tokens for r in back],
        "ttft_cold_ms": [_ms(r.ttft) for r in cold],
        "ttft_returning_ms": [_ms(r.ttft) for r in back],
        "ttft_cold_p50_ms": _ms(cold_p50),
        "ttft_returning_p50_ms": _ms(back_p50),
        "returning_over_cold": (round(back_p50 / cold_p50, 4) if cold_p50 and back_p50 else None),
    }


def sc_embed(base: str, model: str, batch: int, requests: int, words: int, tag: str) -> dict[str, Any]:
    c = Client(base)
    ok_inputs = 0
    errors: list[str] = []
    lat: list[float] = []
    # one untimed request so a lazy first-use cost is not counted
    c.embed(model, [make_text(words, f"{tag}-warm")])
    t0 = time.perf_counter()
    for i in range(requests):
        inputs = [make_text(words, f"{tag}-{batch}-{i}-{k}") for k in range(batch)]
        t = time.perf_counter()
        ok, err, n = c.embed(model, inputs)
        lat.append(time.perf_counter() - t)
        if ok:
            ok_inputs += n
        else:
            errors.append(err or "error")
    wall = time.perf_counter() - t0
    c.close()
    return {
        "requests": requests, "ok": requests - len(errors), "errors": len(errors),
        "error_samples": sorted(set(errors))[:3], "wall_s": round(wall, 3),
        "inputs_s": round(ok_inputs / wall, 2), "latency_p50_ms": _ms(percentile(lat, 50)),
    }


# --------------------------------------------------------------------------
# orchestration
# --------------------------------------------------------------------------

PRESETS: dict[str, dict[str, Any]] = {
    # Sized for 2 CPU cores and bench-llama (~300 MB Q8_0): the whole run,
    # 3 rounds x 2 servers, takes about 10-13 minutes.
    "cpu": dict(ctx=8192, parallel=64, batch=512, single_tokens=64, single_reqs=2,
                c4_tokens=64, c16_tokens=48, c64_tokens=24, prompt_words=16,
                mixed_running=4, mixed_tokens=160, mixed_long=2, mixed_long_words=700,
                prefix_system_words=1800, prefix_user_words=16, prefix_cold=1, prefix_reused=3,
                sessions_n=8, sessions_prefix_words=5400, sessions_user_words=16, sessions_ctx=8192,
                cache_ram_mib=4096,
                embed_words=24, embed_b1_reqs=200, embed_b64_reqs=3, spec_edit_tokens=256),
    # A GPU with an 8B model: longer streams, more requests.
    "gpu": dict(ctx=32768, parallel=64, batch=2048, single_tokens=256, single_reqs=3,
                c4_tokens=256, c16_tokens=256, c64_tokens=256, prompt_words=64,
                mixed_running=16, mixed_tokens=512, mixed_long=4, mixed_long_words=3600,
                prefix_system_words=1800, prefix_user_words=16, prefix_cold=3, prefix_reused=6,
                sessions_n=8, sessions_prefix_words=5400, sessions_user_words=16, sessions_ctx=8192,
                cache_ram_mib=16384,
                embed_words=24, embed_b1_reqs=128, embed_b64_reqs=16, spec_edit_tokens=1024),
}

# Scenarios a preset leaves out unless --scenarios names them. `sessions`
# prefills 16 prompts of ~6,000 tokens per server and round: about 3 minutes
# per server on 2 cores with bench-llama, too long for every round of the
# default CPU run (select it with --scenarios sessions).
OPT_IN: dict[str, set[str]] = {"cpu": {"sessions"}, "gpu": set()}


PARITY_PROMPTS = [
    [{"role": "user", "content": "Hello there, how are you?"}],
    [{"role": "system", "content": "You are terse."}, {"role": "user", "content": "Name three colours."}],
    [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": "Hello!"},
     {"role": "user", "content": "Tell me a story about a dragon."}],
    [{"role": "user", "content": "What is the capital of France? Answer in one word."}],
]


def fresh_parity(factories: dict[str, Any], servers: list[str], model_id: str) -> dict[str, list[str | None]]:
    """Greedy outputs compared like with like: each prompt on a fresh server
    of each kind (one sequence, Pendra's prefix cache off, llama-server's
    cache_prompt off), so both prefill the whole prompt in one batch of the
    same size and no cached prefix changes how a token is computed (llama.cpp's
    CPU kernels round differently for different batch shapes)."""
    out: dict[str, list[str | None]] = {}
    for name in servers:
        texts: list[str | None] = []
        for messages in PARITY_PROMPTS:
            srv, ready = factories[name]("parity")
            try:
                srv.start(ready)
                c = Client(srv.base_url)
                texts.append(c.chat_text(model_id, messages, 32))
                c.close()
            except Exception as e:  # noqa: BLE001
                print(f"  {name} parity run failed: {e}", file=sys.stderr, flush=True)
                texts.append(None)
            finally:
                srv.stop()
        out[name] = texts
    return out


def parity(raw: dict[str, Any]) -> tuple[int, int, list[int]]:
    """Greedy outputs, Pendra vs llama-server, round by round: how many are
    identical, how many were compared, and for the others how many leading
    characters they share (random weights have near-ties, and a prompt
    computed partly from a cached prefix rounds differently, so a late
    divergence is expected; an early one means different prompts or math)."""
    same = total = 0
    shared: list[int] = []
    fresh = [[r for r in raw["rounds"].get(s, []) if r.get("parity_only")] for s in ("pendra", "llama-server")]
    for a, b in zip(*fresh):
        for x, y in zip(a.get("parity") or [], b.get("parity") or []):
            total += 1
            if x is not None and x == y:
                same += 1
            else:
                x, y = x or "", y or ""
                shared.append(next((i for i in range(min(len(x), len(y))) if x[i] != y[i]), min(len(x), len(y))))
    return same, total, shared


def chat_scenarios(base: str, model: str, p: dict[str, Any], tag: str,
                   only: set[str] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}

    def want(n: str) -> bool:
        return only is None or n in only
    if want("single"):
        out["single"] = sc_concurrent(base, model, 1, p["single_reqs"], p["single_tokens"], p["prompt_words"], f"{tag}-s1")
    if want("c4"):
        out["c4"] = sc_concurrent(base, model, 4, 4, p["c4_tokens"], p["prompt_words"], f"{tag}-c4")
    if want("c16"):
        out["c16"] = sc_concurrent(base, model, 16, 16, p["c16_tokens"], p["prompt_words"], f"{tag}-c16")
    if want("c64"):
        out["c64"] = sc_concurrent(base, model, 64, 64, p["c64_tokens"], p["prompt_words"], f"{tag}-c64")
    if want("mixed"):
        out["mixed"] = sc_mixed(base, model, p["mixed_running"], p["mixed_tokens"], p["prompt_words"],
                                p["mixed_long"], p["mixed_long_words"], f"{tag}-mx")
    if want("prefix"):
        out["prefix"] = sc_prefix(base, model, p["prefix_system_words"], p["prefix_user_words"],
                                  p["prefix_cold"], p["prefix_reused"], f"{tag}-px")
    if wants_sessions(p, only) and p["ctx"] == p["sessions_ctx"]:
        out["sessions"] = sc_sessions(base, model, p["sessions_n"], p["sessions_prefix_words"],
                                      p["sessions_user_words"], f"{tag}-ss")
    return out


def wants_sessions(p: dict[str, Any], only: set[str] | None) -> bool:
    """Named in --scenarios, or the preset runs it by default. It needs
    `sessions_ctx` cells (8,192: no two sessions fit); with a preset of
    another context it gets a server of its own after the chat scenarios."""
    return ("sessions" in only) if only is not None else "sessions" not in p.get("opt_in", [])


def pendra_config(path: Path, model_id: str, model: Path, capability: str, ctx: int, parallel: int,
                  batch: int, threads: int, gpu_layers: int, prefix_cache: bool = True,
                  cache_ram_mib: int | None = None, extra: dict[str, Any] | None = None) -> None:
    cfg = {
        "server": {"worker_name": "pendra-bench", "default_model": model_id,
                   "requests_per_minute": 0, "tokens_per_minute": 0, "memory_budget_mb": 0,
                   "max_waiting": 1024, "chat_timeout_seconds": 600,
                   "embedding_timeout_seconds": 600, "api_keys": []},
        "models": [{"id": model_id, "name": model_id, "path": str(model), "capability": capability,
                    "context_size": ctx, "parallel": parallel, "batch_size": batch,
                    "threads": threads, "gpu_layers": gpu_layers, "licence": "mit",
                    "prefix_cache": prefix_cache, **(extra or {})}],
    }
    if cache_ram_mib is not None:
        cfg["models"][0]["prefix_cache_ram_mb"] = cache_ram_mib
    path.write_text(json.dumps(cfg, indent=2))


def median_of(xs: list[Any]) -> Any:
    v = [x for x in xs if isinstance(x, (int, float)) and not isinstance(x, bool)]
    return statistics.median(v) if v else None


def machine_info() -> dict[str, Any]:
    cpu = platform.processor() or ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    gpu = None
    try:
        gpu = subprocess.run(["nvidia-smi", "--query-gpu=name,memory.total", "--format=csv,noheader"],
                             capture_output=True, text=True, timeout=10).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        pass
    mem_kb = 0
    try:
        mem_kb = int(Path("/proc/meminfo").read_text().split()[1])
    except (OSError, ValueError, IndexError):
        pass
    try:
        commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                                capture_output=True, text=True, timeout=10).stdout.strip() or None
    except (OSError, subprocess.SubprocessError):
        commit = None
    return {"cpu": cpu, "cores": os.cpu_count(), "mem_gib": round(mem_kb / 1048576, 1), "gpu": gpu,
            "kernel": platform.release(), "commit": commit,
            "loadavg_at_start": os.getloadavg()}


# (row label, scenario, metric, higher is better?)
ROWS: list[tuple[str, str, str, bool]] = [
    ("single: decode tok/s (per stream)", "single", "stream_decode_tok_s_p50", True),
    ("single: TTFT p50 ms", "single", "ttft_p50_ms", False),
    ("single: ITL p50 ms", "single", "itl_p50_ms", False),
    ("single: prompt tok/s (prompt/TTFT)", "single", "prefill_tok_s_p50", True),
]
for _n in ("c4", "c16", "c64"):
    ROWS += [
        (f"{_n}: output tok/s", _n, "output_tok_s", True),
        (f"{_n}: requests/s", _n, "requests_s", True),
        (f"{_n}: TTFT p50 ms", _n, "ttft_p50_ms", False),
        (f"{_n}: TTFT p95 ms", _n, "ttft_p95_ms", False),
        (f"{_n}: ITL p50 ms", _n, "itl_p50_ms", False),
        (f"{_n}: ITL p95 ms", _n, "itl_p95_ms", False),
        (f"{_n}: prompt tok/s", _n, "prompt_tok_s", True),
    ]
ROWS += [
    ("mixed: running ITL p50 before long prompts ms", "mixed", "itl_before_p50_ms", False),
    ("mixed: running ITL p50 during prefill ms", "mixed", "itl_during_p50_ms", False),
    ("mixed: running ITL p95 during prefill ms", "mixed", "itl_during_p95_ms", False),
    ("mixed: running ITL max during prefill ms", "mixed", "itl_during_max_ms", False),
    ("mixed: running ITL p95 during prefill / ITL before", "mixed", "itl_during_p95_over_before", False),
    ("mixed: running tok/s during prefill", "mixed", "running_tok_s_during_prefill", True),
    ("mixed: long-prompt TTFT p50 ms", "mixed", "long_ttft_p50_ms", False),
    ("spec-edit: tok/s without drafts", "spec_edit", "plain_tok_s", True),
    ("spec-edit: tok/s with n-gram drafts", "spec_edit", "spec_tok_s", True),
    ("spec-edit: Pendra with drafts / without", "spec_edit", "speedup", True),
    ("prefix: cold TTFT p50 ms", "prefix", "ttft_cold_p50_ms", False),
    ("prefix: reused TTFT p50 ms", "prefix", "ttft_reused_p50_ms", False),
    ("prefix: reused / cold TTFT", "prefix", "reused_over_cold", False),
    ("sessions: cold TTFT p50 ms", "sessions", "ttft_cold_p50_ms", False),
    ("sessions: returning TTFT p50 ms", "sessions", "ttft_returning_p50_ms", False),
    ("sessions: returning / cold TTFT", "sessions", "returning_over_cold", False),
    ("embeddings: inputs/s, batch 1", "embed_b1", "inputs_s", True),
    ("embeddings: inputs/s, batch 64", "embed_b64", "inputs_s", True),
    ("idle RSS after load MiB", "rss", "idle_mib", False),
    ("RSS after warm-up request MiB", "rss", "warm_mib", False),
    ("RSS after the chat scenarios MiB", "rss", "after_run_mib", False),
    ("model load s (start to ready)", "rss", "load_s", False),
]


def fmt(x: Any) -> str:
    if x is None:
        return "n/a"
    if isinstance(x, float):
        if abs(x) >= 100:
            return f"{x:.0f}"
        if abs(x) >= 10:
            return f"{x:.1f}"
        return f"{x:.3g}" if abs(x) < 1 else f"{x:.2f}"
    return str(x)


def build_report(raw: dict[str, Any]) -> tuple[dict[str, Any], str]:
    med: dict[str, dict[str, dict[str, Any]]] = {}
    for srv, rounds in raw["rounds"].items():
        med[srv] = {}
        scen_names = sorted({k for r in rounds for k in r})
        for sc in scen_names:
            if not all(isinstance(r.get(sc, {}), dict) for r in rounds):
                continue
            keys = sorted({k for r in rounds if sc in r for k in r[sc]})
            med[srv][sc] = {k: median_of([r[sc].get(k) for r in rounds if sc in r]) for k in keys}
            med[srv][sc]["errors_total"] = sum(r[sc].get("errors", 0) for r in rounds if sc in r)
    P, L = med.get("pendra", {}), med.get("llama-server", {})
    D = med.get("llama-server-default", {})

    def get(m: dict[str, Any], sc: str, k: str) -> Any:
        return m.get(sc, {}).get(k)

    def ratio(sc: str, k: str, other: dict[str, Any] | None = None) -> float | None:
        a, b = get(P, sc, k), get(L if other is None else other, sc, k)
        return round(a / b, 3) if isinstance(a, (int, float)) and isinstance(b, (int, float)) and b else None

    targets = []

    def target(name: str, value: Any, ok: Callable[[float], bool], want: str) -> None:
        targets.append({"target": name, "want": want, "value": value,
                        "met": (ok(value) if isinstance(value, (int, float)) else None)})
    target("single-stream decode, Pendra / llama-server", ratio("single", "stream_decode_tok_s_p50"),
           lambda v: v >= 0.97, ">= 0.97")
    target("aggregate output tok/s at 16 streams, ratio", ratio("c16", "output_tok_s"), lambda v: v >= 1.0, ">= 1.0")
    target("aggregate output tok/s at 64 streams, ratio", ratio("c64", "output_tok_s"), lambda v: v >= 1.0, ">= 1.0")
    target("TTFT p50 at 16 streams, ratio", ratio("c16", "ttft_p50_ms"), lambda v: v <= 1.0, "<= 1.0")
    target("Pendra reused-prefix TTFT / cold TTFT", get(P, "prefix", "reused_over_cold"), lambda v: v < 0.20, "< 0.20")
    target("Pendra returning-session TTFT / cold TTFT (host-RAM prefix cache)",
           get(P, "sessions", "returning_over_cold"), lambda v: v <= 0.25, "<= 0.25")
    target("idle RSS after load, ratio", ratio("rss", "idle_mib"), lambda v: v <= 1.2, "<= 1.2")
    # Issue 15's targets, against the same-flags build.
    target("mixed: running ITL p95 during prefill, ratio", ratio("mixed", "itl_during_p95_ms"),
           lambda v: v <= 0.5, "<= 0.5")
    target("mixed: long-prompt TTFT p50, ratio", ratio("mixed", "long_ttft_p50_ms"), lambda v: v <= 1.1, "<= 1.1")
    target("prefix: reused-prefix TTFT p50, ratio", ratio("prefix", "ttft_reused_p50_ms"), lambda v: v <= 0.8, "<= 0.8")
    target("embeddings inputs/s batch 1, ratio", ratio("embed_b1", "inputs_s"), lambda v: v >= 1.1, ">= 1.1")
    target("embeddings inputs/s batch 64, ratio", ratio("embed_b64", "inputs_s"), lambda v: v >= 1.1, ">= 1.1")
    target("aggregate output tok/s at 64 streams, ratio (issue 15)", ratio("c64", "output_tok_s"),
           lambda v: v >= 1.25, ">= 1.25")
    target("spec-edit: Pendra with n-gram drafts / without", get(P, "spec_edit", "speedup"),
           lambda v: v >= 1.8, ">= 1.8")
    target("spec-edit: Pendra with drafts / llama-server with ngram-simple", ratio("spec_edit", "spec_tok_s"),
           lambda v: v >= 1.0, ">= 1.0")

    summary = {"medians": med, "targets": targets}
    info = raw["info"]
    lines = [
        f"# Pendra vs llama-server ({info['date']})", "",
        f"- machine: {info['machine']['cpu']}, {info['machine']['cores']} cores, "
        f"{info['machine']['mem_gib']} GiB" + (f", GPU {info['machine']['gpu']}" if info['machine']['gpu'] else ""),
        f"- commit: {info['machine']['commit']}; llama.cpp: {info.get('llama_version')}",
        f"- model: {info['model']} ({info.get('model_mib')} MiB); embeddings: {info.get('embed_model')}",
        f"- settings: {json.dumps(info['settings'])}",
        f"- rounds: {info['rounds']} (median of rounds shown); total wall {info.get('wall_s')} s",
        "- 1-minute load average before each server run: " + "; ".join(
            f"{s}: " + ", ".join(f"{r.get('loadavg_before', [0])[0]:.1f}" for r in rs)
            for s, rs in raw["rounds"].items()),
    ]
    if D:
        lines += [f"- llama-server: the same flags as Pendra's libraries ({info.get('llama_server')}); "
                  f"llama-server (defaults): llama.cpp's default build ({info.get('llama_server_default')})"]
    lines += ["", "| metric | Pendra | llama-server | Pendra / llama-server | "
              + ("llama-server (defaults) | Pendra / defaults | " if D else "")
              + "Pendra min–max | llama-server min–max |",
              "|---|---:|---:|---:|" + ("---:|---:|" if D else "") + "---:|---:|"]

    def spread(srv: str, sc: str, k: str) -> str:
        v = [r[sc][k] for r in raw["rounds"].get(srv, []) if isinstance(r.get(sc), dict)
             and isinstance(r[sc].get(k), (int, float))]
        return f"{fmt(min(v))}–{fmt(max(v))}" if len(v) > 1 else "n/a"
    for label, sc, k, _hib in ROWS:
        a, b = get(P, sc, k), get(L, sc, k)
        if a is None and b is None:
            continue
        r = ratio(sc, k)
        extra = f"{fmt(get(D, sc, k))} | {fmt(ratio(sc, k, D))} | " if D else ""
        lines.append(f"| {label} | {fmt(a)} | {fmt(b)} | {fmt(r)} | {extra}{spread('pendra', sc, k)} | "
                     f"{spread('llama-server', sc, k)} |")
    same, compared, shared = parity(raw)
    summary["greedy_parity"] = {"identical": same, "compared": compared, "shared_chars_of_the_rest": shared}
    errs = {s: sum(v.get("errors_total", 0) for v in m.values()) for s, m in med.items()}
    lines += ["", f"Errors (all rounds): {json.dumps(errs)}", "",
              f"Greedy parity: {same} of {compared} outputs identical ({len(PARITY_PROMPTS)} chats, 32 tokens at "
              f"temperature 0 on {Path(raw['info'].get('parity_model') or raw['info']['model']).name}, each on a fresh "
              "server of each kind with one sequence and the prompt cache off, so both prefill it in one batch)"
              + (f"; the others share their first {', '.join(map(str, shared))} characters" if shared else ""), "", "| target | want | measured | met |",
              "|---|---|---:|---|"]
    for t in targets:
        met = {True: "yes", False: "**no**", None: "n/a"}[t["met"]]
        lines.append(f"| {t['target']} | {t['want']} | {fmt(t['value'])} | {met} |")
    px = P.get("prefix", {})
    lines += ["", "Notes: ITL = gap between consecutive streamed tokens; TTFT includes queueing. "
              "`mixed`: running streams keep decoding while cold long prompts "
              f"(~{info['settings'].get('mixed_long_words')} words each) prefill; 'during' is from their arrival "
              "to their first token. `prefix`: same ~2,000-token system prompt, different user turns, "
              "vs a fresh system prompt of the same length.",
              f"Pendra cached_tokens on reused prompts (median): {fmt(px.get('cached_tokens_reused_p50'))}; llama-server: {fmt(L.get('prefix', {}).get('cached_tokens_reused_p50'))}"]
    return summary, "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--report-only", type=Path, default=None, metavar="JSON",
                    help="only rebuild the Markdown summary from a results JSON")
    ap.add_argument("--pendra", type=Path)
    ap.add_argument("--llama-server", type=Path)
    ap.add_argument("--model", type=Path)
    ap.add_argument("--embed-model", type=Path, default=None, help="embedding GGUF (skip embeddings if absent)")
    ap.add_argument("--parity-model", type=Path, default=None,
                    help="chat GGUF for the greedy-parity check (default --model; a real model has no near-ties)")
    ap.add_argument("--preset", choices=sorted(PRESETS), default="cpu")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    ap.add_argument("--ctx", type=int, default=None)
    ap.add_argument("--parallel", type=int, default=None)
    ap.add_argument("--batch", type=int, default=None)
    ap.add_argument("--gpu-layers", type=int, default=-1, help="Pendra gpu_layers / llama-server -ngl")
    ap.add_argument("--scenarios", default=None,
                    help="comma list of single,c4,c16,c64,mixed,prefix,sessions,embed,spec-edit "
                         "(default all but the preset's opt-in ones: sessions on cpu)")
    ap.add_argument("--servers", default="pendra,llama-server")
    ap.add_argument("--llama-server-default", type=Path, default=None, metavar="PATH",
                    help="a llama-server built with llama.cpp's default flags (GGML_NATIVE); "
                         "run as a third server, its own column in the table")
    ap.add_argument("--pendra-model-json", default="{}", metavar="JSON",
                    help='extra fields for the chat model in Pendra\'s config, e.g. \'{"target_itl_ms": 400}\'')
    ap.add_argument("--out", type=Path, default=ROOT / "bench" / "results")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=INT",
                    help="override a preset value, e.g. --set c64_tokens=32")
    args = ap.parse_args(argv)
    if args.report_only:
        raw = json.loads(args.report_only.read_text())
        raw = {"info": raw["info"], "rounds": raw["rounds"]}
        summary, md = build_report(raw)
        print(md)
        return 0
    if not (args.pendra and args.llama_server and args.model):
        ap.error("--pendra, --llama-server and --model are required")

    p = dict(PRESETS[args.preset])
    for kv in args.set:
        k, _, v = kv.partition("=")
        if k not in p:
            ap.error(f"unknown preset key {k}")
        p[k] = int(v)
    for k in ("ctx", "parallel", "batch"):
        if getattr(args, k) is not None:
            p[k] = getattr(args, k)
    p["threads"] = args.threads
    p["opt_in"] = sorted(OPT_IN[args.preset])
    only = set(args.scenarios.split(",")) if args.scenarios else None
    servers = args.servers.split(",")
    if args.llama_server_default and "llama-server-default" not in servers:
        servers.append("llama-server-default")
    for path in (args.pendra, args.llama_server, args.model) + ((args.llama_server_default,) if args.llama_server_default else ()):
        if not path.exists():
            ap.error(f"{path} does not exist")
    embed = args.embed_model if (args.embed_model and args.embed_model.exists()
                                 and (only is None or "embed" in only)) else None
    if args.embed_model and not args.embed_model.exists():
        print(f"note: {args.embed_model} missing, skipping embeddings", file=sys.stderr)

    args.out.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    logdir = args.out / f"logs-{stamp}"
    logdir.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix="pendra-bench-"))
    model = args.model.resolve()
    chat_id = "bench:latest"
    embed_id = "bench-embed:latest"

    def pendra_server(capability: str) -> tuple[Server, Callable[[Server], None]]:
        cfg = tmp / f"pendra-{capability}.json"
        if capability == "chat":
            pendra_config(cfg, chat_id, model, "chat", p["ctx"], p["parallel"], p["batch"],
                          args.threads, args.gpu_layers, extra=json.loads(args.pendra_model_json), cache_ram_mib=p["cache_ram_mib"])
        elif capability == "sessions":
            pendra_config(cfg, chat_id, model, "chat", p["sessions_ctx"], p["parallel"], p["batch"],
                          args.threads, args.gpu_layers, cache_ram_mib=p["cache_ram_mib"])
        elif capability == "parity":
            pendra_config(cfg, chat_id, parity_model, "chat", 2048, 1, 512, args.threads, args.gpu_layers,
                          prefix_cache=False)
        elif capability == "spec-edit":
            pendra_config(cfg, chat_id, parity_model, "chat", 8192, 1, 512, args.threads, args.gpu_layers,
                          extra={"speculative": spec_edit.PENDRA_SPECULATIVE})
        else:
            assert embed
            pendra_config(cfg, embed_id, embed.resolve(), "embedding", 512, 16, 2048,
                          args.threads, args.gpu_layers)
        cmd = [str(args.pendra.resolve()), "serve", "--config", str(cfg), "--host", "127.0.0.1", "--port", "0"]
        return Server("pendra", cmd, logdir / f"pendra-{capability}.log"), wait_pendra

    def llama_server(capability: str, binary: Path | None = None,
                     label: str = "llama-server") -> tuple[Server, Callable[[Server], None]]:
        binary = binary or args.llama_server
        port = free_port()
        common = ["-t", str(args.threads), "-tb", str(args.threads), "-ngl", str(999 if args.gpu_layers < 0 else args.gpu_layers),
                  "-kvu", "--host", "127.0.0.1", "--port", str(port)]
        if capability in ("chat", "sessions"):
            # -ub 512: Pendra's micro-batch. --jinja: the GGUF's own template.
            # --cache-ram: its host-RAM prompt cache, the same size as Pendra's
            # prefix_cache_ram_mb (idle slots are saved to it and cleared on a
            # new task, --cache-idle-slots being on by default).
            ctx = p["ctx"] if capability == "chat" else p["sessions_ctx"]
            cmd = [str(binary), "-m", str(model), "-a", chat_id, "-c", str(ctx),
                   "-np", str(p["parallel"]), "-b", str(p["batch"]), "-ub", str(min(512, p["batch"])),
                   "--jinja", "--cache-ram", str(p["cache_ram_mib"])] + common
        elif capability == "parity":
            # -fa off: Pendra's default for one sequence on the CPU
            # (FlashAttentionChoice), so both compute the same attention.
            fa = ["-fa", "off"] if args.gpu_layers == 0 or args.preset == "cpu" else []
            cmd = [str(binary), "-m", str(parity_model), "-a", chat_id, "-c", "2048", "-np", "1",
                   "-b", "512", "-ub", "512", "--jinja", "--cache-reuse", "0", "--no-cache-prompt"] + fa + common
        elif capability == "spec-edit":
            cmd = [str(binary), "-m", str(parity_model), "-a", chat_id, "-c", "8192", "-np", "1",
                   "-b", "512", "-ub", "512", "--jinja"] + spec_edit.LLAMA_SPEC_FLAGS + common
        else:
            assert embed
            # Pendra's embedding context: max(context_size, batch_size) cells,
            # batch = micro-batch = 2048, 16 sequences.
            cmd = [str(binary), "-m", str(embed.resolve()), "-a", embed_id, "--embeddings",
                   "-c", "2048", "-np", "16", "-b", "2048", "-ub", "2048"] + common
        return Server(label, cmd, logdir / f"{label}-{capability}.log"), wait_llama(port)

    factories = {"pendra": pendra_server, "llama-server": llama_server}
    if args.llama_server_default:
        # llama.cpp built the way its users build it (its defaults: GGML_NATIVE,
        # no BLAS), beside the build with Pendra's own flags.
        factories["llama-server-default"] = lambda capability: llama_server(
            capability, args.llama_server_default, "llama-server-default")
    parity_model = (args.parity_model or args.model).resolve()
    raw_rounds: dict[str, list[dict[str, Any]]] = {s: [] for s in servers}
    t_all = time.perf_counter()
    info = {"date": dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
            "machine": machine_info(), "model": str(args.model),
            "model_mib": round(args.model.stat().st_size / 1048576, 1),
            "embed_model": str(embed) if embed else None, "rounds": args.rounds,
            "settings": {**p, "gpu_layers": args.gpu_layers}, "preset": args.preset,
            "pendra": str(args.pendra), "llama_server": str(args.llama_server),
            "llama_server_default": str(args.llama_server_default) if args.llama_server_default else None}
    try:
        v = subprocess.run([str(args.llama_server), "--version"], capture_output=True, text=True, timeout=30)
        info["llama_version"] = (v.stdout + v.stderr).strip().splitlines()[0] if (v.stdout + v.stderr).strip() else None
    except (OSError, subprocess.SubprocessError):
        info["llama_version"] = None

    failed = False
    for rnd in range(args.rounds):
        order = servers if rnd % 2 == 0 else list(reversed(servers))
        for name in order:
            res: dict[str, Any] = {"loadavg_before": list(os.getloadavg())}
            tag = f"r{rnd}"
            srv, ready = factories[name]("chat")
            print(f"[round {rnd + 1}/{args.rounds}] {name}: loading {args.model.name}", file=sys.stderr, flush=True)
            try:
                srv.start(ready)
                time.sleep(1.0)
                assert srv.proc
                idle = rss_kb(srv.proc.pid)
                warm = Client(srv.base_url).stream_chat(chat_id, short_messages(8, "warmup")(0), 8)
                if not warm.ok:
                    raise RuntimeError(f"{name} warm-up request failed: {warm.error}")
                time.sleep(0.5)
                warmed = rss_kb(srv.proc.pid)
                res["rss"] = {"idle_mib": round(idle.get("VmRSS", 0) / 1024, 1),
                              "idle_anon_mib": round(idle.get("RssAnon", 0) / 1024, 1),
                              "idle_file_mib": round(idle.get("RssFile", 0) / 1024, 1),
                              "warm_mib": round(warmed.get("VmRSS", 0) / 1024, 1),
                              "load_s": round(srv.load_s, 3)}
                t = time.perf_counter()
                res.update(chat_scenarios(srv.base_url, chat_id, p, tag, only))
                srv.check_alive()
                res["rss"]["after_run_mib"] = round(rss_kb(srv.proc.pid).get("VmRSS", 0) / 1024, 1)
                res["rss"]["peak_mib"] = round(rss_kb(srv.proc.pid).get("VmHWM", 0) / 1024, 1)
                print(f"  chat scenarios {time.perf_counter() - t:.1f}s: " + ", ".join(
                    f"{k}={v.get('output_tok_s', v.get('reused_over_cold', v.get('returning_over_cold', v.get('itl_during_p95_ms'))))}"
                    for k, v in res.items() if k != "rss" and isinstance(v, dict)), file=sys.stderr, flush=True)
            except Exception as e:  # noqa: BLE001
                print(f"  {name} chat failed: {e}", file=sys.stderr, flush=True)
                res["failure"] = str(e)
                failed = True
            finally:
                srv.stop()
            def on_own_server(kind: str, label: str, run: Callable[[str], dict[str, Any]],
                              keys: list[str], summary: Callable[[], str]) -> None:
                """A scenario on a server of its own kind: results under `keys`,
                a failure recorded as `<keys[0]>_failure` and in the exit status."""
                nonlocal failed
                ssrv, sready = factories[name](kind)
                try:
                    ssrv.start(sready)
                    res.update(run(ssrv.base_url))
                    print(f"  {label}: {summary()}", file=sys.stderr, flush=True)
                except Exception as e:  # noqa: BLE001
                    print(f"  {name} {label} failed: {e}", file=sys.stderr, flush=True)
                    res[f"{keys[0]}_failure"] = str(e)
                    failed = True
                finally:
                    ssrv.stop()

            if wants_sessions(p, only) and p["ctx"] != p["sessions_ctx"]:
                on_own_server("sessions", "sessions", lambda base: {"sessions": sc_sessions(
                    base, chat_id, p["sessions_n"], p["sessions_prefix_words"], p["sessions_user_words"], f"{tag}-ss")},
                    ["sessions"], lambda: f"returning / cold TTFT {res['sessions']['returning_over_cold']}")
            if embed:
                on_own_server("embedding", "embeddings", lambda base: {
                    "embed_b1": sc_embed(base, embed_id, 1, p["embed_b1_reqs"], p["embed_words"], f"{tag}-e"),
                    "embed_b64": sc_embed(base, embed_id, 64, p["embed_b64_reqs"], p["embed_words"], f"{tag}-e")},
                    ["embed"], lambda: f"b1 {res['embed_b1']['inputs_s']}/s, b64 {res['embed_b64']['inputs_s']}/s")
            if only is None or "spec-edit" in only:
                on_own_server("spec-edit", "spec-edit", lambda base: {"spec_edit": spec_edit.scenario(
                    base, chat_id, p["spec_edit_tokens"], name == "pendra", rnd)},
                    ["spec_edit"], lambda: f"{res['spec_edit'].get('plain_tok_s')} -> {res['spec_edit'].get('spec_tok_s')} tok/s")
            raw_rounds[name].append(res)

    if "pendra" in servers and "llama-server" in servers:
        print(f"[parity] fresh servers per prompt on {parity_model.name}", file=sys.stderr, flush=True)
        info["parity_model"] = str(parity_model)
        fresh = fresh_parity(factories, ["pendra", "llama-server"], chat_id)
        for name in ("pendra", "llama-server"):
            raw_rounds[name].append({"parity": fresh[name], "parity_only": True})
    info["wall_s"] = round(time.perf_counter() - t_all, 1)
    raw = {"info": info, "rounds": raw_rounds}
    summary, md = build_report(raw)
    raw.update(summary)
    jpath = args.out / f"bench-{stamp}.json"
    mpath = args.out / f"bench-{stamp}.md"
    jpath.write_text(json.dumps(raw, indent=2, default=str))
    mpath.write_text(md)
    for src, name in ((jpath, "latest.json"), (mpath, "latest.md")):
        (args.out / name).write_text(src.read_text())
    print(md)
    print(f"wrote {jpath} and {mpath} (server logs in {logdir})", file=sys.stderr)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
