"""Error envelopes, the /api/v1 aliases, request ids and /metrics."""
from __future__ import annotations

import re

import openai
import pytest

from conftest import CHAT_MODEL, EMBED_MODEL
from e2e_helpers import REQUEST_ID_RE, openai_error, user

HELLO = user("hello")


@pytest.mark.parametrize("path", ["/v1/completions", "/api/v1/completions"])
def test_raw_completions_is_415(http, path):
    r = http.post(path, json={"model": CHAT_MODEL, "prompt": "def fibonacci(n):", "max_tokens": 8})
    err = openai_error(r, 415)
    assert "chat/completions" in err["message"]


def test_raw_completions_415_through_sdk(server):
    for prefix in ("/v1", "/api/v1"):
        with pytest.raises(openai.APIStatusError) as e:
            server.openai(prefix=prefix).completions.create(model=CHAT_MODEL, prompt="Once upon a time", max_tokens=4)
        assert e.value.status_code == 415
        assert "chat/completions" in e.value.message


def test_unknown_model(client, http):
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(model="no-such-model:7b", messages=HELLO, max_tokens=2)
    assert e.value.status_code == 400
    assert e.value.code == "model_not_found"
    r = http.post("/v1/chat/completions", json={"model": "no-such-model:7b", "messages": HELLO})
    err = openai_error(r, 400)
    assert err["code"] == "model_not_found"
    assert err["param"] == "model"
    assert "no-such-model:7b" in err["message"]
    for valid in (CHAT_MODEL, "tiny-qwen2:latest", EMBED_MODEL):
        assert valid in err["message"], f"message does not list {valid}: {err['message']}"
    # Embeddings too.
    err = openai_error(http.post("/v1/embeddings", json={"model": "no-such-model:7b", "input": "x"}), 400)
    assert err["code"] == "model_not_found"


def test_invalid_json(http):
    r = http.post("/v1/chat/completions", content=b'{"model": "tiny-llama:latest", "messages": [',
                  headers={"Content-Type": "application/json"})
    openai_error(r, 400)
    r = http.post("/v1/chat/completions", content=b"[1, 2, 3]", headers={"Content-Type": "application/json"})
    openai_error(r, 400)
    r = http.post("/v1/chat/completions", content=b"", headers={"Content-Type": "application/json"})
    openai_error(r, 400)


def test_malformed_json_names_the_byte_offset(http):
    """Issue 13: Pendra's own parser says where the body stops being JSON; bad
    UTF-8 and nesting past 512 levels are 400s too, never a crash."""
    def post(body):
        return openai_error(http.post("/v1/chat/completions", content=body,
                                      headers={"Content-Type": "application/json"}), 400)["message"]
    message = post(b'{"model": "tiny-llama:latest", "messages": [}')
    assert message.startswith("Malformed JSON body: ") and "at byte 44" in message, message
    assert "invalid UTF-8" in post(b'{"model": "\xff"}')
    assert "nesting deeper than 512 levels" in post(b"[" * 100_000)


@pytest.mark.parametrize("body,param,words", [
    ({"model": CHAT_MODEL, "messages": HELLO, "temperature": "hot"}, "temperature", ["temperature", "number"]),
    ({"model": CHAT_MODEL, "messages": HELLO, "temperature": 7}, "temperature", ["temperature"]),
    ({"model": CHAT_MODEL, "messages": HELLO, "max_tokens": "many"}, "max_tokens", ["max_tokens"]),
    ({"model": CHAT_MODEL, "messages": HELLO, "stop": 5}, "stop", ["stop"]),
    ({"model": CHAT_MODEL}, "messages", ["messages"]),
    ({"model": CHAT_MODEL, "messages": []}, "messages", ["messages"]),
    ({"messages": HELLO}, "model", ["model"]),
    ({"model": CHAT_MODEL, "messages": [{"role": "wizard", "content": "hi"}]}, "messages[0].role", ["wizard"]),
    ({"model": CHAT_MODEL, "messages": ["hi"]}, "messages[0]", ["messages[0]"]),
], ids=["temperature-string", "temperature-range", "max-tokens-string", "stop-number", "missing-messages",
        "empty-messages", "missing-model", "wrong-role", "message-not-object"])
def test_malformed_bodies(http, body, param, words):
    err = openai_error(http.post("/v1/chat/completions", json=body), 400)
    assert err["param"] == param, err
    for w in words:
        assert w in err["message"], err


def test_wrong_type_through_sdk(client):
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(model=CHAT_MODEL, messages=HELLO, temperature="hot")  # type: ignore[arg-type]
    assert "temperature" in e.value.message


def test_n_2_refused_or_served(http):
    r = http.post("/v1/chat/completions", json={"model": CHAT_MODEL, "messages": HELLO, "n": 2, "max_tokens": 3})
    if r.status_code == 200:
        assert len(r.json()["choices"]) == 2
    else:
        err = openai_error(r, 400)
        assert err["param"] == "n"


