"""Chat completions through the official openai SDK, against tiny-llama (random
weights: text is gibberish, but greedy decoding is deterministic)."""
from __future__ import annotations

import uuid

import pytest

from conftest import CHAT_MODEL
from e2e_helpers import REQUEST_ID_RE, user


def greedy(client, messages, max_tokens, **kw):
    return client.chat.completions.create(model=CHAT_MODEL, messages=messages, max_tokens=max_tokens,
                                          temperature=0, **kw)


def streamed(client, messages, max_tokens, **kw):
    """Returns (chunks, pieces of content text in order)."""
    chunks = list(client.chat.completions.create(model=CHAT_MODEL, messages=messages, max_tokens=max_tokens,
                                                 stream=True, stream_options={"include_usage": True}, **kw))
    pieces = [c.choices[0].delta.content for c in chunks if c.choices and c.choices[0].delta.content]
    return chunks, pieces


def test_non_streaming_shape_usage_and_headers(client):
    raw = client.chat.completions.with_raw_response.create(
        model=CHAT_MODEL, messages=user("Say hello to the end-to-end tests."), max_tokens=12, temperature=0)
    assert raw.status_code == 200
    assert REQUEST_ID_RE.match(raw.headers["x-request-id"]), raw.headers
    assert raw.headers.get("x-worker-id"), "X-Worker-Id missing on an inference route"
    assert raw.headers.get("x-worker-name") == "e2e-open"
    c = raw.parse()
    assert c.id.startswith("chatcmpl-") and len(c.id) > len("chatcmpl-")
    assert c.object == "chat.completion"
    assert c.model == CHAT_MODEL
    assert isinstance(c.created, int) and c.created > 1_600_000_000
    assert len(c.choices) == 1
    ch = c.choices[0]
    assert ch.index == 0
    assert ch.message.role == "assistant"
    assert isinstance(ch.message.content, str) and ch.message.content != ""
    assert ch.finish_reason in ("stop", "length")
    u = c.usage
    assert u.prompt_tokens > 5  # the chat template wraps the message in header tokens
    assert u.total_tokens == u.prompt_tokens + u.completion_tokens
    if ch.finish_reason == "length":
        assert u.completion_tokens == 12
    else:
        assert 0 < u.completion_tokens < 12


def test_streaming_matches_non_streaming(client, server):
    messages = user("Tell me a short story about a fox and a crow.")
    ref = greedy(client, messages, 16)
    chunks, pieces = streamed(client, messages, 16, temperature=0)

    assert len(chunks) >= 3
    ids = {c.id for c in chunks}
    assert len(ids) == 1 and next(iter(ids)).startswith("chatcmpl-")
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert all(c.model == CHAT_MODEL for c in chunks)
    first = chunks[0]
    assert first.choices[0].delta.role == "assistant"

    assert "".join(pieces) == ref.choices[0].message.content

    choice_chunks = [c for c in chunks if c.choices]
    assert choice_chunks[-1].choices[0].finish_reason == ref.choices[0].finish_reason
    assert all(c.choices[0].finish_reason is None for c in choice_chunks[:-1])
    # include_usage: other chunks carry usage null, one last chunk has no choices and the usage.
    assert all(c.usage is None for c in choice_chunks)
    last = chunks[-1]
    assert last.choices == []
    assert last.usage is not None
    assert last.usage.prompt_tokens == ref.usage.prompt_tokens
    assert last.usage.completion_tokens == ref.usage.completion_tokens
    assert last.usage.total_tokens == last.usage.prompt_tokens + last.usage.completion_tokens

    # The wire itself ends with data: [DONE] (the SDK swallows it).
    with server.http() as h:
        with h.stream("POST", "/v1/chat/completions", json={
                "model": CHAT_MODEL, "messages": messages, "max_tokens": 4, "temperature": 0, "stream": True}) as r:
            assert r.status_code == 200
            assert r.headers["content-type"].startswith("text/event-stream")
            assert r.headers.get("x-worker-name") == "e2e-open"
            assert REQUEST_ID_RE.match(r.headers["x-request-id"])
            data = [ln for ln in r.iter_lines() if ln.startswith("data:")]
    assert data[-1].strip() == "data: [DONE]"
    assert sum(1 for d in data if d.strip() == "data: [DONE]") == 1


@pytest.mark.parametrize("field", ["max_tokens", "max_completion_tokens"])
@pytest.mark.parametrize("stream", [False, True])
def test_token_limit_gives_length(client, field, stream):
    kw = {field: 7}
    messages = user("Count from one to one hundred, please.")
    if stream:
        chunks = list(client.chat.completions.create(model=CHAT_MODEL, messages=messages, temperature=0, stream=True,
                                                     stream_options={"include_usage": True}, **kw))
        finish = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
        assert finish == ["length"]
        assert chunks[-1].usage.completion_tokens == 7
    else:
        c = client.chat.completions.create(model=CHAT_MODEL, messages=messages, temperature=0, **kw)
        assert c.choices[0].finish_reason == "length"
        assert c.usage.completion_tokens == 7
        assert c.usage.total_tokens == c.usage.prompt_tokens + 7


