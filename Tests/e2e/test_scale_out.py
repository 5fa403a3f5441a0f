"""Scale-out without rpc-servers or a gateway (those run in `make test-scale-out`):
/health for load balancers, the SIGTERM drain, a stable X-Worker-Id, an
unreachable rpc-server named at load while the other models serve, and a
child-process model (`isolated`) whose process is killed mid-generation.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import httpx
import pytest

from conftest import _SERVERS, CHAT_MODEL, LISTEN_PREFIX, REQUIRED_FILES, _check_inputs
from e2e_helpers import openai_error, sse_data, user

ISO = "iso-llama:latest"
DEAD = "rpc-dead:latest"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Worker:
    """`pendra serve` on a fixed port, so /health can be read while it loads
    (conftest's PendraServer waits for the listening line instead). Like it,
    it runs without the caller's PENDRA_API_KEYS and is in conftest's
    _SERVERS, so a failing test reports its stderr."""

    def __init__(self, workdir: Path, config: dict, port: int | None = None):
        binary, _ = _check_inputs()
        workdir.mkdir(parents=True, exist_ok=True)
        self.name = workdir.name
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        (workdir / "config.json").write_text(json.dumps(config))
        self.stderr_path = workdir / "stderr.log"
        self.proc = subprocess.Popen([str(binary), "serve", "--config", str(workdir / "config.json"), "--port", str(self.port)],
                                     stdout=subprocess.PIPE, stderr=open(self.stderr_path, "wb"), cwd=workdir,
                                     env={k: v for k, v in os.environ.items() if k != "PENDRA_API_KEYS"})
        _SERVERS.append(self)
        self.early_health: list[tuple[int, str | None, str]] = []
        self.listening = threading.Event()
        threading.Thread(target=self._read_stdout, daemon=True).start()
        deadline = time.time() + 120
        while not self.listening.is_set():
            assert self.proc.poll() is None, f"pendra exited {self.proc.returncode}: {self.stderr()}"
            assert time.time() < deadline, "pendra did not start: " + self.stderr()
            try:
                r = httpx.get(self.url + "/health", timeout=2)
                if not self.listening.is_set():
                    self.early_health.append((r.status_code, r.headers.get("retry-after"), r.json()["status"]))
            except httpx.TransportError:
                pass
            time.sleep(0.05)

    def _read_stdout(self):
        for raw in self.proc.stdout:
            if raw.decode().startswith(LISTEN_PREFIX):
                self.listening.set()

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def stderr_tail(self, max_bytes: int = 20000) -> str:
        return self.stderr()[-max_bytes:]

    def health(self) -> httpx.Response:
        return httpx.get(self.url + "/health", timeout=10)

    def model(self, mid: str) -> dict:
        return next(m for m in self.health().json()["models"] if m["id"] == mid)

    def children(self) -> list[int]:
        """Pids of this server's child processes."""
        out = []
        for p in Path("/proc").iterdir():
            if p.name.isdigit():
                try:
                    if int((p / "stat").read_text().rsplit(")", 1)[1].split()[1]) == self.proc.pid:
                        out.append(int(p.name))
                except (OSError, IndexError, ValueError):
                    pass
        return out

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self in _SERVERS:
            _SERVERS.remove(self)


@pytest.fixture(scope="module")
def worker(tmp_path_factory, models_dir):
    llama = str(models_dir / REQUIRED_FILES[CHAT_MODEL])
    dead = free_port()  # nothing listens there
    config = {
        "server": {"worker_name": "e2e-scale", "child_retry_seconds": 1.5, "child_retry_limit": 30,
                   "drain_notice_seconds": 3, "drain_seconds": 60},
        "models": [
            {"id": CHAT_MODEL, "path": llama, "context_size": 1024, "parallel": 2},
            {"id": ISO, "path": llama, "context_size": 2048, "parallel": 2, "isolated": True},
            {"id": DEAD, "path": llama, "context_size": 512, "rpc_servers": [f"127.0.0.1:{dead}"]},
        ],
    }
    w = Worker(tmp_path_factory.mktemp("scale"), config)
    w.dead_port = dead
    yield w
    w.stop()


def chat(url: str, model: str, **extra) -> httpx.Response:
    body = {"model": model, "messages": user("Hello"), "temperature": 0, "max_tokens": 8, **extra}
    return httpx.post(url + "/v1/chat/completions", json=body, timeout=120)


def test_health_says_loading_then_ready(worker):
    # The isolated child takes a second or more to load: the server answered meanwhile.
    assert worker.early_health, "no /health answer before the server was ready"
    status, retry_after, state = worker.early_health[0]
    assert (status, state) == (503, "loading") and retry_after and int(retry_after) >= 1
    r = worker.health()
    body = r.json()
    # One model is down (its rpc-server is unreachable): the worker serves the rest.
    assert r.status_code == 200 and body["status"] == "degraded", body
    assert set(body["ready_models"]) == {CHAT_MODEL, ISO}
    assert worker.model(ISO)["state"] == "ready"
    # The web page's dashboard reads the same status: the child is loaded, though not in this process.
    feed = {m["id"]: m for m in httpx.get(worker.url + "/api/v1/dashboard", timeout=10).json()["models"]}
    assert feed[ISO]["loaded"] is True and feed[CHAT_MODEL]["loaded"] is True
    assert feed[DEAD]["loaded"] is False


def test_unreachable_rpc_server_is_named_and_the_others_serve(worker):
    address = f"127.0.0.1:{worker.dead_port}"
    lines = [l for l in worker.stderr().splitlines() if DEAD in l and "unavailable" in l]
    assert lines, worker.stderr()
    assert f"rpc-server {address} cannot be reached (Connection refused)" in lines[0], lines[0]
    m = worker.model(DEAD)
    assert m["state"] == "unavailable" and address in m["reason"] and m["rpc_servers"] == [address]
    r = chat(worker.url, DEAD)
    err = openai_error(r, 503)
    assert address in err["message"] and int(r.headers["retry-after"]) >= 1
    a = httpx.post(worker.url + "/v1/messages", json={"model": DEAD, "max_tokens": 4, "messages": user("Hi")}, timeout=30)
    assert a.status_code == 503 and a.json()["type"] == "error" and a.json()["error"]["type"] == "overloaded_error"
    assert chat(worker.url, CHAT_MODEL).status_code == 200
    listed = {m["id"]: m for m in httpx.get(worker.url + "/v1/models").json()["data"]}
    assert listed[DEAD]["available"] is False and address in listed[DEAD]["unavailable_reason"]
    assert listed[CHAT_MODEL]["available"] is True
    metrics = httpx.get(worker.url + "/metrics").text
    assert f'pendra_model_available{{model="{DEAD}"}} 0' in metrics
    assert f'pendra_model_available{{model="{ISO}"}} 1' in metrics


def test_child_model_serves_like_a_local_one(worker):
    local, child = chat(worker.url, CHAT_MODEL, max_tokens=16), chat(worker.url, ISO, max_tokens=16)
    assert local.status_code == child.status_code == 200, child.text
    assert child.json()["choices"][0]["message"]["content"] == local.json()["choices"][0]["message"]["content"]
    assert child.json()["model"] == ISO
    # The parent's worker headers, not the child's.
    assert child.headers["x-worker-id"] == local.headers["x-worker-id"] == worker.health().json()["worker_id"]
    assert child.headers["x-request-id"]


def test_killed_child_gives_502_and_error_event_then_comes_back(worker):
    [pid] = [p for p in worker.children() if f"--child-model\x00{ISO}".encode() in Path(f"/proc/{p}/cmdline").read_bytes()]
    long = {"max_tokens": 1500, "ignore_eos": True, "temperature": 0.7, "seed": 3}
    results: dict = {}
    t = threading.Thread(target=lambda: results.setdefault("plain", chat(worker.url, ISO, **long)))
    t.start()
    body = {"model": ISO, "messages": user("Tell me a long story"), "stream": True, **long}
    lines = []
    with httpx.stream("POST", worker.url + "/v1/chat/completions", json=body, timeout=60) as r:
        assert r.status_code == 200
        for line in r.iter_lines():
            lines.append(line)
            if len(lines) == 6:
                # Both in flight (the whole one too: on a loaded machine its
                # thread may not have sent it yet), then the kill.
                deadline = time.time() + 30
                while worker.model(ISO).get("requests_in_flight") != 2:
                    assert time.time() < deadline and "plain" not in results, worker.model(ISO)
                    time.sleep(0.01)
                os.kill(pid, signal.SIGKILL)
    t.join(60)
    events = sse_data(lines)
    assert events[-1] == "[DONE]" and "error" in events[-2], events[-3:]
    assert events[-2]["error"]["type"] == "server_error" and ISO in events[-2]["error"]["message"]
    assert all("choices" in e for e in events[:-2]), "a cut event reached the client"
    err = openai_error(results["plain"], 502)
    assert ISO in err["message"]
    # Marked unavailable everywhere while it restarts (the parent learns of
    # the exit a moment after the socket closed); the others serve.
    deadline = time.time() + 1
    while (m := worker.model(ISO))["state"] == "ready" and time.time() < deadline:
        time.sleep(0.02)
    assert m["state"] in ("unavailable", "loading"), m
    assert httpx.get(worker.url + "/metrics").text.count(f'pendra_model_available{{model="{ISO}"}} 0') == 1
    listed = {m["id"]: m for m in httpx.get(worker.url + "/v1/models").json()["data"]}
    assert listed[ISO]["available"] is False
    assert chat(worker.url, CHAT_MODEL).status_code == 200
    deadline = time.time() + 60
    while worker.model(ISO)["state"] != "ready":
        assert time.time() < deadline, worker.stderr()[-3000:]
        time.sleep(0.2)
    assert chat(worker.url, ISO).status_code == 200
    assert pid not in worker.children()
    assert f'pendra_child_restarts{{model="{ISO}"}} 1' in httpx.get(worker.url + "/metrics").text
    log = worker.stderr()
    assert f"model {ISO}: its process {pid} was killed by signal 9" in log
    assert f"model {ISO} is unavailable: its process was killed by signal 9; retry 1 of 30" in log


def test_sigterm_drains_streams_and_exits_0(worker):
    children = worker.children()
    assert children, "the isolated child is running"
    body = {"model": CHAT_MODEL, "messages": user("Hi"), "stream": True, "max_tokens": 40, "ignore_eos": True}
    lines: list[str] = []
    with httpx.stream("POST", worker.url + "/v1/chat/completions", json=body, timeout=90) as r:
        it = r.iter_lines()
        lines.append(next(it))
        worker.proc.send_signal(signal.SIGTERM)
        # The notice (3 s): still listening, saying 503 so a balancer moves on.
        deadline = time.time() + 2
        while (h := worker.health()).status_code == 200 and time.time() < deadline:
            time.sleep(0.05)
        assert h.status_code == 503 and h.json()["status"] == "draining" and int(h.headers["retry-after"]) >= 1
        lines += list(it)
    events = sse_data(lines)
    assert events[-1] == "[DONE]" and events[-2]["choices"][0]["finish_reason"] == "length", events[-2:]
    assert worker.proc.wait(90) == 0
    with pytest.raises(httpx.TransportError):
        httpx.get(worker.url + "/health", timeout=2)
    time.sleep(0.5)
    assert not [p for p in children if Path(f"/proc/{p}").exists() and "zombie" not in Path(f"/proc/{p}/status").read_text()]


def test_worker_id_is_stable_across_restarts(tmp_path, models_dir):
    config = {"models": [{"id": CHAT_MODEL, "path": str(models_dir / REQUIRED_FILES[CHAT_MODEL]), "preload": False}]}
    port = free_port()
    ids = []
    for i in range(2):
        w = Worker(tmp_path / f"w{i}", config, port=port)
        r = httpx.post(w.url + "/v1/embeddings", json={"model": "nope", "input": "x"}, timeout=10)
        ids.append((w.health().json()["worker_id"], r.headers["x-worker-id"]))
        w.stop()
    assert ids[0] == ids[1] and ids[0][0] == ids[0][1] and ids[0][0].startswith("wkr_")
    other = Worker(tmp_path / "other", config)
    assert other.health().json()["worker_id"] != ids[0][0], "another port is another worker"
    other.stop()
    named = Worker(tmp_path / "named", {**config, "server": {"worker_id": "gpu-box-7"}})
    assert named.health().json()["worker_id"] == "gpu-box-7"
    named.stop()


def test_server_that_is_not_an_rpc_server_fails_the_load_not_the_worker(tmp_path, models_dir):
    # Something listens (the parent's check passes) but never speaks RPC:
    # ggml aborts the child in its handshake; the worker names the address.
    fake = socket.socket()
    fake.bind(("127.0.0.1", 0))
    fake.listen(8)
    port = fake.getsockname()[1]

    def refuse():
        while True:
            try:
                c, _ = fake.accept()
            except OSError:
                return
            c.close()

    threading.Thread(target=refuse, daemon=True).start()
    llama = str(models_dir / REQUIRED_FILES[CHAT_MODEL])
    config = {"server": {"child_retry_limit": 0},
              "models": [{"id": CHAT_MODEL, "path": llama, "preload": False},
                         {"id": "rpc-fake:latest", "path": llama, "rpc_servers": [f"127.0.0.1:{port}"]}]}
    w = Worker(tmp_path, config)
    try:
        m = w.model("rpc-fake:latest")
        assert m["state"] == "unavailable" and f"127.0.0.1:{port}" in m["reason"] and "signal 6" in m["reason"], m
        log = w.stderr()
        assert "ggml-rpc.cpp" in log, "ggml's own abort line is in the log"
        line = next(l for l in log.splitlines() if "rpc-fake:latest is unavailable" in l)
        assert f"rpc-servers 127.0.0.1:{port}" in line and "gave up after 1 attempt(s)" in line, line
        assert chat(w.url, CHAT_MODEL).status_code == 200 and w.proc.poll() is None
    finally:
        w.stop()
        fake.close()


def _library_folder(binary: Path) -> Path:
    """Where the server binary loads libllama from (its RUNPATH, as ldd resolves it)."""
    out = subprocess.run(["ldd", str(binary)], capture_output=True, text=True, check=True).stdout
    line = next(l for l in out.splitlines() if "libllama.so" in l)
    return Path(line.split("=>")[1].split("(")[0].strip()).resolve().parent


def _mapped_library_folders(pid: int) -> set[Path]:
    """The folders a process mapped libllama and the ggml libraries from."""
    return {Path(l.split()[-1]).parent for l in Path(f"/proc/{pid}/maps").read_text().splitlines()
            if "/libllama.so" in l or "/libggml" in l}


def test_a_model_on_another_llama_build_is_served_by_a_child_on_that_build(tmp_path, models_dir):
    # A second "build": a copy of the running one's libraries in another
    # folder, so which folder a process mapped shows which build it runs.
    binary, _ = _check_inputs()
    here = _library_folder(binary)
    other = tmp_path / "other-build" / "lib"
    other.mkdir(parents=True)
    for f in here.iterdir():
        if f.name.startswith(("libllama.so", "libggml")):
            shutil.copyfile(f, other / f.name)
    llama = str(models_dir / REQUIRED_FILES[CHAT_MODEL])
    w = Worker(tmp_path / "w", {"server": {"worker_name": "e2e-build"}, "models": [
        {"id": CHAT_MODEL, "path": llama, "context_size": 512, "parallel": 1},
        {"id": "other-build:latest", "path": llama, "context_size": 512, "parallel": 1, "llama_build": str(other)},
        # The build the server runs on: served in its own process, no child.
        {"id": "same-build:latest", "path": llama, "context_size": 512, "parallel": 1, "llama_build": str(here)},
    ]})
    try:
        assert set(w.health().json()["ready_models"]) == {CHAT_MODEL, "other-build:latest", "same-build:latest"}
        [child] = w.children()
        assert _mapped_library_folders(child) == {other}
        assert _mapped_library_folders(w.proc.pid) == {here}
        # The same weights, greedy, on both: the same reply (the libraries are copies).
        a, b = (chat(w.url, m).json()["choices"][0]["message"]["content"] for m in (CHAT_MODEL, "other-build:latest"))
        assert a and a == b
    finally:
        w.stop()


def test_a_llama_build_that_is_not_there_is_a_config_error(tmp_path, models_dir):
    binary, _ = _check_inputs()
    llama = str(models_dir / REQUIRED_FILES[CHAT_MODEL])
    (tmp_path / "config.json").write_text(json.dumps({"models": [
        {"id": "m:latest", "path": llama, "llama_build": "no/such/lib"}]}))
    r = subprocess.run([str(binary), "serve", "--config", str(tmp_path / "config.json"), "--port", "0"],
                       capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert r.returncode != 0
    assert "models[0].llama_build" in r.stderr and str(tmp_path / "no/such/lib") in r.stderr, r.stderr
