"""The Ollama-compatible API through the official `ollama` Python client,
unchanged, against the real binary. Expected values come from elsewhere:
the GGUF files themselves (size, SHA-256, the generator's gguf-py sidecar),
or Pendra's OpenAI routes on the same greedy request."""
from __future__ import annotations

import hashlib
import json
import math
import os
import time
from datetime import datetime, timezone

import jsonschema
import ollama
import pytest

from conftest import CHAT_MODEL, EMBED_MODEL, MINILM_MODEL, ONDEMAND_MODEL, RERANK_MODEL

GREEDY = {"temperature": 0, "num_predict": 8, "seed": 7}
WEATHER = {
    "type": "object",
    "properties": {"city": {"type": "string", "maxLength": 24},
                   "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
    "required": ["city", "unit"],
}
TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Weather for a city",
                                           "parameters": WEATHER}}]
# gguf-py's LlamaFileType names for the file types the generator writes.
FILE_TYPES = {0: "F32", 1: "F16", 7: "Q8_0"}


@pytest.fixture(scope="module")
def oc(server) -> ollama.Client:
    return ollama.Client(host=server.url, timeout=120)


def _configured(server):
    return [(m["id"], m["path"]) for m in server.config["models"]]


def _sidecar(path):
    with open(str(path) + ".json", encoding="utf-8") as f:
        return json.load(f)


def _rounded(count: int) -> str:
    """gguf-py's model_weight_count_rounded_notation (gguf/utility.py)."""
    for limit, scale, suffix in ((1e12, 1e-12, "T"), (1e9, 1e-9, "B"), (1e6, 1e-6, "M")):
        if count > limit:
            break
    else:
        scale, suffix = 1e-3, "K"
    scaled = count * scale
    fix = max(2 - len(str(round(scaled)).lstrip("0")), 0)
    return f"{scaled:.{fix}f}{suffix}"


def _expected_details(path):
    side = _sidecar(path)
    kv = side["kv"]
    params = sum(math.prod(t["shape"]) for t in side["tensors"])
    return {"format": "gguf", "family": kv["general.architecture"], "families": [kv["general.architecture"]],
            "parameter_size": kv.get("general.size_label") or _rounded(params),
            "quantization_level": FILE_TYPES[kv["general.file_type"]]}


def _sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


# ---- models: list, show, ps ------------------------------------------------

def _listed_once_hashed(oc):
    """The list once every digest is in: files are hashed in the background
    at start-up and a listing waits for them only briefly."""
    deadline = time.monotonic() + 120
    while True:
        listed = oc.list().models
        if all(m.digest for m in listed) or time.monotonic() > deadline:
            return listed
        time.sleep(0.5)


def test_list_every_configured_model_with_gguf_details(server, oc):
    listed = _listed_once_hashed(oc)
    assert [m.model for m in listed] == [mid for mid, _ in _configured(server)]
    paths = dict(_configured(server))
    for m in listed:
        path = paths[m.model]
        assert m.size == os.path.getsize(path)
        assert m.digest == _sha256(path)
        assert m.modified_at.tzinfo is not None
        assert int(m.modified_at.timestamp()) == int(os.path.getmtime(path))
        expected = _expected_details(path)
        got = m.details.model_dump()
        assert {k: got[k] for k in expected} == expected, m.model


def test_seed_004_model_picker_mapping(server, http):
    """The notebook app of seeds/004 maps a local Ollama's /api/tags to
    {id, name, parameter_size, quantization, family, size_mb}, leaving out
    embedding-only models by name. Reproduced here on the raw JSON."""
    tags = http.get("/api/tags").json()

    def app_mapping(m):
        d = m.get("details", {})
        return {"id": m["name"], "name": m["name"], "parameter_size": d.get("parameter_size", ""),
                "quantization": d.get("quantization_level", ""), "family": d.get("family", ""),
                "size_mb": round(m.get("size", 0) / 1_000_000)}

    embedding_markers = ("embed", "minilm", "rerank", "bge")
    picked = [app_mapping(m) for m in tags["models"] if not any(k in m["name"] for k in embedding_markers)]
    paths = dict(_configured(server))
    assert [p["id"] for p in picked] == [CHAT_MODEL, ONDEMAND_MODEL]
    for p in picked:
        d = _expected_details(paths[p["id"]])
        assert p["parameter_size"] == d["parameter_size"] and p["parameter_size"][-1] in "KMBT"
        assert p["quantization"] == d["quantization_level"] == "F16"
        assert p["family"] == {CHAT_MODEL: "llama", ONDEMAND_MODEL: "qwen2"}[p["id"]]
        assert p["size_mb"] == round(os.path.getsize(paths[p["id"]]) / 1_000_000) > 0


