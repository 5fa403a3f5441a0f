"""llama-server's /tokenize, /detokenize and /apply-template, and /v1/rerank
on the random BERT cross-encoder (tiny-bert-rerank). Random weights give no
meaningful relevance, so the rerank checks are that the order is the
model's own scores, each recomputed alone, and that the shapes are those
llama-server, Jina and Cohere clients parse."""
from __future__ import annotations

import pytest

from conftest import CHAT_MODEL, EMBED_MODEL, ONDEMAND_MODEL, RERANK_MODEL

HELLO = "Hello, world!"
# The Llama 3 tokenizer's ids (DESIGN.md field notes), BOS first.
LLAMA3_HELLO = [128000, 9906, 11, 1917, 0]


def test_tokenize_detokenize_round_trip(http):
    r = http.post("/tokenize", json={"model": CHAT_MODEL, "content": HELLO})
    assert r.status_code == 200, r.text
    assert r.json() == {"tokens": LLAMA3_HELLO[1:]}
    with_bos = http.post("/tokenize", json={"model": CHAT_MODEL, "content": HELLO, "add_special": True}).json()
    assert with_bos["tokens"] == LLAMA3_HELLO
    back = http.post("/detokenize", json={"model": CHAT_MODEL, "tokens": LLAMA3_HELLO[1:]})
    assert back.status_code == 200 and back.json() == {"content": HELLO}
    # Special tokens are written out, as llama-server does.
    assert http.post("/detokenize", json={"model": CHAT_MODEL, "tokens": LLAMA3_HELLO}).json()["content"] \
        == "<|begin_of_text|>" + HELLO


def test_tokenize_defaults_to_the_first_chat_model_and_parses_special_tokens(http):
    assert http.post("/tokenize", json={"content": HELLO}).json()["tokens"] == LLAMA3_HELLO[1:]
    special = http.post("/tokenize", json={"content": "<|eot_id|>"}).json()["tokens"]
    assert special == [128009]
    literal = http.post("/tokenize", json={"content": "<|eot_id|>", "parse_special": False}).json()["tokens"]
    assert len(literal) > 1


def test_tokenize_with_pieces_and_other_models(http):
    r = http.post("/tokenize", json={"model": CHAT_MODEL, "content": HELLO, "with_pieces": True}).json()
    assert [t["id"] for t in r["tokens"]] == LLAMA3_HELLO[1:]
    assert "".join(t["piece"] for t in r["tokens"]) == HELLO
    # Qwen2's byte-level BPE gives the text back; BERT's WordPiece gives
    # "hello , world !", which tokenizes to the same ids.
    for model in (ONDEMAND_MODEL, EMBED_MODEL):
        tokens = http.post("/tokenize", json={"model": model, "content": HELLO}).json()["tokens"]
        text = http.post("/detokenize", json={"model": model, "tokens": tokens}).json()["content"]
        assert tokens and http.post("/tokenize", json={"model": model, "content": text}).json()["tokens"] == tokens
        if model == ONDEMAND_MODEL:
            assert text == HELLO


def test_tokenize_errors(http):
    assert http.post("/tokenize", json={"model": "nope", "content": "x"}).status_code == 400
    r = http.post("/detokenize", json={"model": CHAT_MODEL, "tokens": [1, -5]})
    assert r.status_code == 400 and "tokens[1]" in r.json()["error"]["message"]


def test_apply_template_is_the_prompt_chat_completions_runs(server, http):
    messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]
    r = http.post("/apply-template", json={"model": CHAT_MODEL, "messages": messages})
    assert r.status_code == 200, r.text
    prompt = r.json()["prompt"]
    assert prompt.startswith("<|begin_of_text|>") and prompt.endswith("<|start_header_id|>assistant<|end_header_id|>\n\n")
    assert "Be brief." in prompt and "Hi" in prompt
    tokens = http.post("/tokenize", json={"model": CHAT_MODEL, "content": prompt}).json()["tokens"]
    usage = server.openai().chat.completions.create(model=CHAT_MODEL, messages=messages, max_tokens=1).usage
    assert len(tokens) == usage.prompt_tokens
    tools = [{"type": "function", "function": {"name": "get_time", "parameters": {"type": "object"}}}]
    with_tools = http.post("/apply-template", json={"model": CHAT_MODEL, "messages": messages, "tools": tools})
    assert "get_time" in with_tools.json()["prompt"]


