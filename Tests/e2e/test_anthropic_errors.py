"""Anthropic error envelopes `{"type":"error","error":{"type","message"}}` for every
status the Messages routes answer, through the official SDK (max_retries=0: it
retries 429/5xx by default) and raw httpx, plus limits, auth and overload."""
from __future__ import annotations

import base64
import time

import anthropic
import httpx
import pytest

from anthropic_helpers import GREEDY, anthropic_error, post_oversized, sdk, sdk_error
from conftest import CHAT_MODEL, MEMBER_KEY, ONDEMAND_MODEL, REQUIRED_FILES, _model_entry, _start

HELLO = [{"role": "user", "content": "Hello there"}]
pytestmark = pytest.mark.filterwarnings("ignore:The model .* is deprecated:DeprecationWarning")
BODY_LIMIT = 32 * 1024 * 1024  # the server's default request body limit

RL_MEMBER_KEY = "sk-anth-rl-member"
RL_OWNER_KEY = "sk-anth-rl-owner"


@pytest.fixture(scope="module")
def plain_server(tmp_path_factory, models_dir):
    """Open server without server.default_model, one slot and a waiting queue of one."""
    config = {
        "server": {"worker_name": "e2e-anthropic-plain", "api_keys": [], "max_waiting": 1},
        "models": [_model_entry(CHAT_MODEL, models_dir / REQUIRED_FILES[CHAT_MODEL], "chat",
                                context_size=4096, parallel=1)],
    }
    srv = _start("anthropic-plain", config, tmp_path_factory)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def limited_server(tmp_path_factory, models_dir):
    """Keyed server, requests_per_minute 2 per organisation; nobody else uses it."""
    config = {
        "server": {
            "worker_name": "e2e-anthropic-limited",
            "requests_per_minute": 2,
            "api_keys": [
                {"key": RL_OWNER_KEY, "role": "owner", "organisation": "anth-owner"},
                {"key": RL_MEMBER_KEY, "role": "member", "organisation": "anth-rl"},
            ],
        },
        "models": [_model_entry(CHAT_MODEL, models_dir / REQUIRED_FILES[CHAT_MODEL], "chat",
                                context_size=512, parallel=1)],
    }
    srv = _start("anthropic-limited", config, tmp_path_factory)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def http(plain_server):
    with plain_server.http(**{"anthropic-version": "2023-06-01"}) as c:
        yield c


# ---------------------------------------------------------------- 400

def test_missing_max_tokens_is_400(http):
    r = http.post("/v1/messages", json={"model": CHAT_MODEL, "messages": HELLO})
    err = anthropic_error(r, 400)
    assert "max_tokens" in err["message"], err


def test_malformed_json_is_400(http):
    r = http.post("/v1/messages", content=b'{"model": "tiny-llama:latest", "max_tokens": 4, "messages": [',
                  headers={"content-type": "application/json"})
    anthropic_error(r, 400)
    r = http.post("/v1/messages/count_tokens", content=b"{not json}", headers={"content-type": "application/json"})
    anthropic_error(r, 400)


