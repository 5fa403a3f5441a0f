"""Anthropic Messages API through the official `anthropic` SDK (and raw httpx where
the wire format itself is the point), against tiny-llama: random weights, so the
text is gibberish that never ends on its own under greedy decoding; greedy
decoding is deterministic, which is what these tests lean on."""
from __future__ import annotations

import datetime as dt
import re
import uuid

import anthropic
import pytest

from anthropic_helpers import (GREEDY, STOP_REASONS, delta_text, long_text, raw_stream, sdk)
from conftest import CHAT_MODEL, REQUIRED_FILES, _model_entry, _start
from e2e_helpers import REQUEST_ID_RE

HELLO = [{"role": "user", "content": "Hello there, please describe the weather."}]
pytestmark = pytest.mark.filterwarnings("ignore:The model .* is deprecated:DeprecationWarning")
N = 20  # tokens for the capped generations: short, the debug binary is slow on 2 shared cores


@pytest.fixture(scope="module")
def anth_server(tmp_path_factory, models_dir):
    """Open server whose server.default_model serves Claude Code's claude-* ids."""
    config = {
        "server": {"worker_name": "e2e-anthropic", "default_model": CHAT_MODEL, "api_keys": []},
        "models": [_model_entry(CHAT_MODEL, models_dir / REQUIRED_FILES[CHAT_MODEL], "chat",
                                context_size=4096, parallel=2)],
    }
    srv = _start("anthropic", config, tmp_path_factory)
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def claude(anth_server) -> anthropic.Anthropic:
    return sdk(anth_server)


@pytest.fixture(scope="module")
def http(anth_server):
    with anth_server.http(**{"anthropic-version": "2023-06-01"}) as c:
        yield c


@pytest.fixture(scope="module")
def greedy_hello(claude):
    """The reference greedy, non-streaming answer to HELLO, capped at N tokens."""
    return claude.messages.create(model=CHAT_MODEL, max_tokens=N, messages=HELLO, **GREEDY)


# ---------------------------------------------------------------- create / stream

def test_create_envelope(claude):
    raw = claude.messages.with_raw_response.create(model=CHAT_MODEL, max_tokens=N, messages=HELLO, **GREEDY)
    assert raw.status_code == 200
    assert REQUEST_ID_RE.match(raw.headers.get("x-request-id", "")), raw.headers
    m = raw.parse()
    assert m.id.startswith("msg_") and len(m.id) > len("msg_")
    assert m.type == "message"
    assert m.role == "assistant"
    assert m.model == CHAT_MODEL
    assert len(m.content) == 1 and m.content[0].type == "text"
    assert m.content[0].text, "empty text from a capped generation"
    assert m.stop_reason == "max_tokens"
    assert m.stop_sequence is None
    assert isinstance(m.usage.input_tokens, int) and isinstance(m.usage.output_tokens, int)
    assert m.usage.input_tokens + (m.usage.cache_read_input_tokens or 0) > 5
    assert m.usage.output_tokens == N


def test_sdk_stream_text_equals_final_message(claude):
    with claude.messages.stream(model=CHAT_MODEL, max_tokens=N, messages=HELLO, **GREEDY) as s:
        text = "".join(s.text_stream)
        final = s.get_final_message()
    assert text, "the stream carried no text"
    assert len(final.content) == 1 and final.content[0].type == "text"
    assert text == final.content[0].text
    assert final.id.startswith("msg_")
    assert final.model == CHAT_MODEL
    assert final.stop_reason == "max_tokens"
    assert final.usage.output_tokens == N


def test_raw_stream_event_order(http, greedy_hello):
    body = {"model": CHAT_MODEL, "max_tokens": N, "messages": HELLO, "temperature": 0}
    r, frames = raw_stream(http, body)
    assert r.headers["content-type"].startswith("text/event-stream"), r.headers
    assert REQUEST_ID_RE.match(r.headers.get("x-request-id", "")), "X-Request-Id missing on the stream response"
    names = [e for e, _ in frames]
    assert "ping" in names, names
    core = [e for e in names if e != "ping"]
    n_deltas = core.count("content_block_delta")
    assert n_deltas >= 1, names
    assert core == (["message_start", "content_block_start"] + ["content_block_delta"] * n_deltas
                    + ["content_block_stop", "message_delta", "message_stop"]), names
    # ping may sit anywhere (CLIENTS.md), but nothing may precede message_start.
    assert names[0] == "message_start", names

    start = frames[0][1]["message"]
    assert start["id"].startswith("msg_") and start["type"] == "message" and start["role"] == "assistant"
    assert start["content"] == [] and start["stop_reason"] is None
    assert start["model"] == CHAT_MODEL
    assert isinstance(start["usage"]["input_tokens"], int) and start["usage"]["input_tokens"] > 0
    assert start["usage"]["output_tokens"] == 0

    block = dict(frames)["content_block_start"]
    assert block["index"] == 0 and block["content_block"] == {"type": "text", "text": ""}
    for e, d in frames:
        if e in ("content_block_delta", "content_block_stop"):
            assert d["index"] == 0, d
        if e == "content_block_delta":
            assert d["delta"]["type"] == "text_delta" and isinstance(d["delta"]["text"], str), d
    md = dict(frames)["message_delta"]
    assert md["delta"]["stop_reason"] == "max_tokens"
    assert md["delta"]["stop_sequence"] is None
    assert md["usage"]["output_tokens"] == N
    assert delta_text(frames) == greedy_hello.content[0].text


