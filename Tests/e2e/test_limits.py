"""Limits that hold: token reservations at admission, a 504 at the embedding
deadline, a bounded generation without max_tokens, and --llama-log-level for
the whole run."""
from __future__ import annotations

import json
import os
import subprocess
import time
from pathlib import Path

import httpx
import pytest

from conftest import CHAT_MODEL, EMBED_MODEL, REQUIRED_FILES, _bin_path, _model_entry, _start
from e2e_helpers import openai_error, user

TPM = 400
# llama.cpp pads a context to a multiple of 256 cells: the smallest there is.
CONTEXT = 256


@pytest.fixture(scope="module")
def limited(tmp_path_factory, models_dir):
    config = {
        "server": {"worker_name": "e2e-limits", "api_keys": [], "tokens_per_minute": TPM,
                   "embedding_timeout_seconds": 0.3},
        "models": [
            _model_entry(CHAT_MODEL, models_dir / REQUIRED_FILES[CHAT_MODEL], "chat", context_size=CONTEXT, parallel=2),
            _model_entry(EMBED_MODEL, models_dir / REQUIRED_FILES[EMBED_MODEL], "embedding", context_size=512),
        ],
    }
    srv = _start("limits", config, tmp_path_factory)
    yield srv
    srv.stop()


def test_embedding_timeout_is_a_504_at_the_deadline(limited):
    with limited.http() as h:
        # First in this module: the bucket is full, and a request larger than the bucket needs all of it.
        big = ["word " * 400] * 2048
        start = time.monotonic()
        r = h.post("/v1/embeddings", json={"model": EMBED_MODEL, "input": big})
        elapsed = time.monotonic() - start
        err = openai_error(r, 504)
        assert "longer than" in err["message"]
        print(f"\n504 after {elapsed:.2f} s (deadline 0.3 s)")
        assert elapsed < 2.5, elapsed
        # The abandoned work (tokenizing 2048 inputs, or their decode; ~30 s
        # of both cores) stops at its next check: the server goes idle, which
        # its CPU time shows whatever else loads the machine.
        time.sleep(0.5)
        used = _cpu_seconds(limited.proc.pid)
        time.sleep(2)
        used = _cpu_seconds(limited.proc.pid) - used
        assert used < 0.4, f"the abandoned batch kept running: {used:.2f} s of CPU in 2 s"
        # And the engine answers again. The deadline is short: on a machine
        # loaded by other work even one input can take longer, so retry.
        r = _until_ok(lambda: h.post("/v1/embeddings", json={"model": EMBED_MODEL, "input": "after"}), within=60)
        assert r.status_code == 200, r.text


def _until_ok(send, within: float, pause: float = 0.0):
    """`send()` again until it answers 200 or `within` seconds pass; the last response."""
    start = time.monotonic()
    while True:
        r = send()
        if r.status_code == 200 or time.monotonic() - start > within:
            return r
        time.sleep(pause)


def _cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (/proc/PID/stat)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _first_chunk(h, body):
    """Starts a stream, reads its first event, and cuts it (the context manager closes the connection)."""
    with h.stream("POST", "/v1/chat/completions", json=body) as r:
        if r.status_code != 200:
            r.read()
            return r
        next(line for line in r.iter_lines() if line.startswith("data:"))
        return r


def test_tokens_reserved_at_admission_and_refunded(limited):
    with limited.http() as h:
        # No room for 400 in a 256-cell context: the reservation is prompt + the room left (256 of 400).
        body = {"model": CHAT_MODEL, "messages": user("hi"), "max_tokens": 400, "temperature": 0,
                "stream": True, "ignore_eos": True}
        with h.stream("POST", "/v1/chat/completions", json=body) as first:
            assert first.status_code == 200
            # Keep the line iterator referenced: a collected one closes the connection (a cut).
            lines = first.iter_lines()
            next(line for line in lines if line.startswith("data:"))
            # The first holds 256 of the 400: a second of the same size cannot get in while it runs.
            r = h.post("/v1/chat/completions", json={**body, "stream": False})
            err = openai_error(r, 429)
            assert "may use 256" in err["message"] and int(r.headers["retry-after"]) >= 1, err
        # The first was cut after a token or two: the unused part comes back as soon as
        # it ends. Refilling alone would take (256 - 144) / (400/60) = 17 s.
        start = time.monotonic()
        r = _until_ok(lambda: _first_chunk(h, body), within=10, pause=0.5)
        assert r.status_code == 200, r.text
        print(f"\nreservation refunded within {time.monotonic() - start:.1f} s")


SHARED_TPM = 1000


@pytest.fixture(scope="module")
def shared_ids(tmp_path_factory, models_dir):
    """A bucket of its own, full at the start of the test below."""
    config = {
        "server": {"worker_name": "e2e-limits-ids", "api_keys": [], "tokens_per_minute": SHARED_TPM},
        "models": [_model_entry(CHAT_MODEL, models_dir / REQUIRED_FILES[CHAT_MODEL], "chat", context_size=1024, parallel=2)],
    }
    srv = _start("limits-ids", config, tmp_path_factory)
    yield srv
    srv.stop()