STOP_PROMPT = user("Write a long paragraph about the history of the printing press.")


@pytest.fixture(scope="module")
def greedy_reference(client):
    """40 greedy tokens, as text and as the streamed pieces (token boundaries)."""
    ref = greedy(client, STOP_PROMPT, 40)
    _, pieces = streamed(client, STOP_PROMPT, 40, temperature=0)
    text = ref.choices[0].message.content
    assert ref.choices[0].finish_reason == "length", "the reference must not end early"
    assert "".join(pieces) == text
    assert len(text) >= 30, f"reference too short to pick a stop string from: {text!r}"
    return text, pieces


def _stop_inside(text, pieces):
    mid = len(text) // 2
    for start in range(mid, len(text) - 4):
        s = text[start:start + 4]
        if s.strip():
            return s
    raise AssertionError(f"no usable stop string in {text!r}")


def _stop_across_tokens(text, pieces):
    """Two characters from the end of one token and two from the next: the
    server has to hold text back across a token boundary."""
    n = len(pieces)
    order = sorted(range(1, n), key=lambda i: abs(i - n // 2))
    for i in order:
        left, right = pieces[i - 1], pieces[i]
        if len(left) >= 2 and len(right) >= 2 and (left[-2:] + right[:2]).strip():
            return left[-2:] + right[:2]
    raise AssertionError(f"no token boundary with 2+2 characters in {pieces!r}")


@pytest.mark.parametrize("picker", [_stop_inside, _stop_across_tokens], ids=["inside", "across-tokens"])
@pytest.mark.parametrize("stream", [False, True], ids=["non-streamed", "streamed"])
def test_stop_sequence_never_overshot(client, greedy_reference, picker, stream):
    text, pieces = greedy_reference
    stop = picker(text, pieces)
    expected = text[:text.index(stop)]
    if stream:
        chunks, got_pieces = streamed(client, STOP_PROMPT, 40, temperature=0, stop=[stop])
        got = "".join(got_pieces)
        finish = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
        assert finish == ["stop"]
        completion_tokens = chunks[-1].usage.completion_tokens
    else:
        c = greedy(client, STOP_PROMPT, 40, stop=[stop])
        got = c.choices[0].message.content
        assert c.choices[0].finish_reason == "stop"
        completion_tokens = c.usage.completion_tokens
    assert got == expected, f"stop={stop!r}: got {got!r}, expected {expected!r}"
    assert stop not in got
    assert completion_tokens < 40


def test_seed_determinism(client):
    messages = user("Invent a name for a new colour.")

    def sample(seed, stream=False):
        kw = dict(model=CHAT_MODEL, messages=messages, max_tokens=10, temperature=1.0, seed=seed)
        if stream:
            return "".join(c.choices[0].delta.content or "" for c in client.chat.completions.create(stream=True, **kw)
                           if c.choices)
        return client.chat.completions.create(**kw).choices[0].message.content

    a = sample(1234)
    assert a == sample(1234)
    assert a == sample(1234, stream=True)
    others = {sample(s) for s in (1, 2, 3, 4)}
    assert len(others) > 1, f"four seeds at temperature 1 gave one text: {others}"


def test_prefix_reuse_reports_cached_tokens(client):
    tag = uuid.uuid4().hex
    filler = " ".join(f"Fact {i}: the {tag[i % 32]} lighthouse keeper counted {i * 7} gulls." for i in range(25))
    messages = [
        {"role": "system", "content": f"Session {tag}. You are a careful assistant. {filler}"},
        {"role": "user", "content": "Summarise the facts."},
        {"role": "assistant", "content": "There were many gulls and one lighthouse keeper."},
        {"role": "user", "content": "How many gulls in fact 12?"},
    ]
    first = greedy(client, messages, 4)
    second = greedy(client, messages, 4)
    p = first.usage.prompt_tokens
    assert p > 200
    assert second.usage.prompt_tokens == p
    cached1 = first.usage.prompt_tokens_details.cached_tokens
    cached2 = second.usage.prompt_tokens_details.cached_tokens
    assert cached2 > 0
    assert p - 8 <= cached2 <= p, f"cached {cached2} of {p} prompt tokens"
    assert cached1 < p // 2, f"first request already had {cached1} of {p} cached (unique tag {tag})"
    assert second.choices[0].message.content == first.choices[0].message.content
