"""The OpenAI Responses API (`POST /v1/responses`, Codex's wire protocol)
through the official `openai` SDK and raw HTTP. Random weights write
nonsense, so these tests check structure: shapes the SDK parses, events in
an order its stream helper accepts, tool calls the grammar guarantees, and
usage that shows prefix reuse."""
import json

import jsonschema
import openai
import pytest

from conftest import CHAT_MODEL, ONDEMAND_MODEL
from e2e_helpers import openai_error

WEATHER = {
    "type": "object",
    "properties": {"city": {"type": "string", "maxLength": 24},
                   "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
    "required": ["city", "unit"],
}
TOOLS = [{"type": "function", "name": "get_weather", "description": "Weather for a city", "parameters": WEATHER}]


def sse_events(resp):
    """(event line, parsed data) pairs of a Responses stream."""
    events, name = [], None
    for line in resp.iter_lines():
        if line.startswith("event: "):
            name = line[len("event: "):]
        elif line.startswith("data: "):
            events.append((name, json.loads(line[len("data: "):])))
    return events


def test_text_response_and_usage(server):
    client = server.openai()
    r = client.responses.create(model=CHAT_MODEL, instructions="Be brief.", input="Say hello.",
                                max_output_tokens=8, temperature=0)
    assert r.id.startswith("resp_") and r.object == "response"
    assert r.status == "incomplete" and r.incomplete_details.reason == "max_output_tokens"
    assert [o.type for o in r.output] == ["message"]
    assert r.output[0].role == "assistant" and r.output[0].content[0].type == "output_text"
    assert r.output_text == r.output[0].content[0].text and r.output_text
    assert r.usage.output_tokens == 8 and r.usage.input_tokens > 0
    assert r.usage.total_tokens == r.usage.input_tokens + 8
    assert r.instructions == "Be brief." and r.max_output_tokens == 8 and r.temperature == 0

    # The same prompt again: its prefix comes from the cache.
    again = client.responses.create(model=CHAT_MODEL, instructions="Be brief.", input="Say hello.",
                                    max_output_tokens=8, temperature=0)
    assert again.usage.input_tokens_details.cached_tokens > 0
    assert again.output_text == r.output_text  # greedy: same text


def test_stop_sequence_completes(server):
    client = server.openai()
    ask = dict(model=CHAT_MODEL, input="Count.", max_output_tokens=12, temperature=0, extra_body={"ignore_eos": True})
    text = client.responses.create(**ask).output_text
    assert len(text) >= 6, text
    stop = text[4:6]
    r = client.responses.create(**{**ask, "extra_body": {"ignore_eos": True, "stop": [stop]}})
    assert r.status == "completed" and r.incomplete_details is None
    assert stop not in r.output_text and text.startswith(r.output_text)


def test_stream_helper_accumulates_the_final_response(server):
    client = server.openai()
    deltas = []
    with client.responses.stream(model=CHAT_MODEL, input=[{"role": "user", "content": "Hi"}],
                                 max_output_tokens=6, temperature=0, extra_body={"ignore_eos": True}) as s:
        for event in s:
            if event.type == "response.output_text.delta":
                deltas.append(event.delta)
    # max_output_tokens ends it as incomplete, which the helper reports as it is.
    plain = client.responses.create(model=CHAT_MODEL, input=[{"role": "user", "content": "Hi"}],
                                    max_output_tokens=6, temperature=0, extra_body={"ignore_eos": True})
    assert "".join(deltas) == plain.output_text


def test_stream_events_in_order_with_sequence_numbers(http):
    body = {"model": CHAT_MODEL, "input": "Hi", "max_output_tokens": 5, "temperature": 0, "stream": True}
    with http.stream("POST", "/v1/responses", json=body) as resp:
        assert resp.status_code == 200
        assert resp.headers["content-type"].startswith("text/event-stream")
        assert resp.headers["x-request-id"] and resp.headers["x-worker-id"]
        events = sse_events(resp)
    names = [n for n, _ in events]
    assert all(n == d["type"] for n, d in events)
    assert [d["sequence_number"] for _, d in events] == list(range(len(events)))
    assert names[:4] == ["response.created", "response.in_progress", "response.output_item.added",
                         "response.content_part.added"]
    assert names[-4:] == ["response.output_text.done", "response.content_part.done", "response.output_item.done",
                          "response.incomplete"]
    text = "".join(d["delta"] for n, d in events if n == "response.output_text.delta")
    final = events[-1][1]["response"]
    assert final["output"][0]["content"][0]["text"] == text
    assert final["usage"]["output_tokens"] == 5
    ids = {d["response"]["id"] for n, d in events if "response" in d}
    assert len(ids) == 1


@pytest.mark.parametrize("model", [CHAT_MODEL, ONDEMAND_MODEL])  # Llama 3 JSON and Hermes formats
def test_forced_function_call_and_its_output_round_trip(server, model):
    client = server.openai()
    ask = [{"role": "user", "content": "What is the weather in Paris?"}]
    r = client.responses.create(model=model, input=ask, tools=TOOLS, tool_choice="required",
                                max_output_tokens=120, temperature=0)
    calls = [o for o in r.output if o.type == "function_call"]
    assert r.status == "completed" and len(calls) == 1, r.output
    call = calls[0]
    assert call.name == "get_weather" and call.call_id.startswith("call_") and call.id.startswith("fc_")
    jsonschema.validate(json.loads(call.arguments), WEATHER)

    # Codex's next turn: the call and its output appended to the input.
    follow = ask + [{"type": "function_call", "call_id": call.call_id, "name": call.name, "arguments": call.arguments},
                    {"type": "function_call_output", "call_id": call.call_id, "output": "18 degrees, sunny"}]
    r2 = client.responses.create(model=model, input=follow, tools=TOOLS, tool_choice="none",
                                 max_output_tokens=6, temperature=0)
    assert [o.type for o in r2.output] == ["message"] and r2.output_text
    # The call and its output are in the prompt: more tokens than the question alone.
    alone = client.responses.create(model=model, input=ask, tools=TOOLS, tool_choice="none", max_output_tokens=1)
    assert r2.usage.input_tokens > alone.usage.input_tokens + 10


def test_streamed_function_call_through_the_helper(server):
    client = server.openai()
    with client.responses.stream(model=CHAT_MODEL, input="Weather in Oslo?", tools=TOOLS,
                                 tool_choice={"type": "function", "name": "get_weather"},
                                 max_output_tokens=120, temperature=0) as s:
        arg_deltas = [e.delta for e in s if e.type == "response.function_call_arguments.delta"]
        final = s.get_final_response()
    calls = [o for o in final.output if o.type == "function_call"]
    assert final.status == "completed" and len(calls) == 1
    assert "".join(arg_deltas) == calls[0].arguments
    jsonschema.validate(json.loads(calls[0].arguments), WEATHER)


def test_custom_tool_comes_back_as_free_form_input(server):
    client = server.openai()
    tools = [{"type": "custom", "name": "apply_patch", "description": "Apply a patch to files"}]
    # Free-form input has no length bound and random weights rarely pick a
    # closing quote: a bias on `"` (token 1 in the Llama 3 vocabulary) ends it.
    close = {"logit_bias": {"1": 6}}
    r = client.responses.create(model=CHAT_MODEL, input="Fix the typo.", tools=tools, tool_choice="required",
                                max_output_tokens=1000, temperature=0, extra_body=close)
    calls = [o for o in r.output if o.type == "custom_tool_call"]
    assert len(calls) == 1, r.output
    assert calls[0].name == "apply_patch" and isinstance(calls[0].input, str)
    with client.responses.stream(model=CHAT_MODEL, input="Fix the typo.", tools=tools, tool_choice="required",
                                 max_output_tokens=1000, temperature=0, extra_body=close) as s:
        deltas = [e.delta for e in s if e.type == "response.custom_tool_call_input.delta"]
        final = s.get_final_response()
    streamed = [o for o in final.output if o.type == "custom_tool_call"]
    # Not compared with the first call's input: 500 greedy tokens after a
    # prefix-cache hit may part at a near-tie of the random weights.
    assert len(streamed) == 1 and streamed[0].name == "apply_patch" and "".join(deltas) == streamed[0].input
    # And as history: the call and its output are accepted back.
    follow = [{"role": "user", "content": "Fix the typo."},
              {"type": "custom_tool_call", "call_id": calls[0].call_id, "name": "apply_patch", "input": calls[0].input},
              {"type": "custom_tool_call_output", "call_id": calls[0].call_id, "output": "Done"}]
    r2 = client.responses.create(model=CHAT_MODEL, input=follow, tools=tools, max_output_tokens=4, temperature=0)
    assert r2.output


def test_json_schema_text_format(server):
    schema = {"type": "object", "properties": {"name": {"type": "string", "maxLength": 12}, "age": {"type": "integer"}},
              "required": ["name", "age"], "additionalProperties": False}
    r = server.openai().responses.create(
        model=CHAT_MODEL, input="A person as JSON.", max_output_tokens=200, temperature=0,
        text={"format": {"type": "json_schema", "name": "person", "schema": schema, "strict": True}})
    assert r.status == "completed"
    jsonschema.validate(json.loads(r.output_text), schema)


def test_codex_shaped_request(http):
    """What Codex sends: instructions, developer and user messages, a shell
    function tool, reasoning and include, store false, stream true."""
    body = {
        "model": CHAT_MODEL, "instructions": "You are a coding agent.", "stream": True, "store": False,
        "input": [
            {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "Sandbox: read-only."}]},
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "List the files."}]},
            {"type": "reasoning", "id": "rs_1", "summary": [], "encrypted_content": None},
        ],
        "tools": [{"type": "function", "name": "shell_command", "description": "Run a command", "strict": False,
                   "parameters": {"type": "object", "properties": {"command": {"type": "string"}},
                                  "required": ["command"]}},
                  {"type": "web_search"}],
        "tool_choice": "auto", "parallel_tool_calls": False, "reasoning": {"effort": "medium", "summary": "auto"},
        "include": ["reasoning.encrypted_content"], "prompt_cache_key": "abc", "max_output_tokens": 4,
    }
    with http.stream("POST", "/v1/responses", json=body) as resp:
        assert resp.status_code == 200
        events = sse_events(resp)
    final = events[-1][1]["response"]
    assert events[-1][0] in ("response.completed", "response.incomplete")
    assert [t["type"] for t in final["tools"]] == ["function"]  # web_search is not offered
    assert final["reasoning"]["effort"] == "medium"
    assert final["usage"]["input_tokens"] > 0


