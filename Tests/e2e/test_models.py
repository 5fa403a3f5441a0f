"""GET /v1/models in its OpenAI, Anthropic and Codex shapes; the public catalogue."""
from __future__ import annotations

import os
from datetime import datetime

import pytest

from conftest import CHAT_MODEL, EMBED_MODEL, MINILM_MODEL, ONDEMAND_MODEL, RERANK_MODEL
from e2e_helpers import openai_error

CODEX_REQUIRED = ["slug", "display_name", "supported_reasoning_levels", "shell_type", "visibility",
                  "supported_in_api", "priority", "base_instructions", "supports_reasoning_summaries",
                  "support_verbosity", "truncation_policy", "supports_parallel_tool_calls",
                  "experimental_supported_tools"]


def _expected(has_minilm):
    chat = [CHAT_MODEL, ONDEMAND_MODEL]
    emb = [EMBED_MODEL] + ([MINILM_MODEL] if has_minilm else [])
    return chat, emb


def test_openai_list_via_sdk(client, has_minilm):
    chat, emb = _expected(has_minilm)
    models = list(client.models.list())
    assert [m.id for m in models] == chat + emb + [RERANK_MODEL]
    for m in models:
        assert m.object == "model"
        assert m.owned_by == "pendra"
        assert isinstance(m.created, int) and m.created > 1_600_000_000


@pytest.mark.parametrize("prefix", ["/v1", "/api/v1"])
def test_list_envelope_has_openai_and_anthropic_fields(http, prefix, has_minilm):
    chat, emb = _expected(has_minilm)
    r = http.get(prefix + "/models", params={"limit": 1000})
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["object"] == "list"
    assert body["has_more"] is False
    ids = [e["id"] for e in body["data"]]
    assert ids == chat + emb + [RERANK_MODEL]
    assert body["first_id"] == ids[0] and body["last_id"] == ids[-1]
    for e in body["data"]:
        assert e["type"] == "model"
        assert e["object"] == "model"
        assert isinstance(e["display_name"], str) and e["display_name"]
        created_at = datetime.fromisoformat(e["created_at"].replace("Z", "+00:00"))
        assert created_at.tzinfo is not None
        assert int(created_at.timestamp()) == e["created"]


@pytest.mark.parametrize("prefix", ["/v1", "/api/v1"])
def test_type_filters(http, client, prefix, has_minilm):
    chat, emb = _expected(has_minilm)
    got = lambda t: [e["id"] for e in http.get(prefix + "/models", params={"type": t}).json()["data"]]  # noqa: E731
    assert got("chat") == chat
    assert got("embedding") == emb
    assert got("rerank") == [RERANK_MODEL]
    assert got("image") == []
    r = http.get(prefix + "/models", params={"type": "image"}).json()
    assert r["object"] == "list" and r["has_more"] is False
    # The SDK passes the filter as an extra query parameter.
    assert [m.id for m in client.models.list(extra_query={"type": "embedding"})] == emb


def test_retrieve_one_model_via_both_sdks(server, http):
    import anthropic

    m = server.openai().models.retrieve(CHAT_MODEL)  # the SDK percent-encodes the ':'
    assert m.id == CHAT_MODEL and m.object == "model" and m.owned_by == "pendra"
    a = anthropic.Anthropic(base_url=server.url, api_key="unused", max_retries=0).models.retrieve(CHAT_MODEL)
    assert a.id == CHAT_MODEL and a.type == "model" and a.display_name
    assert http.get(f"/api/v1/models/{CHAT_MODEL}").json()["id"] == CHAT_MODEL
    err = openai_error(http.get("/v1/models/org/not-served"), 404)
    assert err["code"] == "model_not_found" and "org/not-served" in err["message"] and CHAT_MODEL in err["message"]


def test_unknown_type_is_400(http):
    err = openai_error(http.get("/v1/models", params={"type": "hologram"}), 400)
    assert err["param"] == "type"
    assert "hologram" in err["message"]


@pytest.mark.parametrize("prefix", ["/v1", "/api/v1"])
def test_codex_shape(http, prefix):
    r = http.get(prefix + "/models", params={"client_version": "1.0"})
    assert r.status_code == 200, r.text
    body = r.json()
    assert list(body) == ["models"], body.keys()
    slugs = [m["slug"] for m in body["models"]]
    assert slugs == [CHAT_MODEL, ONDEMAND_MODEL], "Codex gets the chat models only"
    for m in body["models"]:
        missing = [k for k in CODEX_REQUIRED if k not in m]
        assert not missing, f"{m['slug']} lacks {missing}"
        assert isinstance(m["display_name"], str) and m["display_name"]
        assert isinstance(m["supported_reasoning_levels"], list)
        for lvl in m["supported_reasoning_levels"]:
            assert set(lvl) >= {"effort", "description"}
        assert isinstance(m["shell_type"], str) and m["shell_type"]
        assert m["visibility"] in ("list", "hide", "none")
        assert isinstance(m["supported_in_api"], bool)
        assert isinstance(m["priority"], int)
        assert isinstance(m["base_instructions"], str)
        assert isinstance(m["supports_reasoning_summaries"], bool)
        assert isinstance(m["support_verbosity"], bool)
        assert m["truncation_policy"]["mode"] in ("bytes", "tokens")
        assert isinstance(m["truncation_policy"]["limit"], int) and m["truncation_policy"]["limit"] > 0
        assert isinstance(m["supports_parallel_tool_calls"], bool)
        assert isinstance(m["experimental_supported_tools"], list)
    by_slug = {m["slug"]: m for m in body["models"]}
    assert by_slug[CHAT_MODEL]["context_window"] == 4096


def test_catalogue_public_on_keyed_server(keyed_server, models_dir):
    with keyed_server.http() as h:
        r = h.get("/api/v1/catalogue")
    assert r.status_code == 200, r.text
    entries = r.json()["data"]
    by_id = {e["id"]: e for e in entries}
    assert set(by_id) == {ONDEMAND_MODEL, EMBED_MODEL}
    files = {ONDEMAND_MODEL: "tiny-qwen2.gguf", EMBED_MODEL: "tiny-bert-embed.gguf"}
    for mid, e in by_id.items():
        for k in ("id", "name", "backend", "capability", "parameter_size", "context_length", "licence", "variants"):
            assert k in e, f"{mid} lacks {k}"
        assert isinstance(e["name"], str) and e["name"]
        assert isinstance(e["backend"], str) and e["backend"]
        assert isinstance(e["parameter_size"], str) and e["parameter_size"][-1] in "KMB"
        assert isinstance(e["context_length"], int) and e["context_length"] > 0
        assert len(e["variants"]) >= 1
        v = e["variants"][0]
        assert v["id"] == mid
        assert v["quantization"] == "F16"
        assert v["size_bytes"] == os.path.getsize(models_dir / files[mid])
    assert by_id[ONDEMAND_MODEL]["capability"] == "chat"
    assert by_id[EMBED_MODEL]["capability"] == "embedding"
    assert by_id[ONDEMAND_MODEL]["context_length"] == 1024


def test_catalogue_on_open_server(http, models_dir):
    r = http.get("/api/v1/catalogue")
    assert r.status_code == 200
    by_id = {e["id"]: e for e in r.json()["data"]}
    assert by_id[CHAT_MODEL]["context_length"] == 4096
    assert by_id[CHAT_MODEL]["variants"][0]["size_bytes"] == os.path.getsize(models_dir / "tiny-llama.gguf")
