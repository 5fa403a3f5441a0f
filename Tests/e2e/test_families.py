"""The model-family matrix (Tests/e2e/configs/families.json): one random-weight
model per memory type llama.cpp has (unified KV, sliding window, hybrid,
recurrent), each with its family's vocabulary and chat template.

Prefix reuse must not change what a model says: three-turn conversations, each
turn reusing the cached previous one, give the same greedy output as the same
turns sent to a Pendra with the prefix cache off.  Chunking is controlled: on
the CPU backend a one-token batch goes through ggml's vec_dot kernels and a
larger one through llamafile's tinyBLAS, whose sums round differently, so a
reused prefix (its reply tokens decoded one at a time) and a full prefill (all
in one batch) could differ by kernel alone.  Both parity servers therefore run
with batch_size 1 (and so parallel 1: llama.cpp needs n_batch >= n_seq_max):
every token of both runs takes the same kernel path, and any difference is the
cache's.  Concurrency runs with the config's own batch size and parallelism.
"""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from conftest import _start

CONFIG = Path(__file__).resolve().parent / "configs" / "families.json"
FAMILY = json.loads(CONFIG.read_text())
MODEL_IDS = [m["id"] for m in FAMILY["models"]]
# Attention memory keeps a reusable prefix: unified KV always, the sliding
# window (32 tokens, swa_full off) while the cells the turn needs are held.
# Recurrent memory resumes from the checkpoint where the previous prompt ended.
REUSES_PREFIX = {"tiny-mistral:latest", "tiny-gemma3:latest", "tiny-gpt-oss:latest", "tiny-mamba2:latest",
                 "tiny-qwen35:latest"}
# qwen35's template renders the previous reply without the "<think>\n" its
# generation prompt ended with, so the new prompt leaves the old one two tokens
# before its end: its hybrid memory resumes from an earlier checkpoint, and
# reuses less than the whole previous prompt.
RESUMES_SHORT = {"tiny-qwen35:latest"}

REPLY_TOKENS = 8
CONVERSATIONS = [
    ["Hello! Who are you?", "Tell me more about that.", "Thanks. Now say it in one line."],
    ["Write a haiku about rivers.", "Another one, about mountains.", "Which of the two do you prefer?"],
]
SYSTEM = "You are a terse assistant."


def _entries(models_dir: Path, **overrides) -> list[dict]:
    """The config's models, their files taken from PENDRA_MODELS_DIR."""
    out = []
    for m in FAMILY["models"]:
        e = dict(m, path=str(models_dir / Path(m["path"]).name), **overrides)
        if not Path(e["path"]).is_file():
            pytest.fail(f"{e['path']} is missing: run `make models`", pytrace=False)
        out.append(e)
    return out


def _server(name: str, tmp_path_factory, models_dir: Path, **overrides):
    # One thread: on a shared 2-core machine ggml's spinning thread barrier
    # makes two-thread decoding of these tiny models 10-30x slower; results
    # do not depend on the thread count (each output element is one thread's).
    overrides.setdefault("threads", 1)
    config = {"server": {"worker_name": f"e2e-{name}", "api_keys": []},
              "models": _entries(models_dir, **overrides)}
    return _start(name, config, tmp_path_factory)


@pytest.fixture(scope="module")
def reuse_server(tmp_path_factory, models_dir):
    srv = _server("families-reuse", tmp_path_factory, models_dir, batch_size=1, parallel=1)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def fresh_server(tmp_path_factory, models_dir):
    srv = _server("families-fresh", tmp_path_factory, models_dir, batch_size=1, parallel=1,
                  prefix_cache=False)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def busy_server(tmp_path_factory, models_dir):
    srv = _server("families-busy", tmp_path_factory, models_dir)
    yield srv
    srv.stop()


def _chat(c: httpx.Client, model: str, messages: list[dict], max_tokens: int = REPLY_TOKENS) -> dict:
    r = c.post("/v1/chat/completions", json={"model": model, "messages": messages, "temperature": 0,
                                             "max_tokens": max_tokens})
    assert r.status_code == 200, f"{model}: {r.status_code} {r.text[:500]}"
    return r.json()