def test_greedy_stream_equals_non_stream(claude, greedy_hello):
    """temperature 0 goes through extra_body: this SDK's create() has no keyword for it."""
    with claude.messages.stream(model=CHAT_MODEL, max_tokens=N, messages=HELLO, **GREEDY) as s:
        streamed = "".join(s.text_stream)
    assert streamed == greedy_hello.content[0].text
    again = claude.messages.create(model=CHAT_MODEL, max_tokens=N, messages=HELLO, **GREEDY)
    assert again.content[0].text == greedy_hello.content[0].text


# ---------------------------------------------------------------- stop sequences / max_tokens

def _pick_stop(text: str) -> tuple[str, int]:
    """A short run of letters from the middle of `text` that does not occur earlier."""
    lo, hi = len(text) // 3, (2 * len(text)) // 3
    for i in range(lo, hi):
        cand = text[i:i + 4]
        if re.fullmatch(r"[A-Za-z]{4}", cand) and text.find(cand) == i:
            return cand, i
    raise AssertionError(f"no 4-letter run in the middle of the greedy text to stop on: {text!r}")


def test_stop_sequence_non_stream_and_stream(claude, http, greedy_hello):
    full = greedy_hello.content[0].text
    stop, at = _pick_stop(full)
    m = claude.messages.create(model=CHAT_MODEL, max_tokens=N, messages=HELLO, stop_sequences=[stop], **GREEDY)
    assert m.stop_reason == "stop_sequence", m
    assert m.stop_sequence == stop
    text = m.content[0].text if m.content else ""
    assert text == full[:at], f"stop {stop!r}: expected {full[:at]!r}, got {text!r}"
    assert stop not in text
    assert 0 < m.usage.output_tokens < N
    # Claude Code asks for 32000 tokens whatever the model's context: legal, the stop ends it.
    big = claude.messages.create(model=CHAT_MODEL, max_tokens=32000, messages=HELLO, stop_sequences=[stop], **GREEDY)
    assert big.stop_reason == "stop_sequence" and (big.content[0].text if big.content else "") == full[:at]

    body = {"model": CHAT_MODEL, "max_tokens": N, "messages": HELLO, "temperature": 0,
            "stop_sequences": ["never-produced-zzqx", stop]}
    _, frames = raw_stream(http, body)
    md = dict(frames)["message_delta"]
    assert md["delta"]["stop_reason"] == "stop_sequence"
    assert md["delta"]["stop_sequence"] == stop
    assert delta_text(frames) == full[:at]
    assert frames[-1][0] == "message_stop"


def test_max_tokens_stop_reason_and_zero(claude, http):
    m = claude.messages.create(model=CHAT_MODEL, max_tokens=3, messages=HELLO, **GREEDY)
    assert m.stop_reason == "max_tokens" and m.usage.output_tokens == 3

    z = claude.messages.create(model=CHAT_MODEL, max_tokens=0, messages=HELLO, **GREEDY)
    assert z.stop_reason == "max_tokens"
    assert z.usage.output_tokens == 0
    assert all(b.type == "text" and b.text == "" for b in z.content), z.content
    assert z.usage.input_tokens + (z.usage.cache_read_input_tokens or 0) > 0

    _, frames = raw_stream(http, {"model": CHAT_MODEL, "max_tokens": 0, "messages": HELLO})
    assert frames[0][0] == "message_start" and frames[-1][0] == "message_stop"
    md = dict(frames)["message_delta"]
    assert md["delta"]["stop_reason"] == "max_tokens" and md["usage"]["output_tokens"] == 0
    assert delta_text(frames) == ""


# ---------------------------------------------------------------- count_tokens

