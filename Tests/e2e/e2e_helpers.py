"""Shared assertions for the end-to-end tests."""
from __future__ import annotations

import json
import re

import httpx

REQUEST_ID_RE = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def openai_error(resp: httpx.Response, status: int) -> dict:
    """Asserts `resp` is `status` with a JSON OpenAI error envelope; returns `error`."""
    assert resp.status_code == status, f"expected {status}, got {resp.status_code}: {resp.text[:500]}"
    ctype = resp.headers.get("content-type", "")
    assert ctype.startswith("application/json"), f"error content-type {ctype!r}, body {resp.text[:300]!r}"
    assert resp.text.strip(), "empty error body"
    body = resp.json()
    assert set(body) == {"error"}, f"not the OpenAI envelope: {body}"
    err = body["error"]
    for k in ("message", "type", "param", "code"):
        assert k in err, f"error lacks {k}: {err}"
    assert isinstance(err["message"], str) and err["message"].strip(), err
    assert isinstance(err["type"], str) and err["type"], err
    assert REQUEST_ID_RE.match(resp.headers.get("x-request-id", "")), resp.headers
    return err


def sse_data(lines) -> list:
    """Parses `data:` lines of an SSE body into JSON objects; '[DONE]' stays a string."""
    out = []
    for line in lines:
        if not line.startswith("data:"):
            continue
        payload = line[5:].strip()
        out.append(payload if payload == "[DONE]" else json.loads(payload))
    return out


def user(text: str) -> list[dict]:
    return [{"role": "user", "content": text}]


def speculative_counts(url: str, model: str) -> tuple[float, float]:
    """A model's drafted and accepted tokens from /metrics."""
    text = httpx.get(url + "/metrics", timeout=30).text

    def value(name: str) -> float:
        for line in text.splitlines():
            if line.startswith(name + "{") and f'model="{model}"' in line:
                return float(line.rsplit(" ", 1)[1])
        raise AssertionError(f"{name} for {model} missing from /metrics")
    return value("pendra_speculative_drafted_tokens"), value("pendra_speculative_accepted_tokens")
