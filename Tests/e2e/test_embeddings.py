"""Embeddings through the openai SDK (which asks for base64 by default)."""
from __future__ import annotations

import base64

import numpy as np
import openai
import pytest

from conftest import EMBED_MODEL, MINILM_MODEL
from e2e_helpers import REQUEST_ID_RE, openai_error


def _norm(v):
    return float(np.linalg.norm(np.asarray(v, dtype=np.float64)))


def test_sdk_default_base64_agrees_with_float(client, http):
    text = "The quick brown fox jumps over the lazy dog."
    # The SDK sends encoding_format "base64" when unset and decodes it itself.
    default = client.embeddings.create(model=EMBED_MODEL, input=text)
    as_float = client.embeddings.create(model=EMBED_MODEL, input=text, encoding_format="float")
    v_default = np.asarray(default.data[0].embedding, dtype=np.float32)
    v_float = np.asarray(as_float.data[0].embedding, dtype=np.float32)
    assert v_default.shape == v_float.shape and v_default.shape[0] > 1
    assert np.max(np.abs(v_default - v_float)) <= 1e-6

    # Raw wire check: base64 is a string of little-endian float32.
    r = http.post("/v1/embeddings", json={"model": EMBED_MODEL, "input": text, "encoding_format": "base64"})
    assert r.status_code == 200, r.text
    b64 = r.json()["data"][0]["embedding"]
    assert isinstance(b64, str)
    decoded = np.frombuffer(base64.b64decode(b64), dtype="<f4")
    assert decoded.shape == v_float.shape
    assert np.max(np.abs(decoded - v_float)) <= 1e-6
    assert r.headers.get("x-worker-name") == "e2e-open"
    assert r.headers.get("x-worker-id")
    assert REQUEST_ID_RE.match(r.headers["x-request-id"])


def test_shapes_string_list_tokens(client):
    one = client.embeddings.create(model=EMBED_MODEL, input="hello world", encoding_format="float")
    assert one.object == "list"
    assert one.model == EMBED_MODEL
    assert len(one.data) == 1 and one.data[0].object == "embedding" and one.data[0].index == 0
    assert one.usage.prompt_tokens > 0
    assert one.usage.total_tokens == one.usage.prompt_tokens
    dim = len(one.data[0].embedding)

    texts = ["first sentence", "a second, rather longer sentence about embeddings", "third"]
    many = client.embeddings.create(model=EMBED_MODEL, input=texts, encoding_format="float")
    assert [d.index for d in many.data] == [0, 1, 2]
    assert all(len(d.embedding) == dim for d in many.data)
    assert many.usage.prompt_tokens > one.usage.prompt_tokens
    # The same text alone and inside a batch embeds the same.
    alone = client.embeddings.create(model=EMBED_MODEL, input=texts[1], encoding_format="float")
    assert np.allclose(alone.data[0].embedding, many.data[1].embedding, atol=1e-4)
    # Different texts give different vectors.
    assert not np.allclose(many.data[0].embedding, many.data[1].embedding, atol=1e-3)

    tokens = client.embeddings.create(model=EMBED_MODEL, input=[101, 2023, 2003, 102], encoding_format="float")
    assert len(tokens.data) == 1 and len(tokens.data[0].embedding) == dim
    assert tokens.usage.prompt_tokens == 4

    token_lists = client.embeddings.create(model=EMBED_MODEL, input=[[101, 2023, 102], [101, 2003, 2023, 2003, 102]],
                                           encoding_format="float")
    assert len(token_lists.data) == 2
    assert token_lists.usage.prompt_tokens == 8

    for v in [one.data[0].embedding, *[d.embedding for d in many.data], tokens.data[0].embedding,
              *[d.embedding for d in token_lists.data]]:
        assert abs(_norm(v) - 1.0) < 1e-4, f"not L2-normalised: norm {_norm(v)}"


