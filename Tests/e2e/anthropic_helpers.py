"""Shared pieces of the Anthropic Messages end-to-end tests (official `anthropic`
SDK and raw httpx against the real binary)."""
from __future__ import annotations

import json
import socket
import select
import uuid

import anthropic
import httpx

from e2e_helpers import REQUEST_ID_RE

ANTHROPIC_ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    405: "invalid_request_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    503: "overloaded_error",
    529: "overloaded_error",
}

STOP_REASONS = {"end_turn", "max_tokens", "stop_sequence", "tool_use", "pause_turn", "refusal",
                "model_context_window_exceeded"}

# The sampling fields this SDK version has no keyword for travel in the body.
GREEDY = {"extra_body": {"temperature": 0}}


def sdk(srv, api_key: str = "unused", **kw) -> anthropic.Anthropic:
    """The official client against `srv`; never retries, so a 429/503 is seen as is."""
    return anthropic.Anthropic(base_url=srv.url, api_key=api_key, max_retries=0, timeout=120, **kw)


def check_envelope(body: dict, status: int) -> dict:
    """Asserts `body` is `{"type":"error","error":{"type","message"}}` (request_id optional)
    with the type Anthropic uses for `status`; returns `error`."""
    assert isinstance(body, dict), body
    assert body.get("type") == "error", f"not the Anthropic error envelope: {body}"
    assert set(body) <= {"type", "error", "request_id"}, f"unexpected top-level keys: {body}"
    err = body["error"]
    assert isinstance(err, dict) and set(err) == {"type", "message"}, f"error must be exactly type+message: {body}"
    assert err["type"] == ANTHROPIC_ERROR_TYPES[status], f"status {status} wants {ANTHROPIC_ERROR_TYPES[status]}: {body}"
    assert isinstance(err["message"], str) and err["message"].strip(), body
    return err


def _same_request_id(body: dict, headers) -> None:
    if "request_id" in body:
        assert body["request_id"] == headers.get("x-request-id"), (body, dict(headers))


def anthropic_error(resp: httpx.Response, status: int) -> dict:
    """Asserts `resp` is `status` with a JSON Anthropic error envelope; returns `error`."""
    assert resp.status_code == status, f"expected {status}, got {resp.status_code}: {resp.text[:500]}"
    ctype = resp.headers.get("content-type", "")
    assert ctype.startswith("application/json"), f"error content-type {ctype!r}, body {resp.text[:300]!r}"
    assert REQUEST_ID_RE.match(resp.headers.get("x-request-id", "")), resp.headers
    try:
        body = resp.json()
    except json.JSONDecodeError:
        raise AssertionError(f"error body is not JSON: {resp.text[:300]!r}")
    err = check_envelope(body, status)
    _same_request_id(body, resp.headers)
    return err


def sdk_error(exc: anthropic.APIStatusError, status: int) -> dict:
    """The same check for an error the SDK raised."""
    assert exc.status_code == status, f"expected {status}, got {exc.status_code}: {exc.body}"
    assert REQUEST_ID_RE.match(exc.response.headers.get("x-request-id", "")), exc.response.headers
    err = check_envelope(exc.body, status)
    _same_request_id(exc.body, exc.response.headers)
    return err


def sse_frames(lines) -> list[tuple[str, dict]]:
    """Parses an Anthropic SSE body into (event, data) pairs. Every frame must carry
    an `event:` line (the SDK dispatches on it) and a JSON `data:` line whose
    `type` names the same event."""
    frames: list[tuple[str, dict]] = []
    event, data = None, None
    for line in list(lines) + [""]:
        if line == "":
            if event is None and data is None:
                continue
            assert event is not None, f"frame without an event: line (data {data!r})"
            assert data is not None, f"event {event!r} without a data: line"
            obj = json.loads(data)
            assert obj.get("type") == event, f"event {event!r} carries data of type {obj.get('type')!r}"
            frames.append((event, obj))
            event, data = None, None
        elif line.startswith(":"):
            continue
        elif line.startswith("event:"):
            assert event is None, f"two event: lines in one frame ({event!r}, {line!r})"
            event = line[len("event:"):].strip()
        elif line.startswith("data:"):
            assert data is None, "two data: lines in one frame"
            data = line[len("data:"):].strip()
        else:
            raise AssertionError(f"unexpected SSE line {line!r}")
    return frames


def raw_stream(http: httpx.Client, body: dict, path: str = "/v1/messages", **headers):
    """POSTs a streaming request; returns (response, frames)."""
    with http.stream("POST", path, json={**body, "stream": True}, headers=headers) as r:
        if r.status_code != 200:
            r.read()
            raise AssertionError(f"stream answered {r.status_code}: {r.text[:500]}")
        frames = sse_frames(r.iter_lines())
        return r, frames


def delta_text(frames) -> str:
    return "".join(d["delta"]["text"] for e, d in frames if e == "content_block_delta")


def long_text(words: int, seed: str | None = None) -> str:
    """Deterministic filler prose (~1.3 tokens per word) led by a unique marker, so
    no earlier request shares its prefix."""
    marker = seed or uuid.uuid4().hex
    vocab = ("the worker keeps each prompt prefix in its cache so a later turn that repeats the "
             "same instructions only pays for the new part while tools files and notes stay "
             "exactly as they were before").split()
    body = " ".join(vocab[(i * 7) % len(vocab)] for i in range(words))
    return f"Session {marker}. {body}."


def post_oversized(url: str, path: str, declared: int, headers: dict[str, str]) -> tuple[int, dict, bytes]:
    """Sends a POST whose body is `declared` bytes, 1 MiB at a time, stopping as soon
    as the server answers (it may answer on the head alone). Returns (status,
    headers, body) of the response."""
    host, port = url.removeprefix("http://").rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=60)
    try:
        head = [f"POST {path} HTTP/1.1", f"Host: {host}:{port}", "Content-Type: application/json",
                f"Content-Length: {declared}"] + [f"{k}: {v}" for k, v in headers.items()]
        s.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        piece = b"a" * (1 << 20)
        sent = 0
        while sent < declared:
            readable, _, _ = select.select([s], [], [], 0)
            if readable:
                break
            n = min(len(piece), declared - sent)
            try:
                s.sendall(piece[:n])
            except (BrokenPipeError, ConnectionResetError):
                break
            sent += n
        data = b""
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
            if b"\r\n\r\n" in data:
                head_part, rest = data.split(b"\r\n\r\n", 1)
                lines = head_part.decode("latin-1").split("\r\n")
                hdrs = {k.strip().lower(): v.strip() for k, v in (l.split(":", 1) for l in lines[1:])}
                length = int(hdrs.get("content-length", "-1"))
                if length >= 0 and len(rest) >= length:
                    return int(lines[0].split()[1]), hdrs, rest[:length]
        raise AssertionError(f"no complete response to the oversized body (got {data[:300]!r})")
    finally:
        s.close()
