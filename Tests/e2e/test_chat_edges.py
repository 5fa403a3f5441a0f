"""Chat edge cases: held stop prefixes, concurrency, context limits, request
framing and fields real clients send."""
from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import openai
import pytest

from conftest import CHAT_MODEL
from e2e_helpers import openai_error, user
from test_chat import greedy, streamed

CONTEXT = 4096


@pytest.mark.parametrize("stream", [False, True], ids=["non-streamed", "streamed"])
def test_unfinished_stop_prefix_is_flushed_at_the_end(client, stream):
    """A stop string whose start matches the end of the output, but never
    completes: the held-back text is real output and must come out."""
    messages = user("Describe the sea in one sentence.")
    ref = greedy(client, messages, 12)
    text = ref.choices[0].message.content
    assert ref.choices[0].finish_reason == "length"
    stop = text[-3:] + "\u2603never"
    assert stop not in text
    if stream:
        chunks, pieces = streamed(client, messages, 12, temperature=0, stop=[stop])
        got = "".join(pieces)
        finish = [c.choices[0].finish_reason for c in chunks if c.choices and c.choices[0].finish_reason]
    else:
        c = greedy(client, messages, 12, stop=stop)
        got, finish = c.choices[0].message.content, [c.choices[0].finish_reason]
    assert got == text
    assert finish == ["length"]


def test_concurrent_requests_keep_their_own_sampling_and_output(client):
    """6 requests at once (more than parallel=4, so some wait), each steered by
    its own logit_bias to its own token: each must get exactly what it gets
    alone. A batch that mixed up sequences, logits rows or samplers would hand
    a request another's token.

    Unsteered greedy text is not compared: llama.cpp's CPU kernels round
    differently with the batch's shape, and random weights have near-ties, so
    an unsteered continuation may legitimately part after a few tokens. The
    engine tests compare exact greedy output alone and in a batch of 16."""
    tokens = [1000, 2000, 3000, 4000, 5000, 6000]
    prompts = [f"Prompt number {i}: tell me about {topic}." for i, topic in
               enumerate(["rivers", "owls", "copper", "tea", "glaciers", "violins"])]

    def one(i):
        return greedy(client, user(prompts[i]), 12, logit_bias={str(tokens[i]): 100})

    alone = [one(i).choices[0].message.content for i in range(len(prompts))]
    assert len(set(alone)) == len(prompts), alone
    for text in alone:
        assert text and text == text[:len(text) // 12] * 12, text  # one token, twelve times
    with ThreadPoolExecutor(len(prompts)) as pool:
        together = list(pool.map(one, range(len(prompts))))
    for p, a, t in zip(prompts, alone, together):
        assert t.choices[0].finish_reason == "length"
        assert t.usage.completion_tokens == 12
        assert t.choices[0].message.content == a, f"{p!r}: batched {t.choices[0].message.content!r} != alone {a!r}"


def test_context_limits(client, http):
    """Prompt + completion never exceed the 4096 cells; a prompt that cannot
    fit is a 400 context_length_exceeded, not a 500 or a hang."""
    n = 3800
    probe = client.chat.completions.create(model=CHAT_MODEL, messages=user("a " * n), max_tokens=1)
    per_word = (probe.usage.prompt_tokens - 36) / n
    assert 0.9 < per_word < 1.1, f"unexpected tokenization: {probe.usage.prompt_tokens} tokens for {n} words"
    # Aim ~10 tokens below the context, then ask for more than fits.
    n2 = n + (CONTEXT - 10 - probe.usage.prompt_tokens)
    c = client.chat.completions.create(model=CHAT_MODEL, messages=user("a " * n2), max_tokens=64, temperature=0)
    p = c.usage.prompt_tokens
    assert CONTEXT - 40 < p < CONTEXT, p
    assert c.choices[0].finish_reason == "length"
    assert c.usage.completion_tokens == CONTEXT - p

    r = http.post("/v1/chat/completions", json={"model": CHAT_MODEL, "messages": user("a " * 5000), "max_tokens": 4})
    err = openai_error(r, 400)
    assert err["code"] == "context_length_exceeded"
    assert str(CONTEXT - 1) in err["message"] or str(CONTEXT) in err["message"]
    # Streaming requests get the same status before any byte of the stream.
    r = http.post("/v1/chat/completions", json={"model": CHAT_MODEL, "messages": user("a " * 5000), "max_tokens": 4,
                                                "stream": True})
    assert openai_error(r, 400)["code"] == "context_length_exceeded"
    with pytest.raises(openai.BadRequestError):
        client.chat.completions.create(model=CHAT_MODEL, messages=user("a " * 5000), max_tokens=4)
    # The engine is still fine afterwards.
    assert greedy(client, user("hi"), 2).usage.completion_tokens == 2


def test_stream_errors_are_http_statuses(http):
    """Errors known before the first byte are HTTP statuses with a JSON body,
    not a 200 event stream that fails."""
    r = http.post("/v1/chat/completions", json={"model": "nope:1b", "messages": user("x"), "stream": True})
    assert openai_error(r, 400)["code"] == "model_not_found"
    r = http.post("/v1/chat/completions", json={"model": CHAT_MODEL, "messages": user("x"), "stream": True,
                                                "temperature": "hot"})
    assert openai_error(r, 400)["param"] == "temperature"


def test_chunked_request_body(http):
    body = json.dumps({"model": CHAT_MODEL, "messages": user("chunked hello"), "max_tokens": 3}).encode()
    parts = [body[:10], body[10:25], body[25:]]
    r = http.post("/v1/chat/completions", content=iter(parts), headers={"Content-Type": "application/json"})
    assert r.status_code == 200, r.text
    assert r.json()["usage"]["completion_tokens"] == 3


def test_logit_bias_forces_a_token(client):
    c = client.chat.completions.create(model=CHAT_MODEL, messages=user("anything"), max_tokens=6, temperature=0,
                                       logit_bias={"1000": 100})
    assert c.usage.completion_tokens == 6
    text = c.choices[0].message.content
    unit = text[: len(text) // 6]
    assert unit and text == unit * 6, f"logit_bias +100 should repeat one token: {text!r}"
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(model=CHAT_MODEL, messages=user("x"), max_tokens=2, logit_bias={"abc": 5})
    assert "logit_bias" in e.value.message


def test_fields_clients_send_are_accepted(client):
    c = client.chat.completions.create(
        model=CHAT_MODEL, messages=user("hi"), max_tokens=3, temperature=0, top_p=1, frequency_penalty=0,
        presence_penalty=0, user="user-1234", store=False, metadata={"team": "e2e"}, logprobs=False,
        stop="zzzz-never")
    assert c.choices[0].finish_reason == "length" and c.usage.completion_tokens == 3


def test_tool_history_and_developer_role(client):
    tools = [{"type": "function", "function": {
        "name": "get_weather", "description": "Weather for a city",
        "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}]
    messages = [
        {"role": "developer", "content": "Be brief."},
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "18 C, cloudy"},
        {"role": "user", "content": "And tomorrow?"},
    ]
    c = client.chat.completions.create(model=CHAT_MODEL, messages=messages, tools=tools, max_tokens=4, temperature=0)
    assert c.choices[0].finish_reason in ("length", "stop", "tool_calls")
    assert c.usage.prompt_tokens > 40
    # A tool message without its id is the caller's mistake.
    bad = messages[:3] + [{"role": "tool", "content": "18 C"}]
    with pytest.raises(openai.BadRequestError) as e:
        client.chat.completions.create(model=CHAT_MODEL, messages=bad, max_tokens=2)
    assert "tool_call_id" in e.value.message