# ---- rerank ---------------------------------------------------------------------

QUERY = "What is the capital of France?"
DOCS = ["Paris is the capital and largest city of France.", "Bananas are rich in potassium.",
        "The Eiffel Tower is in Paris.", "Photosynthesis happens in chloroplasts."]


def _rerank(http, path="/v1/rerank", **body):
    r = http.post(path, json={"model": RERANK_MODEL, "query": QUERY, "documents": DOCS, **body})
    assert r.status_code == 200, r.text
    return r.json()


def test_rerank_orders_by_the_models_own_scores(http):
    body = _rerank(http)
    assert body["model"] == RERANK_MODEL and body["object"] == "list"
    results = body["results"]
    assert sorted(r["index"] for r in results) == list(range(len(DOCS)))
    scores = [r["relevance_score"] for r in results]
    assert scores == sorted(scores, reverse=True)
    assert len(set(scores)) == len(DOCS), "a working head scores different documents differently"
    # Each document scored alone gets the score it had in the batch (to F16
    # rounding: a batch of one takes other matrix kernels than a batch of four).
    for r in results:
        alone = _rerank(http, documents=[DOCS[r["index"]]])["results"][0]
        assert alone["index"] == 0
        assert alone["relevance_score"] == pytest.approx(r["relevance_score"], rel=1e-2, abs=1e-2)
    assert body["usage"]["prompt_tokens"] == body["usage"]["total_tokens"] > len(DOCS) * 5


def test_rerank_top_n_documents_and_alias(http):
    full = _rerank(http)["results"]
    top = _rerank(http, path="/rerank", top_n=2, return_documents=True,
                  documents=[DOCS[0], {"text": DOCS[1]}, DOCS[2], {"text": DOCS[3]}])["results"]
    assert [r["index"] for r in top] == [r["index"] for r in full[:2]]
    for r in top:
        assert r["document"] == {"text": DOCS[r["index"]]}
    assert "document" not in full[0]


def test_rerank_depends_on_the_query(http):
    a = {r["index"]: r["relevance_score"] for r in _rerank(http)["results"]}
    b = {r["index"]: r["relevance_score"] for r in _rerank(http, query="Which fruit has potassium?")["results"]}
    assert a != b


def test_rerank_errors(http):
    r = http.post("/v1/rerank", json={"model": CHAT_MODEL, "query": "q", "documents": ["d"]})
    assert r.status_code == 400 and "rerank" in r.json()["error"]["message"]
    r = http.post("/v1/rerank", json={"model": EMBED_MODEL, "query": "q", "documents": ["d"]})
    assert r.status_code == 400
    r = http.post("/v1/rerank", json={"model": RERANK_MODEL, "query": "q", "documents": []})
    assert r.status_code == 400 and r.json()["error"]["param"] == "documents"
    r = http.post("/v1/rerank", json={"model": RERANK_MODEL, "documents": ["d"]})
    assert r.status_code == 400 and r.json()["error"]["param"] == "query"
    # An embedding route refuses the reranker rather than giving 1-d "vectors".
    r = http.post("/v1/embeddings", json={"model": RERANK_MODEL, "input": "x"})
    assert r.status_code == 400


def test_models_list_filters_rerankers(http):
    ids = [m["id"] for m in http.get("/v1/models", params={"type": "rerank"}).json()["data"]]
    assert ids == [RERANK_MODEL]