def test_show_reports_gguf_metadata_template_and_capabilities(server, oc, http):
    paths = dict(_configured(server))
    info = oc.show(CHAT_MODEL)
    kv = _sidecar(paths[CHAT_MODEL])["kv"]
    assert info.template == kv["tokenizer.chat_template"]
    assert info.modelinfo["general.architecture"] == "llama"
    assert info.modelinfo["llama.context_length"] == kv["llama.context_length"]
    assert info.modelinfo["llama.embedding_length"] == kv["llama.embedding_length"]
    assert info.modelinfo["tokenizer.ggml.tokens"] is None, "token lists only with verbose"
    assert info.modelinfo["general.parameter_count"] == sum(
        math.prod(t["shape"]) for t in _sidecar(paths[CHAT_MODEL])["tensors"])
    assert set(info.capabilities) == {"completion", "tools"}  # Llama 3.1's template takes tools
    assert "num_ctx" in info.parameters and "<|eot_id|>" in info.parameters
    assert info.details.family == "llama" and info.details.format == "gguf"
    assert info.modified_at is not None
    assert oc.show(EMBED_MODEL).capabilities == ["embedding"]
    assert oc.show(RERANK_MODEL).capabilities == ["rerank"]
    # verbose adds the arrays of moderate size: BERT's 30k-token vocabulary, not Llama 3's 128k.
    verbose = http.post("/api/show", json={"model": EMBED_MODEL, "verbose": True}).json()["model_info"]
    bert = _sidecar(paths[EMBED_MODEL])
    assert len(verbose["tokenizer.ggml.tokens"]) == bert["array_lengths"]["tokenizer.ggml.tokens"]
    assert http.post("/api/show", json={"model": CHAT_MODEL, "verbose": True}).json()["model_info"][
        "tokenizer.ggml.tokens"] is None


def test_ps_lists_loaded_models_with_expiry_and_context(oc):
    running = {m.model: m for m in oc.ps().models}
    assert CHAT_MODEL in running and EMBED_MODEL in running
    m = running[CHAT_MODEL]
    assert m.context_length == 4096
    assert m.size > 0 and m.size_vram in (0, m.size)
    assert m.expires_at > datetime.now(timezone.utc)
    assert m.details.family == "llama"


def test_version(http):
    r = http.get("/api/version")
    assert r.status_code == 200
    assert [int(x) for x in r.json()["version"].split(".")] >= [0, 6, 0]


def test_keep_alive_zero_unloads_after_the_reply(oc):
    loaded = oc.generate(model=ONDEMAND_MODEL, prompt="")  # an empty prompt only loads
    assert loaded.done and loaded.done_reason == "load" and loaded.response == ""
    assert ONDEMAND_MODEL in [m.model for m in oc.ps().models]
    r = oc.chat(model=ONDEMAND_MODEL, messages=[{"role": "user", "content": "Hi"}], options=GREEDY, keep_alive=0)
    assert r.done and r.eval_count == GREEDY["num_predict"]
    assert ONDEMAND_MODEL not in [m.model for m in oc.ps().models]


# ---- chat --------------------------------------------------------------------

def _openai_greedy(server, messages, max_tokens=GREEDY["num_predict"]):
    r = server.openai().chat.completions.create(model=CHAT_MODEL, messages=messages, max_tokens=max_tokens,
                                                temperature=0, seed=7)
    return r.choices[0].message.content, r.usage


def test_chat_non_streaming_matches_the_openai_route(server, oc):
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Name a colour."}]
    r = oc.chat(model=CHAT_MODEL, messages=messages, options=GREEDY, stream=False)
    text, usage = _openai_greedy(server, messages)
    assert r.message.role == "assistant"
    assert r.message.content == text
    assert r.done is True and r.done_reason == "length"
    assert r.prompt_eval_count == usage.prompt_tokens
    assert r.eval_count == usage.completion_tokens == GREEDY["num_predict"]
    for field in ("total_duration", "load_duration", "prompt_eval_duration", "eval_duration"):
        assert isinstance(getattr(r, field), int) and getattr(r, field) >= 0, field
    assert r.total_duration >= r.eval_duration > 0
    assert r.total_duration < 120 * 10**9, "nanoseconds, not something larger"


def test_chat_streams_ndjson_and_ends_with_the_counts(server, oc):
    messages = [{"role": "user", "content": "Count to three."}]
    chunks = list(oc.chat(model=CHAT_MODEL, messages=messages, options=GREEDY, stream=True))
    assert len(chunks) >= 2
    assert all(not c.done for c in chunks[:-1]) and chunks[-1].done
    last = chunks[-1]
    assert last.done_reason == "length" and last.eval_count == GREEDY["num_predict"]
    assert last.message.content == ""
    text, _ = _openai_greedy(server, messages)
    assert "".join(c.message.content for c in chunks) == text