def test_dimensions(client, http):
    dim = len(client.embeddings.create(model=EMBED_MODEL, input="x", encoding_format="float").data[0].embedding)
    same = client.embeddings.create(model=EMBED_MODEL, input="x", dimensions=dim, encoding_format="float")
    assert len(same.data[0].embedding) == dim
    r = http.post("/v1/embeddings", json={"model": EMBED_MODEL, "input": "x", "dimensions": dim // 2})
    err = openai_error(r, 400)
    assert err["param"] == "dimensions"
    assert str(dim) in err["message"]
    with pytest.raises(openai.BadRequestError) as e:
        client.embeddings.create(model=EMBED_MODEL, input="x", dimensions=dim + 1)
    assert e.value.status_code == 400


@pytest.mark.parametrize("bad", ["", [], [""], ["ok", ""], [[]]], ids=["empty-string", "empty-list", "list-empty-string",
                                                                    "one-empty", "empty-token-list"])
def test_empty_input_is_400(http, bad):
    r = http.post("/v1/embeddings", json={"model": EMBED_MODEL, "input": bad})
    err = openai_error(r, 400)
    assert err["param"] == "input", err


def test_embedding_model_on_chat_route_and_back(http):
    r = http.post("/v1/embeddings", json={"model": "tiny-llama:latest", "input": "x"})
    err = openai_error(r, 400)
    assert err["param"] == "model"
    r = http.post("/v1/chat/completions", json={"model": EMBED_MODEL, "messages": [{"role": "user", "content": "x"}]})
    err = openai_error(r, 400)
    assert err["param"] == "model"


def test_minilm_semantics(client, has_minilm):
    ids = {m.id for m in client.models.list()}
    if not has_minilm:
        # The optional conversion did not run: the model must not be served either.
        assert MINILM_MODEL not in ids
        return
    assert MINILM_MODEL in ids
    texts = ["A man is playing guitar", "A person plays a guitar", "The stock market fell today"]
    out = client.embeddings.create(model=MINILM_MODEL, input=texts)
    v = [np.asarray(d.embedding, dtype=np.float64) for d in out.data]
    assert len(v[0]) == 384
    for x in v:
        assert abs(np.linalg.norm(x) - 1) < 1e-4
    similar = float(v[0] @ v[1])
    unrelated = max(float(v[0] @ v[2]), float(v[1] @ v[2]))
    assert similar > 0.6, similar
    assert similar > unrelated + 0.3, (similar, unrelated)


def test_embedding_input_limits(http):
    r = http.post("/v1/embeddings", json={"model": EMBED_MODEL, "input": ["short", "word " * 700]})
    err = openai_error(r, 400)
    assert err["code"] == "context_length_exceeded", err
    assert err["param"] == "input"
    err = openai_error(http.post("/v1/embeddings", json={"model": EMBED_MODEL, "input": [101, 40000, 102]}), 400)
    assert err["param"] == "input"
    err = openai_error(http.post("/v1/embeddings", json={"model": EMBED_MODEL, "input": "x",
                                                         "encoding_format": "int8"}), 400)
    assert err["param"] == "encoding_format"
    err = openai_error(http.post("/v1/embeddings", json={"model": EMBED_MODEL, "input": {"text": "x"}}), 400)
    assert err["param"] == "input"
    err = openai_error(http.post("/v1/embeddings", json={"model": EMBED_MODEL}), 400)
    assert err["param"] == "input"


def test_large_batch_and_concurrency_agree_with_single(client):
    from concurrent.futures import ThreadPoolExecutor

    texts = [f"sentence number {i} about {'cats' if i % 2 else 'the weather'}" for i in range(64)]
    batch = client.embeddings.create(model=EMBED_MODEL, input=texts)
    assert [d.index for d in batch.data] == list(range(64))
    picks = [0, 17, 42, 63]
    with ThreadPoolExecutor(4) as pool:
        singles = list(pool.map(lambda i: client.embeddings.create(model=EMBED_MODEL, input=texts[i]), picks))
    for i, s in zip(picks, singles):
        assert np.allclose(s.data[0].embedding, batch.data[i].embedding, atol=1e-4), i