TOOLS = [
    {"name": "read_file", "description": "Read a file from the workspace",
     "input_schema": {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}},
    {"name": "bash", "description": "Run a shell command",
     "input_schema": {"type": "object", "properties": {"command": {"type": "string"}}, "required": ["command"]}},
]


def test_count_tokens_matches_real_request(claude):
    kw = dict(model=CHAT_MODEL, system="You are a careful assistant.", tools=TOOLS,
              messages=[{"role": "user", "content": "Which files are in the repository?"}])
    counted = claude.messages.count_tokens(**kw)
    m = claude.messages.create(max_tokens=1, **kw, **GREEDY)
    prompt = m.usage.input_tokens + (m.usage.cache_read_input_tokens or 0)
    assert counted.input_tokens == prompt, f"count_tokens {counted.input_tokens} vs request prompt {prompt}"
    # Tools and system are counted, not just the messages.
    bare = claude.messages.count_tokens(model=CHAT_MODEL, messages=kw["messages"])
    assert bare.input_tokens < counted.input_tokens


# ---------------------------------------------------------------- tools in history

def _tool_history(result_text: str, error_text: str) -> list[dict]:
    return [
        {"role": "user", "content": "Read README.md, then list the directory."},
        {"role": "assistant", "content": [
            {"type": "thinking", "thinking": "I should read the file first.", "signature": "c2lnbmF0dXJl"},
            {"type": "text", "text": "I'll read it."},
            {"type": "tool_use", "id": "toolu_01A", "name": "read_file", "input": {"path": "README.md"}},
        ]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_01A", "content": result_text},
        ]},
        {"role": "assistant", "content": [
            {"type": "tool_use", "id": "toolu_02B", "name": "bash", "input": {"command": "ls -la"}},
        ]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_02B", "is_error": True,
             "content": [{"type": "text", "text": error_text}]},
            {"type": "text", "text": "Try a different way."},
        ]},
    ]


def test_conversation_with_tool_use_and_tool_results(claude):
    messages = _tool_history("# Pendra\nOne binary.", "ls: cannot open directory")
    m = claude.messages.create(model=CHAT_MODEL, max_tokens=8, tools=TOOLS, messages=messages,
                               tool_choice={"type": "auto"}, **GREEDY)
    assert m.id.startswith("msg_") and m.role == "assistant"
    assert m.stop_reason in STOP_REASONS
    assert m.content, "no content"
    for b in m.content:
        assert b.type in ("text", "tool_use"), b
        if b.type == "tool_use":
            assert b.name in {t["name"] for t in TOOLS} and isinstance(b.input, dict)
    assert 0 < m.usage.output_tokens <= 8

    # Both result forms reach the prompt: longer results, more tokens.
    base = claude.messages.count_tokens(model=CHAT_MODEL, tools=TOOLS, messages=messages).input_tokens
    longer_str = claude.messages.count_tokens(
        model=CHAT_MODEL, tools=TOOLS,
        messages=_tool_history("# Pendra\nOne binary." + " more text" * 20, "ls: cannot open directory")).input_tokens
    longer_blocks = claude.messages.count_tokens(
        model=CHAT_MODEL, tools=TOOLS,
        messages=_tool_history("# Pendra\nOne binary.", "ls: cannot open directory" + " again" * 20)).input_tokens
    assert longer_str > base + 15, (base, longer_str)
    assert longer_blocks > base + 15, (base, longer_blocks)


def _parallel_history(first: str, second: str) -> list[dict]:
    """Claude Code's parallel calls and a mid-conversation reminder: tiny-llama's
    Llama 3.1 template raises "This model only supports single tool-calls at
    once!", so Pendra renders it reshaped (one call per assistant turn)."""
    return [
        {"role": "user", "content": "Run ls and pwd."},
        {"role": "system", "content": "<system-reminder>198800 tokens left.</system-reminder>"},
        {"role": "assistant", "content": [
            {"type": "tool_use", "id": "toolu_01A", "name": "bash", "input": {"command": "ls"}},
            {"type": "tool_use", "id": "toolu_01B", "name": "bash", "input": {"command": "pwd"}},
        ]},
        {"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "toolu_01A", "content": first},
            {"type": "tool_result", "tool_use_id": "toolu_01B", "content": second},
            {"type": "text", "text": "<system-reminder>198500 tokens left.</system-reminder>"},
        ]},
    ]