def test_chat_stop_option_ends_the_reply(oc):
    first = oc.chat(model=CHAT_MODEL, messages=[{"role": "user", "content": "Hi"}], options=GREEDY)
    words = first.message.content.split()
    assert len(words) >= 2, first.message.content
    r = oc.chat(model=CHAT_MODEL, messages=[{"role": "user", "content": "Hi"}],
                options={**GREEDY, "stop": [words[1]]})
    assert r.done_reason == "stop"
    assert words[1] not in r.message.content and first.message.content.startswith(r.message.content)


def _tool_call_format():
    """A schema in Llama 3.1's own tool-call syntax: with random weights it
    stands in for a model that chose to call; the parsing is the real one."""
    return {"type": "object",
            "properties": {"name": {"type": "string", "enum": ["get_weather"]}, "parameters": WEATHER},
            "required": ["name", "parameters"]}


@pytest.mark.parametrize("stream", [False, True])
def test_chat_with_tools_returns_tool_calls(oc, stream):
    ask = [{"role": "user", "content": "What is the weather in Paris?"}]
    kwargs = dict(model=CHAT_MODEL, messages=ask, tools=TOOLS, format=_tool_call_format(),
                  options={"temperature": 0, "num_predict": 120})
    if stream:
        chunks = list(oc.chat(**kwargs, stream=True))
        calls = [c for ch in chunks for c in (ch.message.tool_calls or [])]
        assert chunks[-1].done
    else:
        r = oc.chat(**kwargs)
        assert r.done
        calls = r.message.tool_calls or []
    assert len(calls) == 1, calls
    call = calls[0]
    assert call.function.name == "get_weather"
    jsonschema.validate(dict(call.function.arguments), WEATHER)
    # The call and its result go back as history, as an agent loop sends them.
    follow = oc.chat(model=CHAT_MODEL, tools=TOOLS, options=GREEDY, messages=ask + [
        {"role": "assistant", "content": "", "tool_calls": [call.model_dump(exclude_none=True)]},
        {"role": "tool", "tool_name": "get_weather", "content": '{"temperature": 21}'}])
    assert follow.done and follow.eval_count == GREEDY["num_predict"]


def test_chat_format_schema_gives_valid_json(oc):
    # An enum keeps the random model's answer short: the grammar allows
    # nothing but the object and its whitespace.
    schema = {"type": "object", "properties": {"colour": {"type": "string", "enum": ["red", "green", "blue"]}},
              "required": ["colour"]}
    r = oc.chat(model=CHAT_MODEL, messages=[{"role": "user", "content": "A colour as JSON"}], format=schema,
                options={"temperature": 0, "num_predict": 200})
    assert r.done_reason == "stop", "the grammar ends the object before the limit"
    jsonschema.validate(json.loads(r.message.content), schema)
    r = oc.chat(model=CHAT_MODEL, messages=[{"role": "user", "content": "JSON please"}], format="json",
                options={"temperature": 0, "num_predict": 40})
    assert r.message.content.lstrip().startswith("{")
    if r.done_reason == "stop":
        assert isinstance(json.loads(r.message.content), dict)


def test_think_is_accepted_and_ignored(oc):
    r = oc.chat(model=CHAT_MODEL, messages=[{"role": "user", "content": "Hi"}], options=GREEDY, think=True)
    plain = oc.chat(model=CHAT_MODEL, messages=[{"role": "user", "content": "Hi"}], options=GREEDY)
    assert r.message.content == plain.message.content and not r.message.thinking


def test_runner_options_are_logged_as_ignored(server, oc):
    oc.chat(model=CHAT_MODEL, messages=[{"role": "user", "content": "Hi"}],
            options={**GREEDY, "num_ctx": 99, "num_gpu": 1})
    assert "options num_ctx, num_gpu ignored" in server.stderr_tail()


# ---- generate ------------------------------------------------------------------

def test_generate_renders_prompt_and_system_as_a_chat_turn(server, oc):
    r = oc.generate(model=CHAT_MODEL, prompt="Name a colour.", system="Be brief.", options=GREEDY)
    text, usage = _openai_greedy(server, [{"role": "system", "content": "Be brief."},
                                          {"role": "user", "content": "Name a colour."}])
    assert r.response == text and r.done and r.done_reason == "length"
    assert r.prompt_eval_count == usage.prompt_tokens
    chunks = list(oc.generate(model=CHAT_MODEL, prompt="Name a colour.", system="Be brief.", options=GREEDY,
                              stream=True))
    assert "".join(c.response for c in chunks) == text and chunks[-1].done


