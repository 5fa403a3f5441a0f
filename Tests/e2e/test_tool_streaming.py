"""Tool-call arguments streamed as they are generated (issue 13): a forced call
on tiny-qwen2 (Hermes `<tool_call>` JSON) and tiny-llama (Llama 3 JSON), greedy,
through the official SDKs. The streamed fragments, accumulated, are exactly the
arguments of the same call not streamed, and they come in several fragments
(not one whole-call delta), the call's id and name first."""
import json

import anthropic
import pytest

from conftest import CHAT_MODEL, ONDEMAND_MODEL

# tiny-qwen2 loads on first use: on shared CPUs that can take most of a minute.
TIMEOUT = 240


def oai(server):
    return server.openai().with_options(timeout=TIMEOUT)

SCHEMA = {"type": "object",
          "properties": {"unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
                         "city": {"type": "string", "maxLength": 20}, "days": {"type": "integer"}},
          "required": ["unit", "city", "days"]}
TOOL = {"type": "function", "function": {"name": "get_weather", "description": "Weather", "parameters": SCHEMA}}
ASK = [{"role": "user", "content": "Weather in Paris for three days?"}]
NAMED = {"type": "function", "function": {"name": "get_weather"}}


@pytest.mark.parametrize("model", [ONDEMAND_MODEL, CHAT_MODEL])
def test_openai_chat_fragments_add_up_to_the_whole_call(server, model):
    kw = dict(model=model, messages=ASK, tools=[TOOL], tool_choice=NAMED, max_tokens=120, temperature=0)
    whole = oai(server).chat.completions.create(**kw).choices[0]
    assert whole.finish_reason == "tool_calls", whole
    arguments = whole.message.tool_calls[0].function.arguments
    assert list(json.loads(arguments)) == ["unit", "city", "days"], arguments

    heads, fragments, finish, order = [], [], None, []
    for chunk in oai(server).chat.completions.create(**kw, stream=True):
        if not chunk.choices:
            continue
        for tc in chunk.choices[0].delta.tool_calls or []:
            if tc.id:
                heads.append((tc.index, tc.id, tc.function.name, tc.function.arguments))
                order.append("head")
            elif tc.function.arguments:
                fragments.append(tc.function.arguments)
                order.append("args")
        finish = chunk.choices[0].finish_reason or finish
    assert finish == "tool_calls"
    assert len(heads) == 1 and heads[0][0] == 0 and heads[0][1].startswith("call_")
    assert heads[0][2:] == ("get_weather", ""), heads  # the name first, arguments after
    assert order[0] == "head" and len(fragments) > 3, fragments
    assert "".join(fragments) == arguments


@pytest.mark.parametrize("model", [ONDEMAND_MODEL, CHAT_MODEL])
def test_responses_argument_deltas_add_up(server, model):
    tool = {"type": "function", "name": "get_weather", "parameters": SCHEMA}
    kw = dict(model=model, input="Weather in Paris for three days?", tools=[tool],
              tool_choice={"type": "function", "name": "get_weather"}, max_output_tokens=120, temperature=0)
    whole = oai(server).responses.create(**kw)
    calls = [o for o in whole.output if o.type == "function_call"]
    assert len(calls) == 1, whole.output
    events = list(oai(server).responses.create(**kw, stream=True))
    deltas = [e.delta for e in events if e.type == "response.function_call_arguments.delta"]
    done = [e for e in events if e.type == "response.function_call_arguments.done"]
    assert len(deltas) > 3 and "".join(deltas) == done[0].arguments == calls[0].arguments


@pytest.mark.parametrize("model", [ONDEMAND_MODEL, CHAT_MODEL])
def test_anthropic_input_json_deltas_add_up(server, model):
    client = anthropic.Anthropic(base_url=server.url, api_key="unused", max_retries=0, timeout=TIMEOUT)
    tools = [{"name": "get_weather", "description": "Weather", "input_schema": SCHEMA}]
    kw = dict(model=model, max_tokens=120, tools=tools, tool_choice={"type": "tool", "name": "get_weather"},
              messages=ASK, extra_body={"temperature": 0})
    whole = client.messages.create(**kw)
    use = [b for b in whole.content if b.type == "tool_use"]
    assert whole.stop_reason == "tool_use" and len(use) == 1
    partial, starts = [], []
    with client.messages.stream(**kw) as s:
        for e in s:
            if e.type == "content_block_start":
                starts.append(e.content_block.type)
            if e.type == "content_block_delta" and e.delta.type == "input_json_delta":
                partial.append(e.delta.partial_json)
        final = s.get_final_message()
    assert starts == ["tool_use"] and len(partial) > 3, partial
    assert json.loads("".join(partial)) == use[0].input
    assert list(use[0].input) == ["unit", "city", "days"]
    assert [b.model_dump() for b in final.content if b.type == "tool_use"][0]["input"] == use[0].input