def test_parallel_tool_calls_render_on_a_template_that_refuses_them(claude):
    m = claude.messages.create(model=CHAT_MODEL, max_tokens=4, tools=TOOLS,
                               messages=_parallel_history("README.md", "/repo"), **GREEDY)
    assert m.stop_reason in STOP_REASONS and 0 < m.usage.output_tokens <= 4
    # Both results reach the reshaped prompt.
    count = lambda a, b: claude.messages.count_tokens(  # noqa: E731
        model=CHAT_MODEL, tools=TOOLS, messages=_parallel_history(a, b)).input_tokens
    base = count("README.md", "/repo")
    assert count("README.md" + " more" * 20, "/repo") > base + 15
    assert count("README.md", "/repo" + " more" * 20) > base + 15


# ---------------------------------------------------------------- system shapes

def test_system_blocks_with_cache_control_and_system_role_message(claude):
    system = [
        {"type": "text", "text": "You are a coding agent.", "cache_control": {"type": "ephemeral"}},
        {"type": "text", "text": "Answer briefly.", "cache_control": {"type": "ephemeral", "ttl": "1h"}},
    ]
    user = {"role": "user", "content": [
        {"type": "text", "text": "What changed in the last commit?", "cache_control": {"type": "ephemeral"}}]}
    reminder = {"role": "system", "content": "<system-reminder>The user is in plan mode.</system-reminder>"}
    m = claude.messages.create(model=CHAT_MODEL, max_tokens=4, system=system, messages=[user, reminder],
                               cache_control={"type": "ephemeral"}, **GREEDY)
    assert m.stop_reason == "max_tokens" and m.usage.output_tokens == 4
    # The system entry inside messages is rendered, not dropped.
    with_entry = claude.messages.count_tokens(model=CHAT_MODEL, system=system, messages=[user, reminder])
    without = claude.messages.count_tokens(model=CHAT_MODEL, system=system, messages=[user])
    assert with_entry.input_tokens > without.input_tokens + 5


# ---------------------------------------------------------------- prefix cache

def test_second_turn_reports_cached_input(claude):
    system = long_text(450)
    turn1 = [
        {"role": "user", "content": long_text(120)},
        {"role": "assistant", "content": "Noted, I have read the notes."},
        {"role": "user", "content": "Summarise the notes in one line."},
    ]
    r1 = claude.messages.create(model=CHAT_MODEL, max_tokens=4, system=system, messages=turn1, **GREEDY)
    p1 = r1.usage.input_tokens + (r1.usage.cache_read_input_tokens or 0)
    assert p1 > 500, f"the conversation should be long, got {p1} tokens"
    assert (r1.usage.cache_read_input_tokens or 0) < p1 // 2, r1.usage

    turn2 = turn1 + [{"role": "assistant", "content": r1.content[0].text},
                     {"role": "user", "content": "Now a shorter version, please."}]
    r2 = claude.messages.create(model=CHAT_MODEL, max_tokens=4, system=system, messages=turn2, **GREEDY)
    cached = r2.usage.cache_read_input_tokens
    assert cached is not None and cached >= int(0.9 * p1), f"turn 2 reused {cached} of turn 1's {p1} prompt tokens"
    total2 = claude.messages.count_tokens(model=CHAT_MODEL, system=system, messages=turn2).input_tokens
    assert r2.usage.input_tokens + cached == total2, (r2.usage, total2)
    assert 0 < r2.usage.input_tokens < total2 - p1 // 2, f"input_tokens must count only the uncached part: {r2.usage}"

    # Claude Code streams: the SDK's final message (message_start usage corrected by
    # message_delta) reports the same accounting.
    with claude.messages.stream(model=CHAT_MODEL, max_tokens=2, system=system, messages=turn2, **GREEDY) as s:
        u = s.get_final_message().usage
    assert (u.cache_read_input_tokens or 0) >= int(0.9 * total2), u
    assert u.input_tokens + u.cache_read_input_tokens == total2, (u, total2)


@pytest.mark.parametrize("shape", ["string", "blocks"])
def test_billing_header_nonce_does_not_defeat_cache(claude, shape):
    instructions = "You are Claude Code, Anthropic's official CLI for Claude. " + long_text(450)

    def system(nonce: str):
        header = f"x-anthropic-billing-header: cc_version=1.0; cc_entrypoint=cli; cch={nonce};"
        if shape == "string":
            return header + "\n" + instructions
        return [{"type": "text", "text": header},
                {"type": "text", "text": instructions, "cache_control": {"type": "ephemeral"}}]

    messages = [{"role": "user", "content": "List the files in the repository."}]
    r1 = claude.messages.create(model=CHAT_MODEL, max_tokens=1, system=system(uuid.uuid4().hex[:5]),
                                messages=messages, **GREEDY)
    p1 = r1.usage.input_tokens + (r1.usage.cache_read_input_tokens or 0)
    assert p1 > 500, p1
    assert (r1.usage.cache_read_input_tokens or 0) < p1 // 2, r1.usage
    r2 = claude.messages.create(model=CHAT_MODEL, max_tokens=1, system=system(uuid.uuid4().hex[:5]),
                                messages=messages, **GREEDY)
    p2 = r2.usage.input_tokens + (r2.usage.cache_read_input_tokens or 0)
    assert abs(p2 - p1) <= 2, (p1, p2)
    assert (r2.usage.cache_read_input_tokens or 0) >= int(0.9 * p2), \
        f"a new cch= nonce must not defeat the prefix cache: {r2.usage}"


