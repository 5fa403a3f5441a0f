"""End-to-end fixtures: the real `pendra` binary, started as a subprocess.

Environment:
  PENDRA_BIN         the pendra executable (default: <repo>/.build/release/pendra)
  PENDRA_MODELS_DIR  directory holding the generated GGUF models (default: <repo>/models)

A missing binary or model is an error for every test, never a skip: the suite
exists to prove the binary works with these models.
"""
from __future__ import annotations

import json
import os
import signal
import subprocess
import threading
import time
from pathlib import Path

import httpx
import openai
import pytest

REPO = Path(__file__).resolve().parents[2]
LISTEN_PREFIX = "pendra listening on http://"
START_TIMEOUT_S = 120

OWNER_KEY = "sk-owner-test"
MEMBER_KEY = "sk-member-test"
# Its own organisation, so the rate-limit test drains a bucket nobody else uses.
LIMITED_KEY = "sk-limited-test"
KEYED_RPM = 3

CHAT_MODEL = "tiny-llama:latest"
ONDEMAND_MODEL = "tiny-qwen2:latest"
EMBED_MODEL = "tiny-bert-embed:latest"
MINILM_MODEL = "all-minilm-l6-v2:latest"
RERANK_MODEL = "tiny-bert-rerank:latest"

REQUIRED_FILES = {
    CHAT_MODEL: "tiny-llama.gguf",
    ONDEMAND_MODEL: "tiny-qwen2.gguf",
    EMBED_MODEL: "tiny-bert-embed.gguf",
    RERANK_MODEL: "tiny-bert-rerank.gguf",
}
OPTIONAL_FILES = {MINILM_MODEL: "all-minilm-l6-v2.gguf"}

# Every server started in this session, so a failing test can show their logs.
_SERVERS: list["PendraServer"] = []


def _bin_path() -> Path:
    return Path(os.environ.get("PENDRA_BIN") or REPO / ".build/release/pendra")


def _models_dir() -> Path:
    return Path(os.environ.get("PENDRA_MODELS_DIR") or REPO / "models")


def _check_inputs() -> tuple[Path, Path]:
    binary = _bin_path()
    if not binary.is_file() or not os.access(binary, os.X_OK):
        pytest.fail(
            f"PENDRA_BIN={binary} is not an executable file. Build pendra (make build) "
            "or point PENDRA_BIN at the binary.",
            pytrace=False,
        )
    models = _models_dir()
    missing = [f for f in REQUIRED_FILES.values() if not (models / f).is_file()]
    if missing:
        pytest.fail(
            f"PENDRA_MODELS_DIR={models} lacks {', '.join(missing)}. Generate them with "
            "`make models` (scripts/gen_models.py) or point PENDRA_MODELS_DIR at them.",
            pytrace=False,
        )
    return binary.resolve(), models.resolve()


