"""Reasoning models through the official SDKs: tiny-qwen3-think carries the
Qwen 3.5 chat template, whose generation prompt opens `<think>`. Random
weights never close it on their own, so a reasoning budget (which makes
the engine write `</think>` itself) is what puts content after the
reasoning. Checked per dialect, streamed and not: reasoning in its own
field / block / item, content apart; with thinking off, no reasoning."""
from __future__ import annotations

import json

import pytest

from anthropic_helpers import sdk
from conftest import _model_entry, _start

THINK_MODEL = "tiny-qwen3-think:latest"
THINK_FILE = "tiny-qwen3-think.gguf"
BUDGET = 4
MAX = 12


@pytest.fixture(scope="module")
def think_server(tmp_path_factory, models_dir):
    path = models_dir / THINK_FILE
    if not path.is_file():
        pytest.fail(f"{path} is missing: run `make models`", pytrace=False)
    config = {"server": {"worker_name": "e2e-think", "api_keys": []},
              "models": [_model_entry(THINK_MODEL, path, "chat", context_size=2048, parallel=2)]}
    srv = _start("think", config, tmp_path_factory)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def oai(think_server):
    return think_server.openai()


@pytest.fixture(scope="module")
def claude(think_server):
    return sdk(think_server)


def budget(n=BUDGET):
    return {"temperature": 0, "thinking_budget_tokens": n}


# ---------------------------------------------------------------- OpenAI chat

def test_chat_reasoning_content_apart_from_content(oai):
    r = oai.chat.completions.create(model=THINK_MODEL, messages=[{"role": "user", "content": "Hi"}],
                                    max_tokens=MAX, extra_body=budget())
    m = r.choices[0].message
    assert m.reasoning_content and m.content, m
    assert "<think>" not in m.content and "</think>" not in m.content
    assert "</think>" not in m.reasoning_content
    assert r.usage.completion_tokens == MAX
    # The budget's tokens were reasoning; the forced closing tag is not counted as such.
    assert r.usage.completion_tokens_details.reasoning_tokens == BUDGET

    # Streamed: the same reasoning as delta.reasoning_content, the same content.
    reasoning, content = "", ""
    for chunk in oai.chat.completions.create(model=THINK_MODEL, messages=[{"role": "user", "content": "Hi"}],
                                             max_tokens=MAX, stream=True, extra_body=budget()):
        if chunk.choices:
            d = chunk.choices[0].delta
            reasoning += getattr(d, "reasoning_content", None) or ""
            content += d.content or ""
    assert (reasoning, content) == (m.reasoning_content, m.content)


def test_chat_without_budget_is_all_reasoning(oai):
    r = oai.chat.completions.create(model=THINK_MODEL, messages=[{"role": "user", "content": "Hi"}],
                                    max_tokens=6, temperature=0)
    m = r.choices[0].message
    assert m.reasoning_content and m.content == ""


@pytest.mark.parametrize("off", [{"reasoning_effort": "none"}, {"chat_template_kwargs": {"enable_thinking": False}}])
def test_chat_thinking_disabled_gives_no_reasoning(oai, off):
    r = oai.chat.completions.create(model=THINK_MODEL, messages=[{"role": "user", "content": "Hi"}],
                                    max_tokens=8, extra_body={"temperature": 0, **off})
    m = r.choices[0].message
    assert m.content and getattr(m, "reasoning_content", None) is None
    chunks = list(oai.chat.completions.create(model=THINK_MODEL, messages=[{"role": "user", "content": "Hi"}],
                                              max_tokens=8, stream=True, extra_body={"temperature": 0, **off}))
    assert not any(getattr(c.choices[0].delta, "reasoning_content", None) for c in chunks if c.choices)
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == m.content


def test_chat_reasoning_in_history_is_rendered(oai):
    call = {"id": "call_1", "type": "function", "function": {"name": "f", "arguments": "{}"}}
    tools = [{"type": "function", "function": {"name": "f", "parameters": {"type": "object", "properties": {}}}}]

    def prompt_tokens(reasoning):
        assistant = {"role": "assistant", "content": "", "tool_calls": [call]}
        if reasoning:
            assistant["reasoning_content"] = reasoning
        msgs = [{"role": "user", "content": "Hi"}, assistant, {"role": "tool", "tool_call_id": "call_1", "content": "ok"}]
        r = oai.chat.completions.create(model=THINK_MODEL, messages=msgs, tools=tools, max_tokens=1, temperature=0)
        return r.usage.prompt_tokens

    assert prompt_tokens("I will call f to find out more.") > prompt_tokens(None)


# ---------------------------------------------------------------- Anthropic