# ---------------------------------------------------------------- claude-* ids, headers, models

def test_claude_ids_served_by_default_model(claude):
    m = claude.messages.create(model="claude-sonnet-4-5", max_tokens=4, messages=HELLO, **GREEDY)
    assert m.model == "claude-sonnet-4-5"
    assert m.stop_reason == "max_tokens" and m.usage.output_tokens == 4
    with claude.messages.stream(model="claude-haiku-4-5-20251001", max_tokens=4, messages=HELLO, **GREEDY) as s:
        final = s.get_final_message()
    assert final.model == "claude-haiku-4-5-20251001"
    assert final.usage.output_tokens == 4
    a = claude.messages.count_tokens(model="claude-opus-4-1", messages=HELLO).input_tokens
    b = claude.messages.count_tokens(model=CHAT_MODEL, messages=HELLO).input_tokens
    assert a == b > 0


def test_claude_code_headers_and_beta_query(anth_server, http):
    client = sdk(anth_server, default_headers={
        "anthropic-beta": "claude-code-20250219,interleaved-thinking-2025-05-14,made-up-beta-7",
        "x-app": "cli", "X-Claude-Code-Session-Id": str(uuid.uuid4())})
    m = client.messages.create(model="claude-sonnet-4-5", max_tokens=2, messages=HELLO,
                               extra_query={"beta": "true"}, **GREEDY)
    assert m.usage.output_tokens == 2
    c = client.messages.count_tokens(model="claude-sonnet-4-5", messages=HELLO, extra_query={"beta": "true"})
    assert c.input_tokens > 0
    # Fields Claude Code sends that a local model has no use for are accepted.
    for thinking in ({"type": "enabled", "budget_tokens": 1024}, {"type": "disabled"}, {"type": "adaptive"}):
        m = client.messages.create(model="claude-sonnet-4-5", max_tokens=2, messages=HELLO,
                                   metadata={"user_id": "user_abc_account_def_session_ghi"},
                                   extra_body={"temperature": 0, "thinking": thinking}, extra_query={"beta": "true"})
        assert m.stop_reason == "max_tokens", thinking
        n = client.messages.count_tokens(model="claude-sonnet-4-5", messages=HELLO, thinking=thinking,
                                         extra_query={"beta": "true"})
        assert n.input_tokens == c.input_tokens

    hdrs = {"anthropic-beta": "anything-goes", "x-api-key": "whatever"}
    r = http.post("/v1/messages?beta=true", json={"model": CHAT_MODEL, "max_tokens": 2, "messages": HELLO},
                  headers=hdrs)
    assert r.status_code == 200, r.text
    assert r.json()["type"] == "message"
    r = http.post("/v1/messages/count_tokens?beta=true&other=1", json={"model": CHAT_MODEL, "messages": HELLO},
                  headers=hdrs)
    assert r.status_code == 200, r.text
    assert r.json() == {"input_tokens": c.input_tokens}
    # Claude Code's streaming call, query string included.
    _, frames = raw_stream(http, {"model": "claude-sonnet-4-5", "max_tokens": 2, "messages": HELLO},
                           path="/v1/messages?beta=true", **hdrs)
    assert frames[-1][0] == "message_stop"


def test_sdk_models_list(claude, http):
    page = claude.models.list()
    assert [m.id for m in page.data] == [CHAT_MODEL]
    for m in page.data:
        assert m.type == "model"
        assert isinstance(m.display_name, str) and m.display_name
        assert isinstance(m.created_at, dt.datetime)
    assert page.has_more is False
    r = http.get("/v1/models", params={"limit": 1000})
    assert r.status_code == 200
    body = r.json()
    assert body["has_more"] is False
    assert body["first_id"] == CHAT_MODEL and body["last_id"] == CHAT_MODEL
    entry = body["data"][0]
    assert {"type", "id", "display_name", "created_at"} <= set(entry)
    dt.datetime.fromisoformat(entry["created_at"].replace("Z", "+00:00"))
