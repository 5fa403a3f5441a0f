#!/usr/bin/env python3
"""make test-scale-out: the two recipes of docs/scale-out.md, run for real on loopback.

1. RPC: a generated 6-layer model served locally and split over two llama.cpp
   rpc-servers in the same worker; greedy output identical; one rpc-server
   killed mid-stream (error event, 502, marked unavailable), restarted, and
   the model back without help.
2. Gateway: two Pendra workers behind LiteLLM's proxy (the YAML block of
   docs/scale-out.md), a bounded load with one worker SIGKILLed mid-run:
   every request must succeed; prints requests sent / failed / X-Worker-Ids.

Exit status 0 only when every check passed. Everything it starts is stopped.
"""
from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
LISTEN = "pendra listening on http://"
PROCS: list[subprocess.Popen] = []


class Failure(Exception):
    pass


def check(cond, what: str):
    if not cond:
        raise Failure(what)
    print(f"  ok  {what}", flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spawn(cmd: list[str], log: Path, **kw) -> subprocess.Popen:
    log.parent.mkdir(parents=True, exist_ok=True)
    out = kw.pop("stdout", None) or open(log, "ab")
    p = subprocess.Popen(cmd, stdout=out, stderr=open(log, "ab"), **kw)
    PROCS.append(p)
    return p


def stop(p: subprocess.Popen, sig=signal.SIGTERM, wait=30):
    if p.poll() is None:
        p.send_signal(sig)
        try:
            p.wait(wait)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(5)


def wait_port(port: int, timeout: float = 30):
    deadline = time.time() + timeout
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise Failure(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def start_pendra(args, config: dict, work: Path, name: str, port: int, extra=()) -> tuple[subprocess.Popen, str]:
    work.mkdir(parents=True, exist_ok=True)
    cfg = work / f"{name}.json"
    cfg.write_text(json.dumps(config, indent=2))
    log = work / f"{name}.log"
    p = spawn([args.bin, "serve", "--config", str(cfg), "--port", str(port), *extra], log, stdout=subprocess.PIPE)
    deadline = time.time() + 300
    for raw in p.stdout:
        if raw.decode().startswith(LISTEN):
            break
        if time.time() > deadline:
            raise Failure(f"{name} did not start")
    else:
        raise Failure(f"{name} exited {p.wait()}: see {log}")
    threading.Thread(target=lambda: [None for _ in p.stdout], daemon=True).start()
    return p, f"http://127.0.0.1:{port}"


def chat(url: str, model: str, prompt: str = "Hello", **extra) -> httpx.Response:
    body = {"model": model, "messages": [{"role": "user", "content": prompt}], "temperature": 0, "max_tokens": 24, **extra}
    return httpx.post(url + "/v1/chat/completions", json=body, timeout=300)


def model_state(url: str, mid: str) -> dict:
    return next(m for m in httpx.get(url + "/health", timeout=30).json()["models"] if m["id"] == mid)


# --------------------------------------------------------------------------
# 1. RPC
# --------------------------------------------------------------------------

LOCAL, SPLIT = "split-local:latest", "split-rpc:latest"


def rpc_recipe(args, work: Path) -> dict:
    print("== RPC: one model split over two rpc-servers ==", flush=True)
    gguf = Path(args.models) / "split-llama.gguf"
    check(gguf.is_file(), f"{gguf} exists (make test-scale-out generates it)")
    ports = [free_port(), free_port()]
    rpc = [spawn([args.rpc_server, "-H", "127.0.0.1", "-p", str(p), "-t", "1"], work / f"rpc-{p}.log") for p in ports]
    for p in ports:
        wait_port(p)
    servers = [f"127.0.0.1:{p}" for p in ports]
    config = {
        "server": {"worker_name": "rpc-worker", "child_retry_seconds": 1, "child_retry_limit": 30},
        "models": [
            {"id": LOCAL, "path": str(gguf), "context_size": 4096, "parallel": 2},
            # 4 of its 6 layers on the two rpc-servers, the rest and the output on the local CPU.
            {"id": SPLIT, "path": str(gguf), "context_size": 4096, "parallel": 2, "gpu_layers": 4,
             "rpc_servers": servers, "tensor_split": [1, 1]},
        ],
    }
    t0 = time.time()
    worker, url = start_pendra(args, config, work, "rpc-worker", free_port(), ["--llama-log-level", "info"])
    log = (work / "rpc-worker.log").read_text(errors="replace")
    for i, s in enumerate(servers):
        check(re.search(rf"RPC\d+\[{re.escape(s)}\] model buffer size = +[0-9.]+ MiB", log),
              f"llama.cpp put weights on rpc-server {s}")
    check(re.search(r"\[child split-rpc:latest\].*CPU(_Mapped|_REPACK)? model buffer size", log),
          "and kept some on the local CPU")
    check(model_state(url, SPLIT)["state"] == "ready", f"{SPLIT} is ready ({time.time() - t0:.1f} s to start)")

    prompts = ["Hello", "Write a haiku about the sea.", "What is 2+2?"]
    for pr in prompts:
        a, b = chat(url, LOCAL, pr), chat(url, SPLIT, pr)
        check(a.status_code == b.status_code == 200, f"both answer {pr!r}")
        ta, tb = a.json()["choices"][0]["message"]["content"], b.json()["choices"][0]["message"]["content"]
        check(ta == tb and a.json()["usage"] == b.json()["usage"], f"greedy output identical for {pr!r}")

    # Kill the second rpc-server during a stream and a plain request.
    long = {"max_tokens": 3000, "ignore_eos": True, "temperature": 0.7, "seed": 1}
    plain: dict = {}
    t = threading.Thread(target=lambda: plain.setdefault("r", chat(url, SPLIT, "Go on", **long)))
    t.start()
    lines = []
    body = {"model": SPLIT, "messages": [{"role": "user", "content": "Tell a story"}], "stream": True, **long}
    with httpx.stream("POST", url + "/v1/chat/completions", json=body, timeout=300) as r:
        for line in r.iter_lines():
            if line.startswith("data:"):
                lines.append(line[5:].strip())
                if len(lines) == 5:
                    rpc[1].kill()
                    killed_at = time.time()
    t.join(300)
    last = [json.loads(x) if x != "[DONE]" else x for x in lines[-2:]]
    check(last[-1] == "[DONE]" and "error" in last[0], f"the stream ended with an error event: {lines[-2][:160]}")
    r = plain["r"]
    check(r.status_code == 502 and set(r.json()) == {"error"}, f"the plain request got 502 in the OpenAI envelope: {r.text[:160]}")
    deadline = time.time() + 5
    while (st := model_state(url, SPLIT))["state"] == "ready" and time.time() < deadline:
        time.sleep(0.05)
    check(st["state"] in ("unavailable", "loading"), f"/health marks it {st['state']}: {st.get('reason', '')[:120]}")
    check(f'pendra_model_available{{model="{SPLIT}"}} 0' in httpx.get(url + "/metrics").text, "/metrics says 0")
    listed = {m["id"]: m for m in httpx.get(url + "/v1/models").json()["data"]}
    check(listed[SPLIT]["available"] is False, "the models list says available: false")
    check(chat(url, LOCAL).status_code == 200, "the local model still serves")
    check(worker.poll() is None, "the worker did not crash")

    # Back: the same port again; the supervisor's retries find it.
    rpc[1] = spawn([args.rpc_server, "-H", "127.0.0.1", "-p", str(ports[1]), "-t", "1"], work / f"rpc-{ports[1]}.log")
    deadline = time.time() + 120
    while model_state(url, SPLIT)["state"] != "ready":
        if time.time() > deadline:
            raise Failure("the model did not come back within 120 s")
        time.sleep(0.2)
    back = time.time() - killed_at
    check(True, f"{SPLIT} ready again {back:.1f} s after the kill, with no owner action")
    a, b = chat(url, LOCAL, prompts[0]), chat(url, SPLIT, prompts[0])
    check(a.json()["choices"][0]["message"]["content"] == b.json()["choices"][0]["message"]["content"],
          "greedy output identical again")
    tries = [l for l in (work / "rpc-worker.log").read_text().splitlines() if "is unavailable" in l]
    print("  log:", *tries[:3], sep="\n    ")
    stop(worker)
    for p in rpc:
        stop(p)
    return {"rpc_recovery_s": round(back, 1)}


# --------------------------------------------------------------------------
# 2. Gateway
# --------------------------------------------------------------------------

def litellm_yaml() -> str:
    doc = (REPO / "docs/scale-out.md").read_text()
    m = re.search(r"<!-- litellm-config -->\s*```yaml\n(.*?)```", doc, re.S)
    if not m:
        raise Failure("docs/scale-out.md lost its litellm-config block")
    return m.group(1)


def gateway_recipe(args, work: Path) -> dict:
    print("== Gateway: two workers behind LiteLLM, one killed mid-run ==", flush=True)
    wports = [free_port(), free_port()]
    workers, urls = [], []
    for i, port in enumerate(wports):
        cfg = {"server": {"worker_name": f"gw-{'ab'[i]}", "drain_seconds": 5},
               "models": [{"id": "tiny-llama:latest", "path": str(Path(args.models) / "tiny-llama.gguf"),
                           "context_size": 2048, "parallel": 4}]}
        p, u = start_pendra(args, cfg, work, f"gw-{'ab'[i]}", port)
        workers.append(p)
        urls.append(u)
    ids = [httpx.get(u + "/health").json()["worker_id"] for u in urls]
    yaml = litellm_yaml().replace("127.0.0.1:8081", f"127.0.0.1:{wports[0]}").replace("127.0.0.1:8082", f"127.0.0.1:{wports[1]}")
    (work / "litellm.yaml").write_text(yaml)
    key = "sk-" + secrets.token_hex(16)
    env = {**os.environ, "LITELLM_MASTER_KEY": key, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_TELEMETRY": "False"}
    lport = free_port()
    t0 = time.time()
    gw = spawn([args.litellm, "--config", str(work / "litellm.yaml"), "--host", "127.0.0.1", "--port", str(lport)],
               work / "litellm.log", env=env)
    gurl = f"http://127.0.0.1:{lport}"
    while True:
        try:
            if httpx.get(gurl + "/health/liveliness", timeout=5).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if gw.poll() is not None or time.time() - t0 > 300:
            raise Failure(f"LiteLLM did not start: see {work / 'litellm.log'}")
        time.sleep(0.5)
    startup = time.time() - t0
    check(True, f"LiteLLM proxy up in {startup:.0f} s")

    n, concurrency, kill_after = args.requests, 4, args.requests // 3
    results: list[dict] = []
    lock = threading.Lock()
    killed = threading.Event()

    def one(i: int) -> dict:
        body = {"model": "tiny", "messages": [{"role": "user", "content": f"Request {i}: say something"}],
                "max_tokens": 8, "temperature": 0.7, "seed": i}
        t = time.time()
        # Sent after the kill: only worker a can answer it. (Whether a reply
        # came back after the kill says nothing: worker b may have sent it
        # just before SIGKILL landed.)
        sent_after_kill = killed.is_set()
        try:
            r = httpx.post(gurl + "/v1/chat/completions", json=body, timeout=300, headers={"Authorization": f"Bearer {key}"})
            res = {"i": i, "status": r.status_code, "worker": r.headers.get("llm_provider-x-worker-id"),
                   "retries": int(r.headers.get("x-litellm-attempted-retries", "0") or 0),
                   "after_kill": sent_after_kill, "s": time.time() - t}
            if r.status_code != 200:
                res["body"] = r.text[:300]
        except httpx.HTTPError as e:
            res = {"i": i, "status": None, "worker": None, "retries": 0, "after_kill": sent_after_kill, "error": str(e)}
        with lock:
            results.append(res)
            if len(results) == kill_after and not killed.is_set():
                workers[1].kill()  # SIGKILL: no drain, in-flight requests cut
                killed.set()
                print(f"  ..  SIGKILL worker b ({ids[1]}) after {kill_after} answers", flush=True)
        return res

    t1 = time.time()
    with ThreadPoolExecutor(concurrency) as pool:
        list(pool.map(one, range(n)))
    load_s = time.time() - t1
    failed = [r for r in results if r["status"] != 200]
    # Sent before the kill: both workers answer those.
    seen_before = sorted({r["worker"] for r in results if not r["after_kill"] and r["worker"]})
    after = [r for r in results if r["after_kill"]]
    seen_after: dict[str, int] = {}
    for r in after:
        seen_after[r["worker"]] = seen_after.get(r["worker"], 0) + 1
    print(f"  requests sent: {n}, failed: {len(failed)}, in {load_s:.1f} s "
          f"(retried by LiteLLM: {sum(1 for r in results if r['retries'])})")
    print(f"  X-Worker-Ids before the kill: {seen_before}  (a = {ids[0]}, b = {ids[1]})")
    print(f"  X-Worker-Ids of requests sent after the kill:  {seen_after}")
    for r in failed[:5]:
        print("  failed:", r)
    check(not failed, "every request succeeded")
    check(set(seen_before) == set(ids), "both workers served before the kill")
    check(after and set(seen_after) == {ids[0]}, "only worker a served the requests sent after the kill")
    stop(gw, wait=15)
    stop(workers[0])
    return {"litellm_startup_s": round(startup), "requests": n, "failed": len(failed), "load_s": round(load_s, 1)}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--bin", required=True)
    ap.add_argument("--models", required=True)
    ap.add_argument("--rpc-server", required=True)
    ap.add_argument("--litellm", required=True)
    ap.add_argument("--requests", type=int, default=40)
    ap.add_argument("--only", choices=["rpc", "gateway"])
    args = ap.parse_args()
    args.bin = str(Path(args.bin).resolve())
    args.models = str(Path(args.models).resolve())
    t0 = time.time()
    summary: dict = {}
    code = 0
    with tempfile.TemporaryDirectory(prefix="pendra-scale-out-") as td:
        work = Path(td)
        try:
            if args.only in (None, "rpc"):
                summary.update(rpc_recipe(args, work / "rpc"))
            if args.only in (None, "gateway"):
                summary.update(gateway_recipe(args, work / "gateway"))
        except Failure as e:
            print(f"FAILED: {e}\n(logs were in {work}; last lines follow)", flush=True)
            for log in sorted(work.rglob("*.log")):
                print(f"--- {log.name}\n" + "\n".join(log.read_text(errors="replace").splitlines()[-15:]))
            code = 1
        finally:
            for p in PROCS:
                stop(p, wait=10)
    summary["total_s"] = round(time.time() - t0)
    print("scale-out:", json.dumps(summary))
    print(f"{'1 passed, 0 failed' if code == 0 else '0 passed, 1 failed'}")
    return code


if __name__ == "__main__":
    sys.exit(main())