@pytest.mark.parametrize("extra", [{"raw": True}, {"suffix": "return x"}])
def test_generate_raw_or_suffix_is_415(oc, extra):
    with pytest.raises(ollama.ResponseError) as e:
        oc.generate(model=CHAT_MODEL, prompt="def f(x):", **extra)
    assert e.value.status_code == 415
    assert "raw text completions" in e.value.error and "/api/chat" in e.value.error


# ---- embed -------------------------------------------------------------------------

def test_embed_matches_the_openai_route(server, oc, has_minilm):
    model = MINILM_MODEL if has_minilm else EMBED_MODEL
    texts = ["A man is eating food.", "A man eats bread."]
    r = oc.embed(model=model, input=texts)
    ref = server.openai().embeddings.create(model=model, input=texts)
    assert len(r.embeddings) == 2
    for got, want in zip(r.embeddings, ref.data):
        assert len(got) == len(want.embedding)
        assert max(abs(a - b) for a, b in zip(got, want.embedding)) < 1e-6
    assert r.prompt_eval_count == ref.usage.prompt_tokens
    legacy = oc.embeddings(model=model, prompt=texts[0])
    assert max(abs(a - b) for a, b in zip(legacy.embedding, r.embeddings[0])) < 1e-6


def test_embed_truncate_and_dimensions(http):
    long = "word " * 2000
    ok = http.post("/api/embed", json={"model": EMBED_MODEL, "input": long})
    assert ok.status_code == 200 and ok.json()["prompt_eval_count"] == 512
    refused = http.post("/api/embed", json={"model": EMBED_MODEL, "input": long, "truncate": False})
    assert refused.status_code == 400 and "truncate" in refused.json()["error"]
    dims = http.post("/api/embed", json={"model": EMBED_MODEL, "input": "x", "dimensions": 7})
    assert dims.status_code == 400 and "cannot shorten" in dims.json()["error"]


# ---- errors --------------------------------------------------------------------------

def test_unknown_model_is_404_in_ollama_shape(oc, http):
    with pytest.raises(ollama.ResponseError) as e:
        oc.chat(model="nope:latest", messages=[{"role": "user", "content": "Hi"}])
    assert e.value.status_code == 404 and "nope:latest" in e.value.error
    r = http.post("/api/show", json={"model": "nope"})
    assert r.status_code == 404 and list(r.json()) == ["error"]
    assert r.headers["X-Request-Id"]


def test_wrong_capability_is_400(oc):
    with pytest.raises(ollama.ResponseError) as e:
        oc.chat(model=EMBED_MODEL, messages=[{"role": "user", "content": "Hi"}])
    assert e.value.status_code == 400 and "does not support chat" in e.value.error
    with pytest.raises(ollama.ResponseError) as e:
        oc.embed(model=CHAT_MODEL, input="x")
    assert e.value.status_code == 400


def test_model_management_is_refused_clearly(oc, http):
    for call in (lambda: oc.pull(CHAT_MODEL), lambda: oc.delete(CHAT_MODEL),
                 lambda: oc.copy(CHAT_MODEL, "x:latest"), lambda: oc.push(CHAT_MODEL),
                 lambda: oc.create(model="x", from_=CHAT_MODEL)):
        with pytest.raises(ollama.ResponseError) as e:
            call()
        assert e.value.status_code == 400 and "GGUF files named in its config" in e.value.error
    assert http.head("/api/blobs/sha256:" + "0" * 64).status_code == 404


def test_unknown_api_route_and_bad_body_use_the_ollama_envelope(http):
    r = http.get("/api/nope")
    assert r.status_code == 404 and list(r.json()) == ["error"]
    r = http.post("/api/chat", content=b"{not json", headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and list(r.json()) == ["error"]
    r = http.post("/api/chat", json={"model": CHAT_MODEL, "messages": [{"role": "robot", "content": "x"}]})
    assert r.status_code == 400 and "robot" in r.json()["error"]
    r = http.post("/api/chat", json={"model": CHAT_MODEL, "messages": [{"role": "user", "content": "x"}],
                                     "options": {"temperature": "hot"}})
    assert r.status_code == 400 and "options.temperature" in r.json()["error"]


def test_streamed_reply_is_ndjson_with_request_id(http):
    with http.stream("POST", "/api/chat", json={"model": CHAT_MODEL, "options": GREEDY,
                                                "messages": [{"role": "user", "content": "Hi"}]}) as r:
        assert r.status_code == 200
        assert r.headers["Content-Type"] == "application/x-ndjson"
        assert r.headers["X-Request-Id"] and r.headers["X-Worker-Id"]
        lines = [json.loads(line) for line in r.iter_lines() if line]
    assert lines[-1]["done"] is True and all(line["done"] is False for line in lines[:-1])
    assert all(set(line) >= {"model", "created_at", "message", "done"} for line in lines)