def _turns(srv, model: str) -> list[dict]:
    """Two conversations, one after the other: turns 2 and 3 reuse the whole
    previous turn; the second conversation's first turn shares only the
    template's opening tokens with the cached end of the first (a partial
    reuse, which recurrent memory cannot do by removing cells)."""
    histories = [[{"role": "system", "content": SYSTEM}], []]
    results = []
    with httpx.Client(base_url=srv.url, timeout=300) as c:
        for conv, history in enumerate(histories):
            for turn in range(3):
                history.append({"role": "user", "content": CONVERSATIONS[conv][turn]})
                body = _chat(c, model, history)
                msg = body["choices"][0]["message"]
                results.append({
                    "turn": f"conversation {conv} turn {turn + 1}",
                    "content": msg.get("content"),
                    "reasoning": msg.get("reasoning_content"),
                    "finish_reason": body["choices"][0]["finish_reason"],
                    "prompt_tokens": body["usage"]["prompt_tokens"],
                    "completion_tokens": body["usage"]["completion_tokens"],
                    "cached": body["usage"]["prompt_tokens_details"]["cached_tokens"],
                })
                history.append({"role": "assistant", "content": msg.get("content") or ""})
    return results


@pytest.mark.parametrize("model", MODEL_IDS)
def test_prefix_reuse_matches_fresh_prefill(reuse_server, fresh_server, model):
    reused = _turns(reuse_server, model)
    fresh = _turns(fresh_server, model)
    assert all(f["cached"] == 0 for f in fresh), f"prefix cache off, yet reused: {fresh}"
    for r in reused:
        assert r["finish_reason"] == "length" and r["completion_tokens"] == REPLY_TOKENS, r
        assert (r["content"] or r["reasoning"] or "").strip(), f"empty reply: {r}"
    if model in REUSES_PREFIX:
        later = [r for r in reused if not r["turn"].endswith("turn 1")]
        assert all(r["cached"] > 0 for r in later), f"later turns reused nothing: {reused}"
    if model in RESUMES_SHORT:
        pairs = [(p, r) for p, r in zip(reused, reused[1:]) if not r["turn"].endswith("turn 1")]
        assert all(r["cached"] < p["prompt_tokens"] for p, r in pairs), (
            f"{model} now reuses the whole previous prompt: move it out of RESUMES_SHORT: {reused}")
    strip = lambda rows: [{k: v for k, v in x.items() if k != "cached"} for x in rows]  # noqa: E731
    assert strip(reused) == strip(fresh), (
        f"{model}: reuse changed the output (cached tokens per turn: {[r['cached'] for r in reused]})")


@pytest.mark.parametrize("model", MODEL_IDS)
def test_sixteen_concurrent_requests(busy_server, model):
    """16 requests on 4 slots, sharing a system-prompt prefix, then each
    continued by a second turn (prefix reuse under concurrency)."""
    def first(i: int) -> list[dict]:
        return [{"role": "system", "content": SYSTEM},
                {"role": "user", "content": f"Request number {i}: describe the colour {i * 7 % 11}."}]

    def run(messages: list[dict]) -> dict:
        with httpx.Client(base_url=busy_server.url, timeout=300) as c:
            return _chat(c, model, messages, max_tokens=8)

    with ThreadPoolExecutor(16) as pool:
        firsts = list(pool.map(run, [first(i) for i in range(16)]))
        seconds = list(pool.map(run, [
            first(i) + [{"role": "assistant", "content": b["choices"][0]["message"].get("content") or ""},
                        {"role": "user", "content": "And the next one?"}]
            for i, b in enumerate(firsts)]))
    for body in firsts + seconds:
        choice = body["choices"][0]
        assert choice["finish_reason"] == "length", body
        assert body["usage"]["completion_tokens"] == 8, body