def test_image_block_is_400_with_clear_message(plain_server, http):
    png = base64.b64encode(b"\x89PNG\r\n\x1a\n" + b"\x00" * 32).decode()
    image = {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": png}}
    with pytest.raises(anthropic.BadRequestError) as ei:
        sdk(plain_server).messages.create(
            model=CHAT_MODEL, max_tokens=4,
            messages=[{"role": "user", "content": [{"type": "text", "text": "What is this?"}, image]}])
    err = sdk_error(ei.value, 400)
    assert "image" in err["message"].lower(), err
    # Known before the first byte: a streaming request gets the HTTP status, not a 200 with an error event.
    r = http.post("/v1/messages", json={"model": CHAT_MODEL, "max_tokens": 4, "stream": True, "messages": [
        {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": [image]}]}]})
    err = anthropic_error(r, 400)
    assert "image" in err["message"].lower(), err


def test_out_of_range_fields_are_400(http):
    for bad in ({"temperature": 1.5}, {"max_tokens": -1}, {"messages": []},
                {"messages": [{"role": "tool", "content": "x"}]}):
        r = http.post("/v1/messages", json={"model": CHAT_MODEL, "max_tokens": 4, "messages": HELLO, **bad})
        anthropic_error(r, 400)


# ---------------------------------------------------------------- 404 / 405

def test_unknown_path_and_method_use_the_anthropic_envelope(http):
    anthropic_error(http.post("/v1/messages/batches", json={}), 404)
    r = http.get("/v1/messages")
    anthropic_error(r, 405)
    assert "POST" in r.headers.get("allow", ""), r.headers

def test_unknown_model_is_404_listing_served_models(plain_server, http):
    with pytest.raises(anthropic.NotFoundError) as ei:
        sdk(plain_server).messages.create(model="no-such-model:1b", max_tokens=4, messages=HELLO)
    err = sdk_error(ei.value, 404)
    assert "no-such-model:1b" in err["message"] and CHAT_MODEL in err["message"], err
    r = http.post("/v1/messages/count_tokens", json={"model": "no-such-model:1b", "messages": HELLO})
    anthropic_error(r, 404)


def test_claude_id_without_default_model_is_404(plain_server, http):
    with pytest.raises(anthropic.NotFoundError) as ei:
        sdk(plain_server).messages.create(model="claude-sonnet-4-5", max_tokens=4, messages=HELLO)
    err = sdk_error(ei.value, 404)
    assert CHAT_MODEL in err["message"], f"the 404 should name the served models: {err}"
    r = http.post("/v1/messages?beta=true", json={"model": "claude-haiku-4-5", "max_tokens": 4, "stream": True,
                                                  "messages": HELLO})
    anthropic_error(r, 404)


# ---------------------------------------------------------------- 401 / 403

def test_missing_or_wrong_key_is_401(keyed_server):
    with keyed_server.http(**{"anthropic-version": "2023-06-01"}) as h:
        body = {"model": ONDEMAND_MODEL, "max_tokens": 4, "messages": HELLO}
        anthropic_error(h.post("/v1/messages", json=body), 401)
        anthropic_error(h.post("/v1/messages/count_tokens", json={"model": ONDEMAND_MODEL, "messages": HELLO}), 401)
        anthropic_error(h.post("/v1/messages", json=body, headers={"Authorization": "Bearer sk-wrong"}), 401)
    with pytest.raises(anthropic.AuthenticationError) as ei:
        sdk(keyed_server, api_key="sk-wrong-key").messages.create(model=ONDEMAND_MODEL, max_tokens=4, messages=HELLO)
    err = sdk_error(ei.value, 401)
    assert "sk-wrong-key" not in err["message"], "the key must never be echoed"


def test_member_key_on_owner_route_is_403_pendra_envelope(keyed_server):
    with keyed_server.http(Authorization=f"Bearer {MEMBER_KEY}") as h:
        r = h.post(f"/api/v1/models/{ONDEMAND_MODEL}/unload", json={})
    assert r.status_code == 403, r.text
    body = r.json()
    assert set(body) == {"detail"} and isinstance(body["detail"], str) and body["detail"], body


def test_keys_accepted_in_x_api_key_and_bearer(limited_server):
    """count_tokens is rated like inference (issue 14): this spends one request of each organisation's budget."""
    a = sdk(limited_server, api_key=RL_MEMBER_KEY).messages.count_tokens(model=CHAT_MODEL, messages=HELLO)
    bearer = anthropic.Anthropic(base_url=limited_server.url, api_key=None, auth_token=RL_OWNER_KEY, max_retries=0)
    b = bearer.messages.count_tokens(model=CHAT_MODEL, messages=HELLO)
    assert a.input_tokens == b.input_tokens > 0


# ---------------------------------------------------------------- 413

def test_body_over_limit_is_413_request_too_large(plain_server):
    status, headers, body = post_oversized(plain_server.url, "/v1/messages", BODY_LIMIT + (1 << 20),
                                           {"anthropic-version": "2023-06-01"})
    assert status == 413, (status, body[:300])
    resp = httpx.Response(status, headers=headers, content=body)
    anthropic_error(resp, 413)


# ---------------------------------------------------------------- 429

def test_rate_limit_is_429_with_retry_after(limited_server):
    client = sdk(limited_server, api_key=RL_MEMBER_KEY)
    # Two per minute; count_tokens in the test above may have spent one of them.
    made = 0
    with pytest.raises(anthropic.RateLimitError) as ei:
        for _ in range(3):
            m = client.messages.create(model=CHAT_MODEL, max_tokens=1, messages=HELLO, **GREEDY)
            assert m.usage.output_tokens == 1
            made += 1
    assert 1 <= made <= 2, made
    sdk_error(ei.value, 429)
    retry = ei.value.response.headers.get("retry-after")
    assert retry is not None and retry.isdigit() and int(retry) >= 1, ei.value.response.headers
    # Another organisation has its own bucket.
    owner = sdk(limited_server, api_key=RL_OWNER_KEY)
    assert owner.messages.create(model=CHAT_MODEL, max_tokens=1, messages=HELLO, **GREEDY).usage.output_tokens == 1


# ---------------------------------------------------------------- 503

def _open_stream(client: httpx.Client, max_tokens: int):
    cm = client.stream("POST", "/v1/messages", json={
        "model": CHAT_MODEL, "max_tokens": max_tokens, "stream": True, "temperature": 0, "messages": HELLO})
    resp = cm.__enter__()
    return cm, resp


def test_queue_full_is_503_overloaded_before_first_byte(plain_server):
    """parallel 1 and max_waiting 1: one stream runs, one waits, the third is refused."""
    ca, cb = plain_server.http(), plain_server.http()
    opened = []
    try:
        cm_a, ra = _open_stream(ca, 3000)
        opened.append(cm_a)
        assert ra.status_code == 200, ra.read()
        lines_a = ra.iter_lines()
        seen = []
        for line in lines_a:  # wait until A holds the slot and generates
            seen.append(line)
            if line.startswith("event: content_block_delta"):
                break
        assert seen and seen[-1] == "event: content_block_delta", seen
        cm_b, rb = _open_stream(cb, 3000)  # headers come only after B is queued
        opened.append(cm_b)
        assert rb.status_code == 200

        with pytest.raises(anthropic.ServiceUnavailableError) as ei:
            sdk(plain_server).messages.create(model=CHAT_MODEL, max_tokens=4, messages=HELLO)
        sdk_error(ei.value, 503)
        assert ei.value.response.headers.get("retry-after", "").isdigit(), ei.value.response.headers
        with plain_server.http() as h:
            with h.stream("POST", "/v1/messages?beta=true", json={
                    "model": CHAT_MODEL, "max_tokens": 4, "stream": True, "messages": HELLO}) as rc:
                rc.read()
                anthropic_error(rc, 503)  # an HTTP status, not a 200 whose stream fails

        # A was still generating all along.
        for line in lines_a:
            if line.startswith("event:"):
                assert line == "event: content_block_delta" or line == "event: ping", line
                break
    finally:
        for cm in reversed(opened):
            cm.__exit__(None, None, None)
        ca.close()
        cb.close()

    # Once the streams are gone (cancelled on disconnect), the server serves again.
    deadline = time.time() + 30
    client = sdk(plain_server)
    while True:
        try:
            m = client.messages.create(model=CHAT_MODEL, max_tokens=2, messages=HELLO)
            break
        except anthropic.ServiceUnavailableError:
            assert time.time() < deadline, "still overloaded 30 s after the streams were closed"
            time.sleep(0.5)
    assert m.usage.output_tokens == 2

