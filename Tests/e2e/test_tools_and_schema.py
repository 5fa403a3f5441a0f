"""Issue 7 end to end: tool calls and schema-constrained output on the
random-weight models, through both SDKs. Random weights write nonsense, so
these tests check structure (a call that parses, JSON valid against the
schema), which the grammar sampler guarantees whatever the weights."""
import json

import anthropic
import jsonschema
import openai
import pytest

from conftest import CHAT_MODEL, ONDEMAND_MODEL

WEATHER = {
    "type": "object",
    "properties": {
        "city": {"type": "string", "maxLength": 24},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
        "days": {"type": "integer"},
    },
    "required": ["city", "unit"],
}
TOOLS = [{"type": "function", "function": {"name": "get_weather", "description": "Weather for a city",
                                           "parameters": WEATHER}},
         {"type": "function", "function": {"name": "get_time", "description": "Time in a zone",
                                           "parameters": {"type": "object", "properties": {"zone": {"type": "string", "maxLength": 16}},
                                                          "required": ["zone"]}}}]
ASK = [{"role": "user", "content": "What is the weather in Paris?"}]


@pytest.mark.parametrize("model", [CHAT_MODEL, ONDEMAND_MODEL])  # Llama 3 JSON and Hermes/Qwen formats
def test_forced_tool_call_parses_non_streaming(server, model):
    r = server.openai().chat.completions.create(model=model, messages=ASK, tools=TOOLS, tool_choice="required",
                                                max_tokens=120, temperature=0)
    choice = r.choices[0]
    assert choice.finish_reason == "tool_calls"
    assert choice.message.tool_calls, choice.message
    call = choice.message.tool_calls[0]
    assert call.type == "function" and call.id.startswith("call_")
    assert call.function.name in {"get_weather", "get_time"}
    args = json.loads(call.function.arguments)
    schema = WEATHER if call.function.name == "get_weather" else TOOLS[1]["function"]["parameters"]
    jsonschema.validate(args, schema)


@pytest.mark.parametrize("model", [CHAT_MODEL, ONDEMAND_MODEL])
def test_named_tool_call_streams_as_deltas(server, model):
    stream = server.openai().chat.completions.create(
        model=model, messages=ASK, tools=TOOLS, max_tokens=120, temperature=0, stream=True,
        tool_choice={"type": "function", "function": {"name": "get_weather"}})
    calls, finish = {}, None
    for chunk in stream:
        if not chunk.choices:
            continue
        delta = chunk.choices[0].delta
        for tc in delta.tool_calls or []:
            c = calls.setdefault(tc.index, {"id": None, "name": None, "args": ""})
            c["id"] = tc.id or c["id"]
            if tc.function and tc.function.name:
                c["name"] = tc.function.name
            if tc.function and tc.function.arguments:
                c["args"] += tc.function.arguments
        finish = chunk.choices[0].finish_reason or finish
    assert finish == "tool_calls"
    assert list(calls) == [0]
    assert calls[0]["name"] == "get_weather" and calls[0]["id"].startswith("call_")
    jsonschema.validate(json.loads(calls[0]["args"]), WEATHER)


def test_tool_choice_none_gives_plain_text(server):
    r = server.openai().chat.completions.create(model=CHAT_MODEL, messages=ASK, tools=TOOLS, tool_choice="none",
                                                max_tokens=8, temperature=0)
    assert r.choices[0].message.tool_calls is None
    assert r.choices[0].finish_reason == "length"


def test_json_schema_response_is_valid_against_the_schema(server):
    schema = {
        "type": "object",
        "properties": {
            "name": {"type": "string", "maxLength": 16},
            "age": {"type": "integer"},
            "pets": {"type": "array", "items": {"$ref": "#/$defs/pet"}, "maxItems": 2},
            "status": {"enum": ["active", "inactive", None]},
        },
        "required": ["name", "age", "pets", "status"],
        "$defs": {"pet": {"type": "object", "properties": {"kind": {"type": "string", "enum": ["cat", "dog"]},
                                                            "legs": {"type": "integer"}},
                          "required": ["kind", "legs"]}},
    }
    for model in (CHAT_MODEL, ONDEMAND_MODEL):
        r = server.openai().chat.completions.create(
            model=model, messages=[{"role": "user", "content": "Describe a person as JSON."}], max_tokens=300, temperature=0,
            response_format={"type": "json_schema", "json_schema": {"name": "person", "schema": schema}})
        content = r.choices[0].message.content
        assert r.choices[0].finish_reason == "stop", content
        jsonschema.validate(json.loads(content), schema)


def test_invalid_schema_is_a_400(server):
    with pytest.raises(openai.BadRequestError) as e:
        server.openai().chat.completions.create(
            model=CHAT_MODEL, messages=ASK, max_tokens=4,
            response_format={"type": "json_schema", "json_schema": {"name": "x", "schema": {"type": "frog"}}})
    assert "frog" in e.value.message


def test_anthropic_forced_tool_use(server):
    client = anthropic.Anthropic(base_url=server.url, api_key="unused", max_retries=0)
    tools = [{"name": "get_weather", "description": "Weather", "input_schema": WEATHER}]
    m = client.messages.create(model=ONDEMAND_MODEL, max_tokens=120, tools=tools, tool_choice={"type": "any"},
                               messages=ASK)
    assert m.stop_reason == "tool_use"
    uses = [b for b in m.content if b.type == "tool_use"]
    assert len(uses) == 1 and uses[0].name == "get_weather" and uses[0].id.startswith("toolu_")
    jsonschema.validate(uses[0].input, WEATHER)

    with client.messages.stream(model=CHAT_MODEL, max_tokens=120, tools=tools,
                                tool_choice={"type": "tool", "name": "get_weather"}, messages=ASK) as s:
        final = s.get_final_message()
    assert final.stop_reason == "tool_use"
    streamed = [b for b in final.content if b.type == "tool_use"]
    assert len(streamed) == 1
    jsonschema.validate(streamed[0].input, WEATHER)


# Issue 13 item 5: property order, not the alphabet, is the order the model writes.
ORDERED = {"type": "object",
           "properties": {"reasoning": {"type": "string", "maxLength": 24}, "answer": {"type": "string", "maxLength": 8}},
           "required": ["reasoning", "answer"]}


@pytest.mark.parametrize("model", [CHAT_MODEL, ONDEMAND_MODEL])
def test_json_schema_is_generated_in_property_order(server, model):
    r = server.openai().chat.completions.create(
        model=model, messages=[{"role": "user", "content": "Think, then answer."}], max_tokens=120, temperature=0,
        response_format={"type": "json_schema", "json_schema": {"name": "ordered", "schema": ORDERED}})
    content = r.choices[0].message.content
    assert r.choices[0].finish_reason == "stop", content
    assert list(json.loads(content)) == ["reasoning", "answer"], content


@pytest.mark.parametrize("model", [CHAT_MODEL, ONDEMAND_MODEL])
def test_forced_tool_call_arguments_come_in_schema_order(server, model):
    tool = {"type": "function", "function": {"name": "decide", "description": "Record a decision",
                                             "parameters": ORDERED}}
    r = server.openai().chat.completions.create(
        model=model, messages=ASK, tools=[tool], max_tokens=120, temperature=0,
        tool_choice={"type": "function", "function": {"name": "decide"}})
    call = r.choices[0].message.tool_calls[0]
    assert list(json.loads(call.function.arguments)) == ["reasoning", "answer"], call.function.arguments
