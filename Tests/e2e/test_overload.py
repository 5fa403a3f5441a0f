"""A full waiting queue answers 503 with Retry-After, before any stream starts."""
from __future__ import annotations

import time

import openai
import pytest

from conftest import CHAT_MODEL, REQUIRED_FILES, _model_entry, _start
from e2e_helpers import openai_error, user


@pytest.fixture(scope="module")
def tight_server(tmp_path_factory, models_dir):
    config = {
        "server": {"worker_name": "e2e-tight", "max_waiting": 1, "api_keys": []},
        "models": [_model_entry(CHAT_MODEL, models_dir / REQUIRED_FILES[CHAT_MODEL], "chat",
                                context_size=2048, parallel=1)],
    }
    srv = _start("tight", config, tmp_path_factory)
    yield srv
    srv.stop()


def _state(h):
    return next(m for m in h.get("/health").json()["models"] if m["id"] == CHAT_MODEL)


def test_full_queue_is_503(tight_server):
    body = {"model": CHAT_MODEL, "messages": user("Go on forever."), "max_tokens": 1500, "ignore_eos": True,
            "temperature": 0.7, "seed": 1, "stream": True}
    with tight_server.http() as h, tight_server.http() as a, tight_server.http() as b:
        with a.stream("POST", "/v1/chat/completions", json=body) as ra:
            assert ra.status_code == 200
            lines_a = ra.iter_lines()
            next(line for line in lines_a if line.startswith("data:"))
            with b.stream("POST", "/v1/chat/completions", json=body) as rb:
                assert rb.status_code == 200
                lines_b = rb.iter_lines()
                # The role chunk comes before the engine admits the sequence.
                next(line for line in lines_b if line.startswith("data:"))
                deadline = time.monotonic() + 5
                while _state(h)["waiting"] != 1 and time.monotonic() < deadline:
                    time.sleep(0.05)
                s = _state(h)
                assert s["running"] == 1 and s["waiting"] == 1, s

                r = h.post("/v1/chat/completions", json={"model": CHAT_MODEL, "messages": user("me too"),
                                                         "max_tokens": 2})
                err = openai_error(r, 503)
                assert int(r.headers["retry-after"]) >= 1
                assert r.headers.get("x-worker-name") == "e2e-tight"
                assert "overloaded" in err["message"].lower() or "retry" in err["message"].lower()
                r = h.post("/v1/chat/completions", json={**body, "max_tokens": 2})
                openai_error(r, 503)
                with pytest.raises(openai.APIStatusError) as e:
                    tight_server.openai().chat.completions.create(model=CHAT_MODEL, messages=user("x"), max_tokens=2)
                assert e.value.status_code == 503
                rb.close()
                del lines_b
            ra.close()
            del lines_a
        # Both streams left: the engine drains and serves again.
        deadline = time.monotonic() + 5
        while (_state(h)["running"], _state(h)["waiting"]) != (0, 0) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert (_state(h)["running"], _state(h)["waiting"]) == (0, 0), _state(h)
        c = tight_server.openai().chat.completions.create(model=CHAT_MODEL, messages=user("x"), max_tokens=2)
        assert c.usage.completion_tokens == 2


def test_sigterm_stops_an_idle_server_promptly(tight_server):
    """Runs last in this module: the fixture's own stop is then a no-op."""
    import signal
    import subprocess

    proc = tight_server.proc
    assert proc.poll() is None
    t0 = time.monotonic()
    proc.send_signal(signal.SIGTERM)
    try:
        code = proc.wait(8)
    except subprocess.TimeoutExpired:
        proc.kill()
        pytest.fail("pendra did not exit within 8 s of SIGTERM while idle")
    assert code == 0, f"exit code {code}"
    assert time.monotonic() - t0 < 8