def test_anthropic_thinking_block_then_text(claude):
    kw = dict(model=THINK_MODEL, max_tokens=MAX, messages=[{"role": "user", "content": "Hi"}],
              thinking={"type": "enabled", "budget_tokens": BUDGET}, extra_body={"temperature": 0})
    msg = claude.messages.create(**kw)
    assert [b.type for b in msg.content] == ["thinking", "text"]
    assert msg.content[0].thinking and msg.content[0].signature and msg.content[1].text
    with claude.messages.stream(**kw) as s:
        kinds = [e.content_block.type for e in s if e.type == "content_block_start"]
        final = s.get_final_message()
    assert kinds == ["thinking", "text"]
    assert [b.model_dump() for b in final.content] == [b.model_dump() for b in msg.content]


def test_anthropic_thinking_disabled_has_no_thinking_block(claude):
    kw = dict(model=THINK_MODEL, max_tokens=8, messages=[{"role": "user", "content": "Hi"}],
              thinking={"type": "disabled"}, extra_body={"temperature": 0})
    assert [b.type for b in claude.messages.create(**kw).content] == ["text"]
    with claude.messages.stream(**kw) as s:
        assert [b.type for b in s.get_final_message().content] == ["text"]


def test_anthropic_thinking_blocks_in_history_are_rendered(claude):
    def count(with_thinking):
        content = [{"type": "tool_use", "id": "toolu_1", "name": "f", "input": {}}]
        if with_thinking:
            content.insert(0, {"type": "thinking", "thinking": "Call f first.", "signature": "x"})
        msgs = [{"role": "user", "content": "Hi"}, {"role": "assistant", "content": content},
                {"role": "user", "content": [{"type": "tool_result", "tool_use_id": "toolu_1", "content": "ok"}]}]
        tools = [{"name": "f", "input_schema": {"type": "object", "properties": {}}}]
        return claude.messages.count_tokens(model=THINK_MODEL, messages=msgs, tools=tools).input_tokens

    assert count(True) > count(False)


# ---------------------------------------------------------------- Responses

def test_responses_reasoning_item_then_message(oai):
    kw = dict(model=THINK_MODEL, input="Hi", max_output_tokens=MAX, reasoning={"effort": "low"}, extra_body=budget())
    r = oai.responses.create(**kw)
    assert [o.type for o in r.output] == ["reasoning", "message"]
    assert r.output[0].content[0].text and r.output_text
    assert r.usage.output_tokens_details.reasoning_tokens == BUDGET
    # max_output_tokens ends it as response.incomplete, which the SDK's stream
    # helper does not take as an end: read the raw events.
    events = list(oai.responses.create(**kw, stream=True))
    deltas = [e.delta for e in events if e.type == "response.reasoning_text.delta"]
    final = events[-1].response
    assert events[-1].type == "response.incomplete"
    assert "".join(deltas) == r.output[0].content[0].text
    assert [o.type for o in final.output] == ["reasoning", "message"]
    assert final.output_text == r.output_text


def test_responses_effort_none_has_no_reasoning_item(oai):
    kw = dict(model=THINK_MODEL, input="Hi", max_output_tokens=8, reasoning={"effort": "none"}, temperature=0)
    off = oai.responses.create(**kw)
    assert [o.type for o in off.output] == ["message"] and off.usage.output_tokens_details.reasoning_tokens == 0
    events = list(oai.responses.create(**kw, stream=True))
    assert not any(e.type.startswith("response.reasoning") for e in events)
    assert [o.type for o in events[-1].response.output] == ["message"]


# ---------------------------------------------------------------- Qwen3-Coder XML tool calls

SUM_TOOL = {"type": "function", "function": {
    "name": "add", "description": "Add two integers",
    "parameters": {"type": "object", "properties": {"b": {"type": "integer"}, "a": {"type": "integer"}},
                   "required": ["b", "a"]}}}


@pytest.mark.parametrize("thinking", [budget(), {"temperature": 0, "reasoning_effort": "none"}], ids=["reasons", "off"])
def test_forced_xml_tool_call_streamed_and_not(oai, thinking):
    """The Qwen 3.5 template asks for <function=...><parameter=...> calls: a forced
    call comes back parsed, with integer arguments, both ways. The model reasons
    first (its prompt opened <think>; the budget closes it), then the grammar
    forces the call; with thinking off the call comes at once."""
    kw = dict(model=THINK_MODEL, messages=[{"role": "user", "content": "Add 2 and 3"}], tools=[SUM_TOOL],
              tool_choice="required", max_tokens=80, extra_body=thinking)
    r = oai.chat.completions.create(**kw)
    assert r.choices[0].finish_reason == "tool_calls", r
    reasoning = getattr(r.choices[0].message, "reasoning_content", None)
    if "thinking_budget_tokens" in thinking:
        assert reasoning and r.usage.completion_tokens_details.reasoning_tokens == BUDGET, r
    else:
        assert reasoning is None and r.usage.completion_tokens_details.reasoning_tokens == 0, r
    call = r.choices[0].message.tool_calls[0]
    assert call.function.name == "add" and call.id.startswith("call_")
    args = json.loads(call.function.arguments)
    # (Key order follows the schema as parsed; with PendraJSON's ordered parser that is "b", "a".)
    assert set(args) == {"a", "b"} and all(isinstance(v, int) for v in args.values())

    heads, fragments, finish = [], "", None
    for chunk in oai.chat.completions.create(**kw, stream=True):
        if not chunk.choices:
            continue
        for tc in chunk.choices[0].delta.tool_calls or []:
            if tc.id:
                heads.append((tc.index, tc.function.name))
            fragments += tc.function.arguments or ""
        finish = chunk.choices[0].finish_reason or finish
    assert heads == [(0, "add")] and finish == "tool_calls"
    assert fragments == call.function.arguments