def test_image_content_part_is_clear_400(http, client):
    messages = [{"role": "user", "content": [
        {"type": "text", "text": "What is in this picture?"},
        {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo="}},
    ]}]
    err = openai_error(http.post("/v1/chat/completions", json={"model": CHAT_MODEL, "messages": messages}), 400)
    assert "image" in err["message"].lower()
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model=CHAT_MODEL, messages=messages, max_tokens=2)
    # Text parts alone are fine.
    ok = client.chat.completions.create(model=CHAT_MODEL, max_tokens=2,
                                        messages=[{"role": "user", "content": [{"type": "text", "text": "hi"}]}])
    assert ok.choices[0].message.role == "assistant"


def test_wrong_content_type(http):
    r = http.post("/v1/chat/completions", content=b"model=x", headers={"Content-Type": "application/x-www-form-urlencoded"})
    # 415, decided from the head: a form body is what a web page can send unasked.
    openai_error(r, 415)


def test_unknown_route_and_method(http):
    err = openai_error(http.get("/v1/nothing-here"), 404)
    assert "/v1/nothing-here" in err["message"]
    r = http.get("/v1/chat/completions")
    openai_error(r, 405)
    assert "POST" in r.headers.get("allow", "")


def test_api_v1_prefix_for_chat_embeddings_models(server):
    c = server.openai(prefix="/api/v1")
    raw = c.chat.completions.with_raw_response.create(model=CHAT_MODEL, messages=HELLO, max_tokens=3, temperature=0)
    chat = raw.parse()
    assert chat.object == "chat.completion" and chat.usage.completion_tokens > 0
    assert raw.headers.get("x-worker-name") == "e2e-open" and raw.headers.get("x-worker-id")
    ref = server.openai().chat.completions.create(model=CHAT_MODEL, messages=HELLO, max_tokens=3, temperature=0)
    assert chat.choices[0].message.content == ref.choices[0].message.content

    stream = list(c.chat.completions.create(model=CHAT_MODEL, messages=HELLO, max_tokens=3, temperature=0, stream=True))
    assert "".join(x.choices[0].delta.content or "" for x in stream if x.choices) == ref.choices[0].message.content

    emb = c.embeddings.create(model=EMBED_MODEL, input="hello")
    assert len(emb.data) == 1 and len(emb.data[0].embedding) > 1
    assert CHAT_MODEL in [m.id for m in c.models.list()]


def test_request_id_echo(http):
    mine = "gw-1234.abcd:EF_99"
    r = http.get("/v1/models", headers={"X-Request-Id": mine})
    assert r.status_code == 200
    assert r.headers["x-request-id"] == mine
    # Echoed on errors and inference routes too.
    r = http.get("/v1/nothing", headers={"X-Request-Id": mine})
    assert r.status_code == 404 and r.headers["x-request-id"] == mine
    r = http.post("/v1/embeddings", json={"model": EMBED_MODEL, "input": "x"}, headers={"X-Request-Id": mine})
    assert r.status_code == 200 and r.headers["x-request-id"] == mine

    for bad in ["has spaces in it", "semi;colon", "x" * 129, "<script>"]:
        r = http.get("/v1/models", headers={"X-Request-Id": bad})
        got = r.headers["x-request-id"]
        assert got != bad
        assert REQUEST_ID_RE.match(got), got

    # Without one, each response gets a fresh id.
    a = http.get("/health").headers["x-request-id"]
    b = http.get("/health").headers["x-request-id"]
    assert REQUEST_ID_RE.match(a) and a != b


def test_worker_headers_only_on_inference_routes(http):
    r = http.get("/v1/models")
    assert "x-worker-id" not in r.headers
    r = http.post("/v1/embeddings", json={"model": EMBED_MODEL, "input": "x"})
    assert r.headers.get("x-worker-id")
    health = http.get("/health").json()
    assert health["worker_id"] == r.headers["x-worker-id"]
    assert health["worker_name"] == r.headers["x-worker-name"] == "e2e-open"


def test_metrics(http, client):
    client.chat.completions.create(model=CHAT_MODEL, messages=HELLO, max_tokens=2)
    r = http.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain")
    text = r.text
    assert "# TYPE pendra_http_requests_total counter" in text
    assert re.search(r'^pendra_http_requests_total\{[^}]*status="200"[^}]*\} [0-9.e+]+$', text, re.M), text[:2000]
    m = re.search(r'^pendra_kv_cells_total\{model="tiny-llama:latest"\} ([0-9.e+]+)$', text, re.M)
    assert m, "no pendra_kv_cells_total for tiny-llama"
    assert float(m.group(1)) == 4096
    m = re.search(r'^pendra_completion_tokens_total\{model="tiny-llama:latest"\} ([0-9.e+]+)$', text, re.M)
    assert m and float(m.group(1)) >= 2