def test_two_requests_sharing_a_request_id_both_get_their_refund(shared_ids):
    # A reservation belongs to its request, not to the client's X-Request-Id:
    # keyed by the id, the second overwrote the first, and the first's
    # ~370 tokens never came back (refilling them takes 20 s).
    body = {"model": CHAT_MODEL, "messages": user("hi"), "max_tokens": 360, "temperature": 0,
            "stream": True, "ignore_eos": True}
    same = {"X-Request-Id": "shared-id-1"}
    with shared_ids.http() as h1, shared_ids.http() as h2, shared_ids.http() as h3:
        with h1.stream("POST", "/v1/chat/completions", json=body, headers=same) as a:
            assert a.status_code == 200
            lines_a = a.iter_lines()
            next(line for line in lines_a if line.startswith("data:"))
            with h2.stream("POST", "/v1/chat/completions", json=body, headers=same) as b:
                assert b.status_code == 200
                assert a.headers["x-request-id"] == b.headers["x-request-id"] == "shared-id-1"
                lines_b = b.iter_lines()
                next(line for line in lines_b if line.startswith("data:"))
                # Both reservations are held at once: a third of the same size does not fit.
                r = h3.post("/v1/chat/completions", json={**body, "stream": False})
                openai_error(r, 429)
        # Both were cut after a token or two. With both refunds, 750 + prompt fits at once;
        # with one lost, the bucket holds ~600 and refills 1000/60 a second.
        big = {**body, "max_tokens": 750}
        start = time.monotonic()
        r = _until_ok(lambda: _first_chunk(h3, big), within=5, pause=0.25)
        assert r.status_code == 200, r.text
        print(f"\nboth reservations refunded within {time.monotonic() - start:.1f} s")


def test_ignore_eos_without_max_tokens_is_bounded(limited):
    with limited.http() as h:
        # A long prompt leaves little room, so the run to the end of the context is short.
        body = {"model": CHAT_MODEL, "messages": user("word " * 200), "ignore_eos": True, "temperature": 0}
        start = time.monotonic()
        while True:  # the bucket may still be refilling after the test above
            r = h.post("/v1/chat/completions", json=body, timeout=300)
            if r.status_code != 429 or time.monotonic() - start > 60:
                break
            time.sleep(1)
        assert r.status_code == 200, r.text
        u = r.json()["usage"]
        assert r.json()["choices"][0]["finish_reason"] == "length"
        assert u["prompt_tokens"] + u["completion_tokens"] <= CONTEXT, u
        assert u["completion_tokens"] >= 1, u


def test_llama_log_level_holds_after_model_load(tmp_path, models_dir):
    """Before the fix LlamaModel.init reset llama.cpp's level to warn: the info lines of the load vanished."""
    config = {"server": {"api_keys": []},
              "models": [_model_entry(EMBED_MODEL, models_dir / REQUIRED_FILES[EMBED_MODEL], "embedding",
                                      context_size=512)]}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    for level, expect_info in [("info", True), ("error", False)]:
        proc = subprocess.Popen([str(_bin_path()), "serve", "--config", str(path), "--port", "0",
                                 "--llama-log-level", level], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        try:
            line = proc.stdout.readline().decode()
            assert line.startswith("pendra listening on"), line
        finally:
            proc.terminate()
            _, err = proc.communicate(timeout=20)
        llama = [l for l in err.decode("utf-8", "replace").splitlines() if "llama.cpp:" in l]
        loader = [l for l in llama if "llama_model_loader" in l or "load_tensors" in l or "print_info" in l]
        assert bool(loader) == expect_info, (level, llama[:20])


@pytest.mark.parametrize("field,value", [("chat_timeout_seconds", 0), ("idle_timeout_seconds", -1),
                                         ("max_body_mb", 10**15)])
def test_bad_numbers_refused_in_one_line(tmp_path, models_dir, field, value):
    config = {"server": {field: value}, "models": [_model_entry(EMBED_MODEL, models_dir / REQUIRED_FILES[EMBED_MODEL],
                                                                  "embedding")]}
    path = tmp_path / "config.json"
    path.write_text(json.dumps(config))
    r = subprocess.run([str(_bin_path()), "serve", "--config", str(path), "--port", "0"], capture_output=True, timeout=30)
    assert r.returncode == 2
    lines = r.stderr.decode().strip().splitlines()
    assert len(lines) == 1 and f"server.{field} must be" in lines[0], lines


def test_a_model_load_past_load_timeout_seconds_is_abandoned_with_a_504(tmp_path_factory, models_dir):
    """llama.cpp's progress callback stops the load at the deadline (here one
    microsecond: passed before the first tensor is read); the request gets a
    504 naming the setting, the load queue is free again, and the server
    still answers."""
    config = {
        "server": {"worker_name": "e2e-load-timeout", "api_keys": [], "load_timeout_seconds": 0.000001},
        "models": [_model_entry(CHAT_MODEL, models_dir / REQUIRED_FILES[CHAT_MODEL], "chat",
                                context_size=CONTEXT, preload=False)],
    }
    srv = _start("load-timeout", config, tmp_path_factory)
    try:
        with srv.http() as h:
            for _ in range(2):
                start = time.monotonic()
                r = h.post("/v1/chat/completions", json={"model": CHAT_MODEL, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 1})
                err = openai_error(r, 504)
                assert "load_timeout_seconds" in err["message"] and CHAT_MODEL in err["message"], err
                assert time.monotonic() - start < 10
            assert h.get("/v1/models").status_code == 200
            health = h.get("/health").json()
            assert [m["loaded"] for m in health["models"]] == [False], health
    finally:
        srv.stop()