def test_anthropic_forced_xml_tool_use(claude):
    """tool_choice any on a reasoning model: a thinking block, then the forced call."""
    tools = [{"name": "add", "input_schema": SUM_TOOL["function"]["parameters"]}]
    kw = dict(model=THINK_MODEL, max_tokens=80, tools=tools, tool_choice={"type": "any"},
              thinking={"type": "enabled", "budget_tokens": BUDGET},
              messages=[{"role": "user", "content": "Add 2 and 3"}], extra_body={"temperature": 0})
    msg = claude.messages.create(**kw)
    assert msg.stop_reason == "tool_use"
    assert [b.type for b in msg.content] == ["thinking", "tool_use"], msg
    assert msg.content[0].thinking
    use = msg.content[1]
    assert use.name == "add" and list(use.input) == ["b", "a"] and all(isinstance(v, int) for v in use.input.values())
    with claude.messages.stream(**kw) as s:
        final = s.get_final_message()
    assert [b.model_dump() for b in final.content][0] == msg.content[0].model_dump()
    assert final.content[1].input == use.input


# ---------------------------------------------------------------- json_schema after reasoning

VERDICT = {"type": "object", "properties": {"verdict": {"type": "string", "maxLength": 6}, "score": {"type": "integer"}},
           "required": ["verdict", "score"]}
SCHEMA_FORMAT = {"type": "json_schema", "json_schema": {"name": "verdict", "schema": VERDICT, "strict": True}}


def _check_verdict(text):
    obj = json.loads(text)
    assert list(obj) == ["verdict", "score"], obj  # the schema's order, not the alphabet's
    assert isinstance(obj["verdict"], str) and len(obj["verdict"]) <= 6 and isinstance(obj["score"], int)


def test_json_schema_comes_after_the_reasoning(oai):
    """The reasoning first (in its own field), then content that is the schema's
    JSON: the grammar starts after the closing tag, streamed and not."""
    kw = dict(model=THINK_MODEL, messages=[{"role": "user", "content": "Judge this."}], max_tokens=60,
              response_format=SCHEMA_FORMAT, extra_body=budget())
    r = oai.chat.completions.create(**kw)
    m = r.choices[0].message
    assert r.choices[0].finish_reason == "stop", r
    assert m.reasoning_content and r.usage.completion_tokens_details.reasoning_tokens == BUDGET
    assert "</think>" not in m.reasoning_content and "<think>" not in m.content
    _check_verdict(m.content)
    reasoning, content = "", ""
    for chunk in oai.chat.completions.create(**kw, stream=True):
        if chunk.choices:
            reasoning += getattr(chunk.choices[0].delta, "reasoning_content", None) or ""
            content += chunk.choices[0].delta.content or ""
    assert (reasoning, content) == (m.reasoning_content, m.content)


def test_json_schema_with_thinking_off_has_no_reasoning(oai):
    r = oai.chat.completions.create(model=THINK_MODEL, messages=[{"role": "user", "content": "Judge this."}],
                                    max_tokens=60, response_format=SCHEMA_FORMAT,
                                    extra_body={"temperature": 0, "reasoning_effort": "none"})
    m = r.choices[0].message
    assert getattr(m, "reasoning_content", None) is None and r.usage.completion_tokens_details.reasoning_tokens == 0
    _check_verdict(m.content)


def test_responses_json_schema_after_reasoning_item(oai):
    r = oai.responses.create(model=THINK_MODEL, input="Judge this.", max_output_tokens=60,
                             reasoning={"effort": "low"}, extra_body=budget(),
                             text={"format": {"type": "json_schema", "name": "verdict", "schema": VERDICT}})
    assert [o.type for o in r.output] == ["reasoning", "message"], r
    assert r.output[0].content[0].text
    _check_verdict(r.output_text)
