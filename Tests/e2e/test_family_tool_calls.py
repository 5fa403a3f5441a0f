"""Forced tool calls on real vocabularies where the call syntax is control
tokens: tiny-mistral (`[TOOL_CALLS]`, `[THINK]`) and tiny-gpt-oss (harmony
`<|channel|>commentary to=functions.NAME`). Random weights, so the grammar
writes the call and logit_bias steers the reasoning path: the reasoning comes
back apart (Mistral `[THINK]`, harmony `analysis` → reasoning_content) and the
call comes back parsed, in the schema's key order, streamed and not."""
from __future__ import annotations

import json
from pathlib import Path

import anthropic
import httpx
import pytest

from conftest import _model_entry, _start

MISTRAL = "tiny-mistral:latest"
GPT_OSS = "tiny-gpt-oss:latest"
SCHEMA = {"type": "object",
          "properties": {"zone": {"type": "string", "maxLength": 10}, "count": {"type": "integer"},
                         "alert": {"type": "boolean"}},
          "required": ["zone", "count", "alert"]}
TOOLS = [{"type": "function", "function": {"name": "check_zone", "description": "Check a zone", "parameters": SCHEMA}},
         {"type": "function", "function": {"name": "noop", "description": "Nothing",
                                           "parameters": {"type": "object", "properties": {}}}}]
NAMED = {"type": "function", "function": {"name": "check_zone"}}
ASK = [{"role": "user", "content": "Check zone A."}]
BUDGET = 3


@pytest.fixture(scope="module")
def family(tmp_path_factory, models_dir):
    entries = []
    for mid, f in ((MISTRAL, "tiny-mistral.gguf"), (GPT_OSS, "tiny-gpt-oss.gguf")):
        path = Path(models_dir) / f
        if not path.is_file():
            pytest.fail(f"{path} is missing: run `make models`", pytrace=False)
        entries.append(_model_entry(mid, path, "chat", context_size=2048, parallel=2, threads=1))
    srv = _start("family-tools", {"server": {"worker_name": "e2e-family-tools", "api_keys": []}, "models": entries},
                 tmp_path_factory)
    yield srv
    srv.stop()


def harmony_bias(srv):
    """`analysis` strongly, `<|channel|>` a little: the model then writes the
    channel as its one token (as gpt-oss does) and picks the analysis channel,
    while JSON strings still prefer the word to the token's text."""
    return {str(token(srv, GPT_OSS, "analysis", False)): 100, str(token(srv, GPT_OSS, "<|channel|>", True)): 30}


def token(srv, model, text, special):
    r = httpx.post(srv.url + "/tokenize", json={"model": model, "content": text, "parse_special": special}, timeout=30)
    tokens = r.json()["tokens"]
    return tokens[0]


def calls_of(oai, kw):
    """The call not streamed, and the same request streamed (accumulated)."""
    r = oai.chat.completions.create(**kw)
    choice = r.choices[0]
    streamed, reasoning, finish = {}, "", None
    for chunk in oai.chat.completions.create(**kw, stream=True):
        if not chunk.choices:
            continue
        d = chunk.choices[0].delta
        reasoning += getattr(d, "reasoning_content", None) or ""
        for tc in d.tool_calls or []:
            c = streamed.setdefault(tc.index, {"name": None, "arguments": ""})
            c["name"] = tc.function.name or c["name"]
            c["arguments"] += tc.function.arguments or ""
        finish = chunk.choices[0].finish_reason or finish
    return r, choice, streamed, reasoning, finish


def check_call(choice, streamed, finish):
    assert choice.finish_reason == "tool_calls" and finish == "tool_calls", choice
    call = choice.message.tool_calls[0]
    assert call.function.name == "check_zone" and call.id.startswith("call_")
    args = json.loads(call.function.arguments)
    assert list(args) == ["zone", "count", "alert"], args  # the schema's order
    assert isinstance(args["count"], int) and isinstance(args["alert"], bool)
    assert streamed == {0: {"name": "check_zone", "arguments": call.function.arguments}}
    assert choice.message.content in (None, ""), choice.message.content