class PendraServer:
    """One `pendra serve --port 0` subprocess."""

    def __init__(self, name: str, binary: Path, config: dict, workdir: Path):
        self.name = name
        self.config = config
        self.workdir = workdir
        workdir.mkdir(parents=True, exist_ok=True)
        self.config_path = workdir / "config.json"
        self.config_path.write_text(json.dumps(config, indent=2))
        self.stderr_path = workdir / "stderr.log"
        self._stderr = open(self.stderr_path, "wb")
        self.proc = subprocess.Popen(
            [str(binary), "serve", "--config", str(self.config_path), "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=self._stderr,
            cwd=workdir,
            env={k: v for k, v in os.environ.items() if k != "PENDRA_API_KEYS"},
        )
        self.stdout_lines: list[str] = []
        self.url = self._wait_for_listening()
        # What the server says about itself before any test touches it (tests
        # that need the start-up state read this, whatever ran before them).
        self.initial_health = httpx.get(self.url + "/health", timeout=30).json()
        # Keep draining stdout so the server never blocks on a full pipe.
        threading.Thread(target=self._drain, daemon=True).start()

    def _wait_for_listening(self) -> str:
        found: list[str] = []

        def reader():
            for raw in self.proc.stdout:
                line = raw.decode("utf-8", "replace").rstrip("\n")
                self.stdout_lines.append(line)
                if line.startswith(LISTEN_PREFIX):
                    found.append("http://" + line[len(LISTEN_PREFIX):].strip())
                    return

        t = threading.Thread(target=reader, daemon=True)
        t.start()
        t.join(START_TIMEOUT_S)
        if not found:
            code = self.proc.poll()
            self.stop()
            pytest.fail(
                f"pendra ({self.name}) did not print '{LISTEN_PREFIX}...' within {START_TIMEOUT_S} s "
                f"(exit code {code}).\nstdout:\n" + "\n".join(self.stdout_lines)
                + "\nstderr:\n" + self.stderr_tail(),
                pytrace=False,
            )
        return found[0]

    def _drain(self):
        try:
            for raw in self.proc.stdout:
                self.stdout_lines.append(raw.decode("utf-8", "replace").rstrip("\n"))
        except ValueError:
            pass

    def stderr_tail(self, max_bytes: int = 20000) -> str:
        try:
            if not self._stderr.closed:
                self._stderr.flush()
            data = self.stderr_path.read_bytes()
        except OSError as e:
            return f"<cannot read {self.stderr_path}: {e}>"
        return data[-max_bytes:].decode("utf-8", "replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self._stderr.close()
        # A stopped server's log no longer belongs in later failure reports.
        if self in _SERVERS:
            _SERVERS.remove(self)

    def openai(self, api_key: str = "unused", prefix: str = "/v1") -> openai.OpenAI:
        return openai.OpenAI(base_url=self.url + prefix, api_key=api_key, max_retries=0, timeout=60)

    def http(self, **headers) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=60, headers=headers)


def _model_entry(mid: str, path: Path, capability: str, **extra) -> dict:
    return {"id": mid, "path": str(path), "capability": capability, **extra}


def _start(name: str, config: dict, tmp_path_factory) -> PendraServer:
    binary, _ = _check_inputs()
    srv = PendraServer(name, binary, config, tmp_path_factory.mktemp(name))
    _SERVERS.append(srv)
    return srv


@pytest.fixture(scope="session")
def models_dir() -> Path:
    return _check_inputs()[1]


@pytest.fixture(scope="session")
def has_minilm(models_dir) -> bool:
    return (models_dir / OPTIONAL_FILES[MINILM_MODEL]).is_file()


@pytest.fixture(scope="session")
def server(tmp_path_factory, models_dir, has_minilm):
    """Open server (no keys): every model, tiny-qwen2 loaded on demand."""
    models = [
        _model_entry(CHAT_MODEL, models_dir / REQUIRED_FILES[CHAT_MODEL], "chat", context_size=4096, parallel=4),
        _model_entry(ONDEMAND_MODEL, models_dir / REQUIRED_FILES[ONDEMAND_MODEL], "chat",
                     context_size=2048, parallel=2, preload=False),
        _model_entry(EMBED_MODEL, models_dir / REQUIRED_FILES[EMBED_MODEL], "embedding", context_size=512),
    ]
    if has_minilm:
        models.append(_model_entry(MINILM_MODEL, models_dir / OPTIONAL_FILES[MINILM_MODEL], "embedding",
                                   context_size=512))
    models.append(_model_entry(RERANK_MODEL, models_dir / REQUIRED_FILES[RERANK_MODEL], "rerank", context_size=512))
    config = {"server": {"worker_name": "e2e-open", "api_keys": []}, "models": models}
    srv = _start("open", config, tmp_path_factory)
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def keyed_server(tmp_path_factory, models_dir):
    """Server with API keys and requests_per_minute = KEYED_RPM per organisation."""
    models = [
        _model_entry(ONDEMAND_MODEL, models_dir / REQUIRED_FILES[ONDEMAND_MODEL], "chat",
                     context_size=1024, parallel=1, preload=False),
        _model_entry(EMBED_MODEL, models_dir / REQUIRED_FILES[EMBED_MODEL], "embedding", context_size=512),
    ]
    config = {
        "server": {
            "worker_name": "e2e-keyed",
            "api_keys": [
                {"key": OWNER_KEY, "role": "owner", "organisation": "acme"},
                {"key": MEMBER_KEY, "role": "member", "organisation": "acme"},
                {"key": LIMITED_KEY, "role": "member", "organisation": "limited"},
            ],
            "requests_per_minute": KEYED_RPM,
        },
        "models": models,
    }
    srv = _start("keyed", config, tmp_path_factory)
    yield srv
    srv.stop()


@pytest.fixture(scope="session")
def client(server) -> openai.OpenAI:
    return server.openai()


@pytest.fixture(scope="session")
def http(server):
    with server.http() as c:
        yield c


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if report.failed:
        for srv in _SERVERS:
            report.sections.append((f"pendra stderr ({srv.name}, {srv.stderr_path})", srv.stderr_tail(8000)))
