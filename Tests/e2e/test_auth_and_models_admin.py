"""API keys, roles, rate limits and on-demand model loading."""
from __future__ import annotations

import time

import httpx
import openai
import pytest

from conftest import (EMBED_MODEL, KEYED_RPM, LIMITED_KEY, MEMBER_KEY, ONDEMAND_MODEL, OWNER_KEY)
from e2e_helpers import openai_error, user


def _health_model(h: httpx.Client, mid: str) -> dict:
    r = h.get("/health")
    assert r.status_code == 200
    body = r.json()
    assert body["status"] == "ready"
    return next(m for m in body["models"] if m["id"] == mid)


def test_no_key_is_401(keyed_server):
    with keyed_server.http() as h:
        for method, path, body in [("GET", "/v1/models", None), ("GET", "/api/v1/models", None),
                                   ("POST", "/v1/chat/completions", {"model": ONDEMAND_MODEL, "messages": user("x")}),
                                   ("POST", "/v1/embeddings", {"model": EMBED_MODEL, "input": "x"}),
                                   ("GET", "/metrics", None)]:
            r = h.request(method, path, json=body)
            if path == "/metrics":
                assert r.status_code == 401, r.text
            else:
                err = openai_error(r, 401)
                assert "key" in err["message"].lower()


def test_wrong_key_is_401(keyed_server):
    with keyed_server.http() as h:
        err = openai_error(h.get("/v1/models", headers={"Authorization": "Bearer sk-nope"}), 401)
        assert "sk-nope" not in err["message"]
        openai_error(h.get("/v1/models", headers={"x-api-key": "sk-nope"}), 401)
        openai_error(h.get("/v1/models", headers={"Authorization": "Basic c2stb3duZXItdGVzdDo="}), 401)
    with pytest.raises(openai.AuthenticationError) as e:
        keyed_server.openai(api_key="sk-wrong").models.list()
    assert e.value.status_code == 401


def test_bearer_and_x_api_key_both_work(keyed_server):
    with keyed_server.http() as h:
        for headers in ({"Authorization": f"Bearer {MEMBER_KEY}"}, {"x-api-key": MEMBER_KEY},
                        {"Authorization": f"Bearer {OWNER_KEY}"}, {"x-api-key": OWNER_KEY}):
            r = h.get("/v1/models", headers=headers)
            assert r.status_code == 200, (headers, r.text)
            assert {e["id"] for e in r.json()["data"]} == {ONDEMAND_MODEL, EMBED_MODEL}
        assert h.get("/metrics", headers={"x-api-key": MEMBER_KEY}).status_code == 200
    # The SDK sends Bearer; one inference call (acme's bucket holds KEYED_RPM).
    emb = keyed_server.openai(api_key=MEMBER_KEY).embeddings.create(model=EMBED_MODEL, input="hello")
    assert len(emb.data[0].embedding) > 1


def test_health_and_catalogue_public(keyed_server):
    with keyed_server.http() as h:
        assert h.get("/health").status_code == 200
        assert h.get("/api/v1/catalogue").status_code == 200


def test_rate_limit_429(keyed_server):
    """A fresh organisation ('limited') with requests_per_minute 3: the 4th
    request in a row is refused."""
    with keyed_server.http(Authorization=f"Bearer {LIMITED_KEY}") as h:
        for i in range(KEYED_RPM):
            r = h.post("/v1/embeddings", json={"model": EMBED_MODEL, "input": f"request {i}"})
            assert r.status_code == 200, f"request {i + 1}: {r.status_code} {r.text}"
        r = h.post("/v1/embeddings", json={"model": EMBED_MODEL, "input": "one too many"})
        err = openai_error(r, 429)
        assert err["type"] == "rate_limit_error"
        assert "requests per minute" in err["message"] and str(KEYED_RPM) in err["message"]
        retry = int(r.headers["retry-after"])
        assert 1 <= retry <= 60
        # Non-inference routes are not rate limited.
        assert h.get("/v1/models").status_code == 200
    with pytest.raises(openai.RateLimitError) as e:
        keyed_server.openai(api_key=LIMITED_KEY).embeddings.create(model=EMBED_MODEL, input="again")
    assert e.value.status_code == 429


def test_on_demand_load_on_open_server(server):
    at_start = next(m for m in server.initial_health["models"] if m["id"] == ONDEMAND_MODEL)
    assert at_start["loaded"] is False, at_start
    with server.http() as h:
        if _health_model(h, ONDEMAND_MODEL)["loaded"]:
            # Another test used it first; start from unloaded again.
            assert h.post(f"/api/v1/models/{ONDEMAND_MODEL}/unload", json={}).status_code == 200
        assert _health_model(h, ONDEMAND_MODEL)["loaded"] is False
        c = server.openai().chat.completions.create(model=ONDEMAND_MODEL, messages=user("hi"), max_tokens=4,
                                                     temperature=0)
        assert c.model == ONDEMAND_MODEL
        assert c.usage.completion_tokens > 0
        m = _health_model(h, ONDEMAND_MODEL)
        assert m["loaded"] is True and m["running"] == 0 and m["kv_cells_total"] == 2048, m
        # No keys configured: every caller is an owner.
        r = h.post(f"/api/v1/models/{ONDEMAND_MODEL}/unload", json={})
        assert r.status_code == 200, r.text
        assert r.json()["loaded"] is False and r.json()["was_loaded"] is True
        assert _health_model(h, ONDEMAND_MODEL)["loaded"] is False
        r = h.post(f"/api/v1/models/{ONDEMAND_MODEL}/load", json={})
        assert r.status_code == 200 and r.json()["loaded"] is True
        assert _health_model(h, ONDEMAND_MODEL)["loaded"] is True


def test_admin_unload_roles(keyed_server):
    path = f"/api/v1/models/{ONDEMAND_MODEL}/unload"
    at_start = next(m for m in keyed_server.initial_health["models"] if m["id"] == ONDEMAND_MODEL)
    assert at_start["loaded"] is False, at_start
    with keyed_server.http() as h:
        c = keyed_server.openai(api_key=OWNER_KEY).chat.completions.create(
            model=ONDEMAND_MODEL, messages=user("hi"), max_tokens=3)
        assert c.choices[0].message.role == "assistant"
        assert _health_model(h, ONDEMAND_MODEL)["loaded"] is True

        r = h.post(path)
        assert r.status_code == 401, r.text
        assert r.json().get("detail") or r.json().get("error"), r.text
        r = h.post(path, headers={"Authorization": f"Bearer {MEMBER_KEY}"})
        assert r.status_code == 403, r.text
        assert _health_model(h, ONDEMAND_MODEL)["loaded"] is True, "a refused unload unloaded anyway"
        r = h.post(path, headers={"x-api-key": OWNER_KEY}, json={})
        assert r.status_code == 200, r.text
        assert r.json()["was_loaded"] is True
        assert _health_model(h, ONDEMAND_MODEL)["loaded"] is False

        r = h.post("/api/v1/models/no-such:model/unload", headers={"Authorization": f"Bearer {OWNER_KEY}"}, json={})
        assert r.status_code == 404, r.text
        assert "no-such:model" in r.text