@pytest.mark.parametrize("model", [MISTRAL, GPT_OSS])
def test_forced_call_without_reasoning(family, model):
    # The call's first marker nudged to be its control token, as a trained model writes it.
    marker = token(family, model, "[TOOL_CALLS]" if model == MISTRAL else "<|channel|>", True)
    kw = dict(model=model, messages=ASK, tools=TOOLS, tool_choice=NAMED, logit_bias={str(marker): 30},
              max_tokens=160, temperature=0, extra_body={"reasoning_effort": "none"})
    r, choice, streamed, reasoning, finish = calls_of(family.openai(), kw)
    check_call(choice, streamed, finish)
    assert getattr(choice.message, "reasoning_content", None) is None and reasoning == ""


def test_mistral_reasons_in_think_then_calls(family):
    """[THINK] steered first (logit_bias), the budget writes [/THINK], the grammar the call."""
    think, calls = token(family, MISTRAL, "[THINK]", True), token(family, MISTRAL, "[TOOL_CALLS]", True)
    kw = dict(model=MISTRAL, messages=ASK, tools=TOOLS, tool_choice=NAMED, max_tokens=160, temperature=0,
              logit_bias={str(think): 100, str(calls): 30}, extra_body={"thinking_budget_tokens": BUDGET})
    r, choice, streamed, reasoning, finish = calls_of(family.openai(), kw)
    check_call(choice, streamed, finish)
    assert choice.message.reasoning_content and reasoning == choice.message.reasoning_content
    assert "[/THINK]" not in reasoning and "[TOOL_CALLS]" not in reasoning
    assert r.usage.completion_tokens_details.reasoning_tokens == BUDGET


def test_gpt_oss_analysis_is_reasoning_then_commentary_call(family):
    """harmony: `analysis` steered first, the budget writes <|end|>, then the
    grammar's commentary call; Anthropic sees a thinking block, then tool_use."""
    kw = dict(model=GPT_OSS, messages=ASK, tools=TOOLS, tool_choice=NAMED, max_tokens=160, temperature=0,
              logit_bias=harmony_bias(family), extra_body={"thinking_budget_tokens": BUDGET})
    r, choice, streamed, reasoning, finish = calls_of(family.openai(), kw)
    check_call(choice, streamed, finish)
    assert choice.message.reasoning_content and reasoning == choice.message.reasoning_content
    assert "<|" not in reasoning
    assert r.usage.completion_tokens_details.reasoning_tokens == BUDGET

    claude = anthropic.Anthropic(base_url=family.url, api_key="unused", max_retries=0)
    akw = dict(model=GPT_OSS, max_tokens=160, messages=ASK, tool_choice={"type": "tool", "name": "check_zone"},
               tools=[{"name": "check_zone", "description": "Check a zone", "input_schema": SCHEMA}],
               thinking={"type": "enabled", "budget_tokens": BUDGET},
               extra_body={"temperature": 0, "logit_bias": harmony_bias(family)})
    msg = claude.messages.create(**akw)
    assert [b.type for b in msg.content] == ["thinking", "tool_use"], msg
    assert list(msg.content[1].input) == ["zone", "count", "alert"]
    with claude.messages.stream(**akw) as s:
        final = s.get_final_message()
    assert final.content[0].model_dump() == msg.content[0].model_dump()
    assert (final.content[1].name, final.content[1].input) == (msg.content[1].name, msg.content[1].input)


def test_gpt_oss_json_schema_after_analysis_is_final_content(family):
    """json_schema on harmony: the analysis message (reasoning), then the JSON
    in the final channel, which is the content, in the schema's order."""
    schema = {"type": "object", "properties": {"zone": {"type": "string", "maxLength": 8}, "count": {"type": "integer"}},
              "required": ["zone", "count"]}
    kw = dict(model=GPT_OSS, messages=ASK, max_tokens=160, temperature=0, logit_bias=harmony_bias(family),
              response_format={"type": "json_schema", "json_schema": {"name": "z", "schema": schema}},
              extra_body={"thinking_budget_tokens": BUDGET})
    r = family.openai().chat.completions.create(**kw)
    m = r.choices[0].message
    assert r.choices[0].finish_reason == "stop", r
    assert getattr(m, "reasoning_content", None), m
    assert "<|" not in m.reasoning_content and "<|" not in m.content
    assert list(json.loads(m.content)) == ["zone", "count"], m.content
