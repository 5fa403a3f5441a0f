"""Speculative decoding with a draft model, through the real binary: SmolLM2
drafting for itself, named by its configured id (`draft_model` beside the
model's fields). Drafts are accepted and counted in /metrics, a request's
`speculative: false` drafts nothing, the greedy text is the one without
drafts, and a draft model with another vocabulary fails the load naming why."""
from __future__ import annotations

import threading

import httpx
import pytest

from conftest import _model_entry, _start
from e2e_helpers import speculative_counts

SMOL = "smollm2:135m"
DRAFTED = "smollm2-drafted:135m"
BAD = "smollm2-bad-draft:135m"
TINY = "tiny-llama:e2e"


@pytest.fixture(scope="module")
def srv(tmp_path_factory, models_dir):
    smol = models_dir / "smollm2-135m-instruct.gguf"
    assert smol.is_file(), f"{smol} is missing: run `make models`"
    models = [
        _model_entry(SMOL, smol, "chat", context_size=2048, parallel=1, preload=False),
        _model_entry(DRAFTED, smol, "chat", context_size=2048, parallel=2, draft_model=SMOL,
                     speculative={"draft_max": 6, "adaptive": False}),
        _model_entry(BAD, smol, "chat", context_size=1024, parallel=1, preload=False,
                     draft_model=str(models_dir / "tiny-llama.gguf")),
        # Never loaded: only its KV estimate at BAD's size is read.
        _model_entry(TINY, models_dir / "tiny-llama.gguf", "chat", context_size=1024, parallel=1, preload=False),
    ]
    s = _start("draft", {"server": {"worker_name": "e2e-draft"}, "models": models}, tmp_path_factory)
    yield s
    s.stop()


class Companion:
    """A second stream decoding beside the measured request, so that every
    step's batch has two tokens or more with and without drafts: llama.cpp on
    CPU computes a one-token batch with another matmul kernel, whose last
    bits differ (the engine test SpeculativeDecodingTests says more)."""

    def __init__(self, srv):
        self.started = threading.Event()
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._run, args=(srv,), daemon=True)

    def _run(self, srv):
        body = {"model": DRAFTED, "messages": [{"role": "user", "content": "Tell me a very long story."}],
                "temperature": 0, "max_tokens": 1500, "ignore_eos": True, "stream": True, "speculative": False}
        with httpx.stream("POST", srv.url + "/v1/chat/completions", json=body, timeout=300) as r:
            for _ in r.iter_lines():
                self.started.set()
                if self.stop.is_set():
                    break

    def __enter__(self):
        self.thread.start()
        assert self.started.wait(60), "the companion stream did not start"
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(60)


def greedy(srv, content, **extra) -> str:
    with Companion(srv):
        r = httpx.post(srv.url + "/v1/chat/completions", timeout=300,
                       json={"model": DRAFTED, "messages": [{"role": "user", "content": content}],
                             "temperature": 0, "max_tokens": 48, **extra})
    assert r.status_code == 200, r.text
    return r.json()["choices"][0]["message"]["content"]


def test_draft_model_speculates_with_the_same_text_and_can_be_refused(srv):
    lines = "\n".join(f"step {i}: move the box from shelf {i} to shelf {i + 1}" for i in range(8))
    ask = f"Repeat these lines exactly:\n{lines}"
    plain = greedy(srv, ask, speculative=False)
    assert plain
    assert speculative_counts(srv.url, DRAFTED) == (0, 0), "the opted-out request drafted"
    fast = greedy(srv, ask)
    drafted, accepted = speculative_counts(srv.url, DRAFTED)
    assert drafted > 0 and 0 < accepted <= drafted, (drafted, accepted)
    assert fast == plain
    # A different prompt on a slot whose draft cache holds the last one. Text
    # to copy again: free text has near-ties, where the last bits of a
    # different KV cell placement (rejected guesses free cells that others
    # take) can change a greedy choice as any change of placement can.
    other = "Repeat exactly: " + ", ".join(f"{n} apples for table {n}" for n in range(3, 12))
    assert greedy(srv, other) == greedy(srv, other, speculative=False)
    print(f"\ndrafted {drafted:.0f}, accepted {accepted:.0f}: {fast[:60]!r}")


def test_the_memory_estimate_before_a_load_counts_the_draft_model(srv, models_dir):
    """The budget check before a load adds the draft model's weights and its
    KV cells (the target's count) to the target's own."""
    data = {e["id"]: e for e in httpx.get(srv.url + "/api/v1/catalogue").json()["data"]}
    smol_file = (models_dir / "smollm2-135m-instruct.gguf").stat().st_size
    tiny_file = (models_dir / "tiny-llama.gguf").stat().st_size
    smol_kv = data[BAD]["kv_cache"]["estimated_bytes"]
    assert smol_kv == 1024 * 30 * 2 * 3 * 64 * 2
    tiny_kv = data[TINY]["kv_cache"]["estimated_bytes"]
    assert data[TINY]["memory"]["estimated_bytes"] == tiny_file + tiny_kv
    assert data[BAD]["memory"]["estimated_bytes"] == smol_file + smol_kv + tiny_file + tiny_kv


def test_a_draft_model_with_another_vocabulary_fails_the_load(srv):
    r = httpx.post(srv.url + "/v1/chat/completions", timeout=60,
                   json={"model": BAD, "messages": [{"role": "user", "content": "hi"}], "max_tokens": 4})
    assert r.status_code >= 500, r.text
    message = r.json()["error"]["message"]
    assert "tiny-llama.gguf" in message and "BOS token (128000) differs" in message, message