@pytest.mark.parametrize("body, param, words", [
    ({"model": CHAT_MODEL}, "input", "input"),
    ({"model": CHAT_MODEL, "input": 5}, "input", "string or an array"),
    ({"model": CHAT_MODEL, "input": "x", "previous_response_id": "resp_1"}, "previous_response_id", "does not store"),
    ({"model": CHAT_MODEL, "input": [{"type": "item_reference", "id": "msg_1"}]}, "input[0].type", "stored"),
    ({"model": CHAT_MODEL, "input": [{"role": "wizard", "content": "x"}]}, "input[0].role", "wizard"),
    ({"model": CHAT_MODEL, "input": [{"role": "user", "content": [{"type": "input_image", "image_url": "x"}]}]},
     "input[0].content", "images"),
    ({"model": CHAT_MODEL, "input": "x", "tool_choice": {"type": "web_search"}}, "tool_choice.type", "OpenAI's servers"),
    ({"model": CHAT_MODEL, "input": "x", "tool_choice": "required"}, "tool_choice", "at least one"),
    ({"model": CHAT_MODEL, "input": "x", "max_output_tokens": "many"}, "max_output_tokens", "integer"),
    ({"model": CHAT_MODEL, "input": "x", "text": {"format": {"type": "yaml"}}}, "text.format.type", "yaml"),
])
def test_bad_requests_are_400_in_the_openai_envelope(http, body, param, words):
    resp = http.post("/v1/responses", json=body)
    err = openai_error(resp, 400)
    assert err["param"] == param and words in err["message"], err


def test_unknown_model_is_a_400_listing_the_models(http):
    err = openai_error(http.post("/api/v1/responses", json={"model": "nope", "input": "x"}), 400)
    assert err["code"] == "model_not_found" and CHAT_MODEL in err["message"]


def test_sdk_raises_on_errors(server):
    with pytest.raises(openai.BadRequestError):
        server.openai().responses.create(model=CHAT_MODEL, input=[{"role": "user", "content": "x"}],
                                         previous_response_id="resp_123")
